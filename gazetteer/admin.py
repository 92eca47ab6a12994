"""The editors' admin: find records, fix what the loaders got wrong, see and revert history.

The business actions (split, merge, move, merge people) live in ``editing.py``; the
views here only ask for the editor's choice and call them.
"""

import difflib
import functools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Max
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from . import editing, signin, tombstones
from .admin_import import VolumeLoadingMixin
from .admin_review import PersonSplitMixin
from .formfields import LinesField
from .ids import as_id
from .models import (
    Appointment,
    Byline,
    Caption,
    Entry,
    Organisation,
    Person,
    Section,
    SourceFile,
    Tombstone,
    Volume,
)

admin.site.site_header = "方志档案 · 编辑后台"
admin.site.site_title = "方志档案"
admin.site.index_title = "编辑工作台"


# --- sign-in: django-axes counts failures (settings.py); one guess at a time per name --


admin.site.login = signin.one_at_a_time(admin.site.login)


# --- autocomplete labels that tell same-titled sections apart ----------------------


class LabelledAutocompleteView(AutocompleteJsonView):
    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if isinstance(obj, Section):
            result["text"] = f"{' › '.join(s.title for s in obj.path())}（{obj.volume.title}）"
        elif isinstance(obj, Entry):
            result["text"] = f"{obj.title}（{obj.volume.title}）"
        elif isinstance(obj, Person) and obj.region:
            result["text"] = f"{obj.name}（{obj.region}）"
        return result


def _autocomplete(request):
    return LabelledAutocompleteView.as_view(admin_site=admin.site)(request)


admin.site.autocomplete_view = _autocomplete


# --- history with a readable diff -----------------------------------------------


def text_diff(old, new):
    """Return HTML showing the changed paragraphs of two texts, removals and additions marked."""
    old_paragraphs, new_paragraphs = (old or "").split("\n"), (new or "").split("\n")
    parts = []
    matcher = difflib.SequenceMatcher(None, old_paragraphs, new_paragraphs, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed, added = "\n".join(old_paragraphs[i1:i2]), "\n".join(new_paragraphs[j1:j2])
        chars = difflib.SequenceMatcher(None, removed, added, autojunk=False)
        html = []
        for op, a1, a2, b1, b2 in chars.get_opcodes():
            if op == "equal":
                same = removed[a1:a2]
                html.append(escape(same if len(same) <= 40 else f"{same[:15]}……{same[-15:]}"))
            if op in ("delete", "replace"):
                html.append(f"<del>{escape(removed[a1:a2])}</del>")
            if op in ("insert", "replace"):
                html.append(f"<ins>{escape(added[b1:b2])}</ins>")
        parts.append(f"<p class='diff'><span class='diff-where'>第{j1 + 1}段</span> {''.join(html).replace(chr(10), '¶')}</p>")
    return mark_safe("".join(parts))  # noqa: S308 — every piece of text above is escaped


class DiffContextHelper(HistoricalRecordContextHelper):
    """Show long text fields as a paragraph diff instead of two shortened strings."""

    def context_for_delta_changes(self, delta):
        rows = []
        for change in delta.changes:
            field = self.model._meta.get_field(change.field)
            if field.get_internal_type() == "TextField":
                rows.append({"field": field.verbose_name, "diff": text_diff(change.old, change.new)})
            else:
                formatted = self.format_delta_change(change)
                rows.append({"field": formatted.field, "old": formatted.old, "new": formatted.new})
        return rows


def writes(view):
    """Run an admin view that changes records in one transaction holding the write lock."""

    @functools.wraps(view)
    def wrapper(self, request, *args, **kwargs):
        if request.method != "POST":
            return view(self, request, *args, **kwargs)
        with transaction.atomic():
            editing.begin_writing()
            return view(self, request, *args, **kwargs)

    return wrapper


class HistoryAdmin(SimpleHistoryAdmin):
    """An admin whose every change is recorded in a history with a readable diff, and revertible."""

    object_history_list_template = "admin/gazetteer/object_history_list.html"
    history_list_display = []

    def get_historical_record_context_helper(self, request, historical_record):
        return DiffContextHelper(self.model, historical_record)

    def save_model(self, request, obj, form, change):
        # Saving an unchanged form would add an empty version to the history. (A revert
        # posts the old version's own values: that one is saved.)
        reverting = request.resolver_match and request.resolver_match.url_name.endswith("_simple_history")
        if change and not reverting:
            names = [f.attname for f in obj._meta.concrete_fields if f.name in form.changed_data]
            stored = type(obj).objects.filter(pk=obj.pk).values(*names).first() if names else {}
            if stored is not None and all(stored[n] == getattr(obj, n) for n in names):
                return
        super().save_model(request, obj, form, change)

    changeform_view = writes(SimpleHistoryAdmin.changeform_view)
    delete_view = writes(SimpleHistoryAdmin.delete_view)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A form for a record that is gone (merged, re-loaded away) leads to the record that replaced it.

        A POST from a form opened before the merge is not saved onto the survivor:
        the two records' fields differ (title, text, name), and writing one over the
        other would silently undo the merge. The editor is told nothing was saved and
        sees the survivor's form to make the change there.
        """
        pk = as_id(object_id)
        if pk is not None and self.model in tombstones.KINDS and not self.model.objects.filter(pk=pk).exists():
            stone, live = tombstones.find(self.model, pk)
            if live is not None:
                name = self.model._meta.verbose_name
                said = f"{name} #{pk}「{stone.title}」{stone.get_reason_display()}：现在是「{live}」。"
                if request.method == "POST":
                    said += "您提交的修改没有保存，请在这里核对后重新修改。"
                self.message_user(request, said, messages.WARNING)
                return redirect(f"admin:gazetteer_{self.model._meta.model_name}_change", live.pk)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        if as_id(object_id) is None:
            raise Http404("没有这条记录")
        return super().history_view(request, object_id, extra_context)

    @writes
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if as_id(object_id) is None or as_id(version_id) is None:
            raise Http404("没有这个版本")
        # simple_history checks only the view permission, also for the POST that
        # reverts: someone who may only look at a record could change it this way.
        if request.method == "POST" and not self.has_change_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    @writes
    def changelist_view(self, request, extra_context=None):
        selected = request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)
        if request.method == "POST" and any(as_id(pk) is None for pk in selected):
            self.message_user(request, "所选记录无效，请重新选择。", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().changelist_view(request, extra_context)


# --- volumes and source files ------------------------------------------------------


@admin.register(Volume)
class VolumeAdmin(VolumeLoadingMixin, HistoryAdmin):
    list_display = ["title", "slug", "kind", "region", "year", "year_covered", "entry_count", "loaded_at", "load_report_link"]
    list_filter = ["kind", "region", "year"]
    search_fields = ["title", "slug"]
    readonly_fields = ["source_hash", "loaded_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("report").annotate(entry_count=Count("entries"))

    @admin.display(description="条目数", ordering="entry_count")
    def entry_count(self, volume):
        return volume.entry_count


@admin.register(SourceFile)
class SourceFileAdmin(admin.ModelAdmin):
    list_display = ["name", "volume", "position", "encoding", "sha256"]
    list_filter = ["volume"]
    readonly_fields = ["volume", "position", "name", "sha256", "encoding", "text"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- sections ----------------------------------------------------------------------


class SectionForm(forms.ModelForm):
    alt_titles = LinesField(label="异写标题", help_text="每行一个，如目录与正文写法不同")

    class Meta:
        model = Section
        fields = ["volume", "parent", "title", "alt_titles", "page", "digitized"]

    def clean(self):
        data = super().clean()
        parent, volume = data.get("parent"), data.get("volume") or getattr(self.instance, "volume", None)
        if parent is not None and volume is not None and parent.volume_id != volume.pk:
            raise ValidationError({"parent": "上级目录节点必须在同一卷中"})
        if parent is not None and self.instance.pk and parent.pk in editing._subtree(self.instance):
            raise ValidationError({"parent": "不能把目录节点移到它自己或它的下级之下"})
        return data


class EntryInline(admin.TabularInline):
    """The section's entries, read-only: open one to edit it, use the entry list to move them."""

    model = Entry
    fields = ["position", "title", "kind", "date", "page"]
    readonly_fields = fields
    show_change_link = True
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["position"]


@admin.register(Section)
class SectionAdmin(HistoryAdmin):
    form = SectionForm
    list_display = ["title", "section_path", "volume", "level", "page", "digitized", "entry_count", "position"]
    list_display_links = ["title"]
    list_editable = ["page", "digitized"]
    list_filter = ["volume", "level", "digitized"]
    search_fields = ["title"]
    autocomplete_fields = ["parent"]
    list_select_related = ["volume", "parent__parent__parent"]
    ordering = ["volume", "position"]
    list_per_page = 100
    inlines = [EntryInline]
    actions = ["move_up", "move_down", "mark_digitized", "mark_not_digitized"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entry_count=Count("entries"))

    def get_readonly_fields(self, request, obj=None):
        return ["volume"] if obj else []

    @admin.display(description="目录路径")
    def section_path(self, section):
        return " › ".join(s.title for s in section.ancestors()) or "—"

    # Deleting a section would delete its entries with it (and every entry under its
    # subsections): refuse, and say where the entries must go first.
    def _refuse_non_empty(self, request, sections):
        ids = {pk for section in sections for pk in editing._subtree(section)}
        count = Entry.objects.filter(section__in=ids).count()
        if count:
            names = "、".join(f"「{s.title}」" for s in sections[:3]) + ("等" if len(sections) > 3 else "")
            self.message_user(
                request,
                f"{names}下还有 {count} 个条目，不能删除：请先把条目移到其他目录节点（条目列表 › 移到另一目录节点）。",
                messages.ERROR,
            )
        return count

    def delete_view(self, request, object_id, extra_context=None):
        section = Section.objects.filter(pk=as_id(object_id)).first()
        if section and self.has_delete_permission(request, section) and self._refuse_non_empty(request, [section]):
            return redirect("admin:gazetteer_section_change", section.pk)
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            action, name, description = actions["delete_selected"]

            def delete_selected(modeladmin, request, queryset):
                if self._refuse_non_empty(request, list(queryset)):
                    return None
                return action(modeladmin, request, queryset)

            actions["delete_selected"] = (delete_selected, name, description)
        return actions

    @admin.display(description="条目数", ordering="entry_count")
    def entry_count(self, section):
        return section.entry_count

    def save_model(self, request, obj, form, change):
        if not change:
            parent = obj.parent
            obj.level = parent.level + 1 if parent else 1
            last = Section.objects.filter(volume=obj.volume).aggregate(m=Max("position"))["m"]
            obj.position = (last or 0) + 1
        moved = False
        if change and request.resolver_match and request.resolver_match.url_name.endswith("_simple_history"):
            # As for entries: a revert keeps today's place in book order, and a
            # restored parent is placed properly.
            stored = Section.objects.filter(pk=obj.pk).values("position", "level", "parent_id").first()
            obj.position, obj.level = stored["position"], stored["level"]
            moved = stored["parent_id"] != obj.parent_id
        super().save_model(request, obj, form, change)
        if not change or "parent" in form.changed_data or moved:
            editing.place_section(obj, user=request.user)

    @admin.action(description="上移所选目录节点（连同下级）", permissions=["change"])
    def move_up(self, request, queryset):
        moved = sum(editing.shift_section(s, -1, user=request.user) for s in queryset.order_by("position"))
        self.message_user(request, f"已上移 {moved} 个目录节点。")

    @admin.action(description="下移所选目录节点（连同下级）", permissions=["change"])
    def move_down(self, request, queryset):
        moved = sum(editing.shift_section(s, +1, user=request.user) for s in queryset.order_by("-position"))
        self.message_user(request, f"已下移 {moved} 个目录节点。")

    @admin.action(description="标为已数字化", permissions=["change"])
    def mark_digitized(self, request, queryset):
        self._mark(request, queryset, True)

    @admin.action(description="标为未数字化", permissions=["change"])
    def mark_not_digitized(self, request, queryset):
        self._mark(request, queryset, False)

    def _mark(self, request, queryset, value):
        changed = 0
        for section in queryset.exclude(digitized=value):
            section.digitized = value
            section._history_user = request.user
            section.save()
            changed += 1
        self.message_user(request, f"已修改 {changed} 个目录节点。")


# --- entries -----------------------------------------------------------------------


class CategoryFilter(admin.SimpleListFilter):
    title = "类目"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        sections = Section.objects.filter(level=1)
        if request.GET.get("volume__id__exact"):
            sections = sections.filter(volume_id=as_id(request.GET["volume__id__exact"]))
        titles = dict.fromkeys(sections.order_by("volume", "position").values_list("title", flat=True))
        return [(t, t) for t in titles]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        tops = Section.objects.filter(level=1, title=self.value())
        ids = set()
        for top in tops:
            ids.update(editing._subtree(top))
        return queryset.filter(section__in=ids)


class BylineInline(admin.TabularInline):
    model = Byline
    autocomplete_fields = ["person"]
    extra = 0


class CaptionInline(admin.TabularInline):
    model = Caption
    fields = ["position", "text", "credit", "credit_person", "line"]
    autocomplete_fields = ["credit_person"]
    extra = 0


class EntryForm(forms.ModelForm):
    notes = LinesField(label="注释", help_text="每行一条：脚注、整理说明（如：根据录音整理）等")
    alt_titles = LinesField(label="异写标题", help_text="每行一个，如目录与正文写法不同")

    class Meta:
        model = Entry
        fields = [
            "section", "kind", "title", "untitled", "kicker", "subtitle", "alt_titles", "text", "notes", "page", "date", "date_end",
            "date_precision", "date_printed", "lunar",
            "speaker", "speaker_title", "speaker_person", "source_tag", "people", "organisations",
        ]  # fmt: skip
        widgets = {"text": forms.Textarea(attrs={"rows": 24, "class": "entry-text"})}

    def clean_text(self):
        # Browsers send a textarea's lines with \r\n; the archive keeps one paragraph a
        # line, separated by \n, with no empty paragraphs.
        return "\n".join(line.strip() for line in self.cleaned_data["text"].splitlines() if line.strip())

    def clean(self):
        data = super().clean()
        section = data.get("section")
        if section is not None and self.instance.pk and section.volume_id != self.instance.volume_id:
            raise ValidationError({"section": f"只能选择《{self.instance.volume}》中的目录节点"})
        if data.get("date") and data.get("date_end") and data["date_end"] < data["date"]:
            raise ValidationError({"date_end": "截止日期早于日期"})
        return data


@admin.register(Entry)
class EntryAdmin(HistoryAdmin):
    form = EntryForm
    change_form_template = "admin/gazetteer/entry/change_form.html"
    list_display = ["title", "volume_short", "section_path", "kind", "date", "page", "source_lines"]
    list_filter = [
        "volume",
        "kind",
        CategoryFilter,
        ("section__digitized", admin.BooleanFieldListFilter),
        ("date", admin.DateFieldListFilter),
    ]
    search_fields = ["title", "text", "speaker"]
    autocomplete_fields = ["section", "speaker_person", "people", "organisations"]
    list_select_related = ["volume", "section__parent__parent__parent"]
    inlines = [BylineInline, CaptionInline]
    ordering = ["volume", "position"]
    list_per_page = 50
    actions = ["move_to_section", "move_up", "move_down", "merge_selected"]
    fieldsets = [
        (None, {"fields": ["volume", "section", ("kind", "page"), "kicker", ("title", "untitled"), "subtitle", "alt_titles"]}),
        ("正文与原文", {"fields": [("text", "source_excerpt"), "notes"], "description": "左为正文（一段一行），右为源文件中本条的原文行。"}),
        ("日期与讲话人", {"fields": [("date", "date_end", "date_precision"), ("date_printed", "lunar"), ("speaker", "speaker_title"), "speaker_person", "source_tag"]}),
        ("提及", {"fields": ["people", "organisations"], "classes": ["collapse"]}),
        ("出处", {"fields": [("source_file", "line_start", "line_end"), "position"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["source_excerpt", "source_file", "line_start", "line_end", "position"]
        return [*fixed, "volume"] if obj else fixed

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["section", ("kind", "page"), ("title", "untitled"), "subtitle", "text"]}),
                ("日期与讲话人", {"fields": [("date", "date_end", "date_precision"), ("date_printed", "lunar"), ("speaker", "speaker_title"), "speaker_person"]}),
            ]
        return self.fieldsets

    @admin.display(description="卷册", ordering="volume__slug")
    def volume_short(self, entry):
        return entry.volume.title

    @admin.display(description="目录路径")
    def section_path(self, entry):
        return " › ".join(s.title for s in entry.section.path())

    @admin.display(description="源文件行")
    def source_lines(self, entry):
        if entry.source_file_end:
            return f"{entry.source_file}:{entry.line_start}—{entry.source_file_end}:{entry.line_end}"
        return f"{entry.source_file}:{entry.line_start}—{entry.line_end}"

    @admin.display(description="源文件原文")
    def source_excerpt(self, entry):
        if entry is None or entry.pk is None:
            return "—"
        # An entry running into the next file: the rest of its first file, then the next one's start.
        spans = [(entry.source_file, entry.line_start, entry.line_end)]
        if entry.source_file_end:
            spans = [(entry.source_file, entry.line_start, None), (entry.source_file_end, 1, entry.line_end)]
        parts = []
        for name, first, last in spans:
            source = SourceFile.objects.filter(volume_id=entry.volume_id, name=name).first()
            if source is None:
                return "（源文件未保存）"
            lines = source.lines(first, last if last is not None else source.text.count("\n") + 1)
            rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", lines)
            parts.append(format_html("<p>{}</p><table>{}</table>", source.name, rows))
        return format_html('<div class="source-lines">{}</div>', format_html_join("", "{}", ((p,) for p in parts)))

    def save_model(self, request, obj, form, change):
        if not change:
            obj.volume = obj.section.volume
            obj.source_file = obj.source_file or "（编辑新增）"
            obj.line_start = obj.line_start or 0
            obj.line_end = obj.line_end or 0
            last = Entry.objects.filter(volume=obj.volume).aggregate(m=Max("position"))["m"]
            obj.position = (last or 0) + 1
        if change and {"people", "organisations"} & set(form.changed_data):
            editing.mark_mentions_edited(obj)
        moved = False
        if change and request.resolver_match and request.resolver_match.url_name.endswith("_simple_history"):
            # A revert brings back the old version's place in book order too; that
            # place may be another entry's now. Keep today's and move it properly.
            stored = Entry.objects.filter(pk=obj.pk).values("position", "section_id").first()
            obj.position = stored["position"]
            moved = stored["section_id"] != obj.section_id
        super().save_model(request, obj, form, change)
        if not change or "section" in form.changed_data or moved:
            editing.move_entries([obj], obj.section, user=request.user)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        request.history_version = version_id
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        version = Entry.history.filter(history_id=getattr(request, "history_version", None)).first()
        if version is None:
            return form
        # The mentions as that version had them (the form would show today's): a revert restores them.
        initial = editing.mentions_at(version)

        class VersionForm(form):
            def __init__(self, *args, **kwargs):
                kwargs["initial"] = {**initial, **(kwargs.get("initial") or {})}
                super().__init__(*args, **kwargs)

        return VersionForm

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            instance._history_user = request.user
            instance.save()
        for deleted in formset.deleted_objects:
            deleted._history_user = request.user
            deleted.delete()
        formset.save_m2m()

    # -- split and merge views --

    def get_urls(self):
        urls = super().get_urls()
        own = [
            path("<int:pk>/split/", self.admin_site.admin_view(self.split_view), name="gazetteer_entry_split"),
            path("<int:pk>/merge/", self.admin_site.admin_view(self.merge_view), name="gazetteer_entry_merge"),
            path("deleted/", self.admin_site.admin_view(self.deleted_view), name="gazetteer_entry_deleted"),
        ]
        return own + urls

    def _editable(self, request, pk):
        entry = get_object_or_404(Entry.objects.select_related("volume", "section"), pk=pk)
        if not self.has_change_permission(request, entry):
            raise PermissionDenied
        return entry

    def split_view(self, request, pk):
        entry = self._editable(request, pk)
        paragraphs = entry.paragraphs
        error = None
        if request.method == "POST":
            try:
                at = int(request.POST.get("at", ""))
                new = editing.split_entry(entry, at, title=request.POST.get("title", ""), user=request.user)
            except (ValueError, ValidationError) as e:
                error = e.messages[0] if isinstance(e, ValidationError) else "请选择拆分的位置"
            else:
                self.message_user(request, f"已拆分：「{entry.title}」之后新增「{new.title}」。", messages.SUCCESS)
                return redirect("admin:gazetteer_entry_change", new.pk)
        return TemplateResponse(
            request,
            "admin/gazetteer/entry/split.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"拆分条目：{entry.title}",
                "entry": entry,
                "paragraphs": list(enumerate(paragraphs)),
                "error": error,
            },
        )

    def merge_view(self, request, pk):
        entry = self._editable(request, pk)
        direction = request.GET.get("with") or request.POST.get("with") or "next"
        if direction == "previous":
            first, second = editing.previous_entry(entry), entry
        else:
            first, second = entry, editing.next_entry(entry)
        if first is None or second is None:
            self.message_user(request, "这是本卷的第一条或最后一条，没有可合并的相邻条目。", messages.ERROR)
            return redirect("admin:gazetteer_entry_change", entry.pk)
        if not self.has_delete_permission(request, second):
            raise PermissionDenied
        if request.method == "POST":
            try:
                merged = editing.merge_entries(
                    first, second, title_as_paragraph=bool(request.POST.get("title_as_paragraph")), user=request.user
                )
            except ValidationError as e:
                self.message_user(request, e.messages[0], messages.ERROR)
                return redirect("admin:gazetteer_entry_change", entry.pk)
            self.message_user(request, f"已合并：「{second.title}」并入「{merged.title}」。", messages.SUCCESS)
            return redirect("admin:gazetteer_entry_change", merged.pk)
        return TemplateResponse(
            request,
            "admin/gazetteer/entry/merge.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "合并相邻条目",
                "entry": entry,
                "first": first,
                "second": second,
                "direction": direction,
            },
        )

    def deleted_view(self, request):
        if not (self.has_change_permission(request) and self.has_add_permission(request)):
            raise PermissionDenied
        if request.method == "POST":
            try:
                entry = editing.restore_entry(int(request.POST.get("history_id", "0")), user=request.user)
            except (ValueError, ValidationError) as e:
                self.message_user(request, e.messages[0] if isinstance(e, ValidationError) else "请选择要恢复的条目", messages.ERROR)
                return redirect("admin:gazetteer_entry_deleted")
            self.message_user(request, f"已恢复「{entry.title}」。", messages.SUCCESS)
            return redirect("admin:gazetteer_entry_change", entry.pk)
        rows = Paginator(editing.deleted_entries(), 50).get_page(request.GET.get("page"))
        titles = dict(Volume.objects.values_list("pk", "title"))
        for row in rows:
            row.volume_title = titles.get(row.volume_id, "（卷册已删除）")
        return TemplateResponse(
            request,
            "admin/gazetteer/entry/deleted.html",
            {**self.admin_site.each_context(request), "opts": self.model._meta, "title": "已删除的条目", "rows": rows},
        )

    # -- list actions --

    @admin.action(description="移到另一目录节点……", permissions=["change"])
    def move_to_section(self, request, queryset):
        entries = list(queryset.select_related("volume"))
        volumes = {e.volume_id for e in entries}
        if len(volumes) != 1:
            self.message_user(request, "一次只能移动同一卷中的条目。", messages.ERROR)
            return None
        volume = entries[0].volume
        sections = Section.objects.filter(volume=volume).order_by("position")
        if request.POST.get("section"):
            section = sections.filter(pk=as_id(request.POST["section"])).first()
            if section is None:
                self.message_user(request, f"《{volume.title}》中没有所选的目录节点。", messages.ERROR)
                return None
            moved = editing.move_entries(entries, section, at_start=request.POST.get("where") == "start", user=request.user)
            self.message_user(request, f"已将 {moved} 条移到「{section.title}」。", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/gazetteer/entry/move.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "移动条目",
                "entries": sorted(entries, key=lambda e: e.position),
                "volume": volume,
                "sections": [(s.pk, "\u3000" * (s.level - 1) + s.title) for s in sections],
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="在本目录内上移一条", permissions=["change"])
    def move_up(self, request, queryset):
        moved = editing.shift_entries(list(queryset), -1, user=request.user)
        self.message_user(request, f"已上移 {moved} 条。")

    @admin.action(description="在本目录内下移一条", permissions=["change"])
    def move_down(self, request, queryset):
        moved = editing.shift_entries(list(queryset), +1, user=request.user)
        self.message_user(request, f"已下移 {moved} 条。")

    @admin.action(description="合并所选的相邻条目（并入第一条）", permissions=["change", "delete"])
    def merge_selected(self, request, queryset):
        entries = list(queryset.order_by("volume", "position"))
        if len(entries) < 2:
            self.message_user(request, "请至少选择两条相邻的条目；单条请在条目页用“与下一条合并”。", messages.ERROR)
            return
        first = entries[0]
        try:
            for second in entries[1:]:
                first = editing.merge_entries(first, second, user=request.user)
        except ValidationError as e:
            self.message_user(request, e.messages[0], messages.ERROR)
            return
        self.message_user(request, f"已将 {len(entries) - 1} 条并入「{first.title}」。", messages.SUCCESS)


# --- people and organisations ------------------------------------------------------


class AppointmentInline(admin.TabularInline):
    model = Appointment
    fields = ["volume", "organisation", "title", "note", "start_month", "end_month", "line"]
    readonly_fields = ["line"]
    autocomplete_fields = ["organisation", "volume"]
    extra = 0


def _save_appointments(request, formset):
    for instance in formset.save(commit=False):
        if instance.position is None:
            last = Appointment.objects.filter(volume=instance.volume).aggregate(m=Max("position"))["m"]
            instance.position = (last or 0) + 1
        instance._history_user = request.user
        instance.save()
    for deleted in formset.deleted_objects:
        deleted._history_user = request.user
        deleted.delete()
    formset.save_m2m()


@admin.register(Person)
class PersonAdmin(PersonSplitMixin, HistoryAdmin):
    list_display = ["name", "region", "aliases", "notes", "appointment_count"]
    list_filter = ["region"]
    search_fields = ["name", "aliases", "loaded_name"]
    readonly_fields = ["loaded_name", "context"]
    inlines = [AppointmentInline]
    actions = ["merge_people"]
    list_per_page = 100

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(appointment_count=Count("appointments"))

    @admin.display(description="任职数", ordering="appointment_count")
    def appointment_count(self, person):
        return person.appointment_count

    def save_formset(self, request, form, formset, change):
        _save_appointments(request, formset)

    @admin.action(description="合并所选人物……", permissions=["change", "delete"])
    def merge_people(self, request, queryset):
        people = list(
            queryset.annotate(
                n_appointments=Count("appointments", distinct=True),
                n_bylines=Count("bylines", distinct=True),
                n_photos=Count("photos", distinct=True),
                n_speeches=Count("speeches", distinct=True),
                n_mentions=Count("mentioned_in", distinct=True),
            )
        )
        if len(people) < 2:
            self.message_user(request, "请至少选择两个人物。", messages.ERROR)
            return None
        if request.POST.get("keep"):
            keep = next((p for p in people if str(p.pk) == request.POST["keep"]), None)
            if keep is None:
                self.message_user(request, "要保留的人物不在所选之中。", messages.ERROR)
                return None
            others = [p for p in people if p.pk != keep.pk]
            moved = editing.merge_people(keep, others, user=request.user)
            self.message_user(
                request,
                f"已将 {'、'.join(p.name for p in others)} 并入「{keep.name}」：任职 {moved['appointments']}，"
                f"署名 {moved['bylines']}，摄影 {moved['captions']}，讲话 {moved['speeches']}，提及 {moved['mentions']}。",
                messages.SUCCESS,
            )
            return redirect("admin:gazetteer_person_change", keep.pk)
        return TemplateResponse(
            request,
            "admin/gazetteer/person/merge.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "合并人物",
                "people": people,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(Organisation)
class OrganisationAdmin(HistoryAdmin):
    list_display = ["name", "region", "aliases"]
    list_filter = ["region"]
    search_fields = ["name", "aliases", "loaded_name"]
    readonly_fields = ["loaded_name"]
    actions = ["merge_organisations"]

    @admin.action(description="合并所选机构……", permissions=["change", "delete"])
    def merge_organisations(self, request, queryset):
        organisations = list(
            queryset.annotate(
                n_appointments=Count("appointments", distinct=True), n_mentions=Count("mentioned_in", distinct=True)
            )
        )
        if len(organisations) < 2:
            self.message_user(request, "请至少选择两个机构。", messages.ERROR)
            return None
        if request.POST.get("keep"):
            keep = next((o for o in organisations if str(o.pk) == request.POST["keep"]), None)
            if keep is None:
                self.message_user(request, "要保留的机构不在所选之中。", messages.ERROR)
                return None
            others = [o for o in organisations if o.pk != keep.pk]
            moved = editing.merge_organisations(keep, others, user=request.user)
            self.message_user(
                request,
                f"已将 {'、'.join(o.name for o in others)} 并入「{keep.name}」：任职 {moved['appointments']}，提及 {moved['mentions']}。",
                messages.SUCCESS,
            )
            return redirect("admin:gazetteer_organisation_change", keep.pk)
        return TemplateResponse(
            request,
            "admin/gazetteer/organisation/merge.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "合并机构",
                "organisations": organisations,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(Appointment)
class AppointmentAdmin(HistoryAdmin):
    list_display = ["person", "title", "organisation", "volume", "note", "start_month", "end_month", "line"]
    list_filter = ["volume", "end_month", "start_month"]
    search_fields = ["person__name", "organisation__name", "title"]
    autocomplete_fields = ["person", "organisation", "volume"]
    list_select_related = ["person", "organisation", "volume"]
    exclude = ["position"]
    readonly_fields = ["source_file", "line"]

    def save_model(self, request, obj, form, change):
        if obj.position is None:
            last = Appointment.objects.filter(volume=obj.volume).aggregate(m=Max("position"))["m"]
            obj.position = (last or 0) + 1
        super().save_model(request, obj, form, change)


@admin.register(Caption)
class CaptionAdmin(HistoryAdmin):
    list_display = ["text", "credit", "entry"]
    search_fields = ["text", "credit"]
    autocomplete_fields = ["entry", "credit_person"]
    list_select_related = ["entry"]


@admin.register(Byline)
class BylineAdmin(HistoryAdmin):
    list_display = ["person", "entry", "position"]
    search_fields = ["person__name", "entry__title"]
    autocomplete_fields = ["person", "entry"]
    list_select_related = ["person", "entry"]


@admin.register(Tombstone)
class TombstoneAdmin(admin.ModelAdmin):
    """Read-only: what the URLs of gone entries, sections, people and organisations answer (restoring an entry removes its tombstone)."""

    list_display = ["object_id", "model", "title", "volume_slug", "reason", "replaced_by", "at"]
    list_filter = ["model", "reason", "volume_slug"]
    search_fields = ["title", "=object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
