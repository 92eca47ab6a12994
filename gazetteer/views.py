"""The reader's pages."""

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, render

from .api import toc_tree
from .models import Appointment, Entry, Organisation, Person, Section, Volume
from .search.service import MAX_QUERY_LENGTH, SearchForm, SearchUnavailable, search

PER_PAGE = 50


def home(request):
    volumes = Volume.objects.annotate(entry_count=Count("entries")).order_by("kind", "-year")
    return render(
        request,
        "gazetteer/home.html",
        {
            "volumes": volumes,
            "entry_count": Entry.objects.count(),
            "person_count": Person.objects.count(),
            "latest_chronicle": Entry.objects.chronicle().exclude(date=None).select_related("volume").order_by("-date", "-position")[:8],
        },
    )


def volume(request, slug):
    volume = get_object_or_404(Volume.objects.annotate(entry_count=Count("entries")), slug=slug)
    return render(request, "gazetteer/volume.html", {"volume": volume, "toc": toc_tree(volume)})


def section(request, slug, pk):
    section = get_object_or_404(Section.objects.select_related("volume", "parent__parent__parent"), volume__slug=slug, pk=pk)
    entries = Paginator(section.entries.order_by("position"), PER_PAGE).get_page(request.GET.get("page"))
    children = section.children.annotate(entry_count=Count("entries")).order_by("position")
    return render(request, "gazetteer/section.html", {"section": section, "entries": entries, "children": children})


def entry(request, pk):
    entry = get_object_or_404(
        Entry.objects.select_related("volume", "section__parent__parent__parent", "speaker_person").prefetch_related(
            "bylines__person", "captions__credit_person", "people", "organisations"
        ),
        pk=pk,
    )
    siblings = Entry.objects.filter(volume=entry.volume).only("id", "title", "position")
    return render(
        request,
        "gazetteer/entry.html",
        {
            "entry": entry,
            "previous": siblings.filter(position__lt=entry.position).order_by("-position").first(),
            "next": siblings.filter(position__gt=entry.position).order_by("position").first(),
        },
    )


def people(request):
    q = request.GET.get("q", "").strip()[:50]
    rows = Person.objects.annotate(appointment_count=Count("appointments")).order_by("name")
    if q:
        rows = rows.filter(name__contains=q)
    return render(request, "gazetteer/people.html", {"q": q, "people": Paginator(rows, PER_PAGE * 2).get_page(request.GET.get("page"))})


def person(request, pk):
    person = get_object_or_404(
        Person.objects.prefetch_related(
            Prefetch("appointments", Appointment.objects.select_related("organisation", "volume")),
        ),
        pk=pk,
    )
    return render(
        request,
        "gazetteer/person.html",
        {
            "person": person,
            "speeches": person.speeches.select_related("volume").order_by("date"),
            "authored": person.authored.select_related("volume").order_by("volume", "position")[:100],
            "photos": person.photos.select_related("entry")[:100],
            "mentioned": person.mentioned_in.select_related("volume").order_by("volume", "position")[:100],
        },
    )


def organisation(request, pk):
    org = get_object_or_404(Organisation, pk=pk)
    appointments = org.appointments.select_related("person", "volume").order_by("volume", "position")
    return render(
        request,
        "gazetteer/organisation.html",
        {
            "organisation": org,
            "appointments": appointments,
            "mentioned": org.mentioned_in.select_related("volume").order_by("volume", "position")[:100],
        },
    )


def search_page(request):
    form = SearchForm(request.GET)
    context = {"form": form, "max_length": MAX_QUERY_LENGTH, "volumes": Volume.objects.order_by("-year", "slug")}
    status = 200
    if not form.is_valid():
        context["error"] = form.error_message()
        status = 400
    else:
        try:
            context["result"] = search(form.cleaned_data)
        except SearchUnavailable:
            context["unavailable"] = True
            status = 503
    return render(request, "gazetteer/search.html", context, status=status)
