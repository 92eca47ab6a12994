"""The editors' review queue (likely namesakes, likely variant spellings) and the person split.

The evidence and the actions live in ``identity`` and ``editing``; these views show
the proposals, take the editor's one click and report what it did.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from . import editing, identity
from .models import Caption, Entry, Person, ReviewDecision

ACTION_LABELS = {
    "merge": "合并为一人",
    "alias": "加为别名",
    "split": "按机构分立",
    "dismiss": "驳回（维持现状）",
}


@admin.register(ReviewDecision)
class ReviewQueueAdmin(admin.ModelAdmin):
    """The admin's 人物审核 page: the queue first, the decisions taken below it."""

    list_display = ["names", "kind", "action", "user", "decided_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("gazetteer.change_person")

    def has_view_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def get_urls(self):
        own = [path("decide/", self.admin_site.admin_view(self.decide_view), name="gazetteer_reviewdecision_decide")]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        if not self.has_change_permission(request):
            raise PermissionDenied
        found = identity.proposals()
        for p in found:
            p.buttons = [(a, ACTION_LABELS[a]) for a in p.actions]
        return TemplateResponse(
            request,
            "admin/gazetteer/reviewdecision/queue.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "人物审核队列",
                "open": [p for p in found if p.decision is None],
                "decided": ReviewDecision.objects.select_related("user")[:200],
            },
        )

    def decide_view(self, request):
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        try:
            decision = identity.decide(request.POST.get("key", ""), request.POST.get("action", ""), user=request.user)
        except (identity.Undecidable, ValidationError) as e:
            self.message_user(request, str(e) if isinstance(e, identity.Undecidable) else e.messages[0], messages.ERROR)
        else:
            self.message_user(request, f"已处理：{decision}", messages.SUCCESS)
        return redirect("admin:gazetteer_reviewdecision_changelist")


class PersonSplitMixin:
    """Adds /admin/gazetteer/person/<pk>/split/: choose the records that belong to another person."""

    def get_urls(self):
        own = [path("<int:pk>/split/", self.admin_site.admin_view(self.split_view), name="gazetteer_person_split")]
        return own + super().get_urls()

    def split_view(self, request, pk):
        person = get_object_or_404(Person, pk=pk)
        if not (self.has_change_permission(request, person) and self.has_add_permission(request)):
            raise PermissionDenied
        if request.method == "POST":
            chosen = {part: request.POST.getlist(part) for part in ("appointments", "bylines", "photos", "speeches", "mentions")}
            try:
                new = editing.split_person(person, name=request.POST.get("name", ""), user=request.user, **chosen)
            except ValidationError as e:
                self.message_user(request, e.messages[0], messages.ERROR)
            else:
                self.message_user(request, f"已拆分：新建人物「{new.name}」（#{new.pk}）。", messages.SUCCESS)
                return redirect(reverse("admin:gazetteer_person_change", args=[new.pk]))
        return TemplateResponse(
            request,
            "admin/gazetteer/person/split.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"拆分人物：{person.name}",
                "person": person,
                "appointments": person.appointments.select_related("organisation", "volume").order_by("volume", "position"),
                "bylines": person.bylines.select_related("entry__volume"),
                "photos": Caption.objects.filter(credit_person=person).select_related("entry__volume"),
                "speeches": person.speeches.select_related("volume"),
                "mentions": Entry.objects.filter(people=person).select_related("volume").order_by("volume", "position"),
            },
        )
