"""The read-only JSON API. Other tools build on these shapes: change them only by adding keys."""

from pathlib import Path

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from . import figures, tombstones
from .dates import EntryDate
from .ids import as_id
from .models import Appointment, Entry, Person, Section, Volume
from .search.service import SearchForm, SearchUnavailable, search

PEOPLE_PER_PAGE = 50


def error(status, message):
    return JsonResponse({"error": message, "status": status}, status=status, json_dumps_params={"ensure_ascii": False})


def ok(data):
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})


def _iso(d):
    return d.isoformat() if d else None


def _date_fields(entry):
    """The date as the text gives it: how precise, as printed, lunar, and the reader's label."""
    when = EntryDate.of(entry)
    return {
        "year": entry.year,  # also before the common era, where ``date`` is null: -651
        "date_precision": when.precision if when else None,
        "date_label": when.text if when else None,
        "date_printed": entry.date_printed,
        "lunar": entry.lunar,
    }


def gone(request, model, pk, route):
    """An id that no longer exists: 301 to the record it was merged into, else 410 with the links, else 404."""
    stone, live = tombstones.find(model, pk)
    if stone is None:
        return error(404, f"no {stone_kind(model)} {pk}")
    if tombstones.redirects(stone, live):
        return HttpResponsePermanentRedirect(reverse(route, args=[live.pk]))
    volume = Volume.objects.filter(slug=stone.volume_slug).first()
    data = {
        "error": f"{stone_kind(model)} {pk} is gone: {stone.get_reason_display()}",
        "status": 410,
        "gone": {
            "id": pk,
            "title": stone.title,
            "reason": stone.reason,
            "at": stone.at.isoformat(),
            "volume": request.build_absolute_uri(reverse("api-volume", args=[volume.slug])) if volume else None,
            "replaced_by": request.build_absolute_uri(reverse(route, args=[live.pk])) if live else None,
        },
    }
    return JsonResponse(data, status=410, json_dumps_params={"ensure_ascii": False})


def stone_kind(model):
    return model._meta.model_name


@require_safe
def volumes(request):
    counts = figures.Figures().entries_per_volume()
    rows = Volume.objects.order_by("-year", "slug")
    return ok({"volumes": [_volume(request, v) | {"entry_count": counts.get(v.pk, 0)} for v in rows]})


def _volume(request, v):
    return {
        "slug": v.slug,
        "title": v.title,
        "kind": v.kind,
        "region": v.region,
        "compiler": v.compiler,
        "year": v.year,
        "year_covered": v.year_covered,
        "url": request.build_absolute_uri(v.get_absolute_url()),
    }


def toc_tree(volume, entries=True):
    """Return the volume's sections as nested dicts in book order, with two queries."""
    nodes, roots = {}, []
    for s in Section.objects.filter(volume=volume).order_by("position"):
        node = {
            "id": s.pk,
            "title": s.title,
            "alt_titles": s.alt_titles,
            "level": s.level,
            "page": s.page,
            "digitized": s.digitized,
        }
        if entries:
            node["entries"] = []
        node["children"] = []
        nodes[s.pk] = node
        (nodes[s.parent_id]["children"] if s.parent_id else roots).append(node)
    if entries:
        for e in Entry.objects.filter(volume=volume).order_by("position").values("id", "title", "kind", "date", "section_id"):
            nodes[e["section_id"]]["entries"].append(
                {"id": e["id"], "title": e["title"], "kind": e["kind"], "date": _iso(e["date"])}
            )
    return roots


@require_safe
def volume_detail(request, slug):
    volume = Volume.objects.annotate(entry_count=Count("entries")).filter(slug=slug).first()
    if volume is None:
        return error(404, f"no volume {slug!r}")
    data = _volume(request, volume) | {"entry_count": volume.entry_count}
    data["sections"] = toc_tree(volume)
    return ok(data)


def section_titles(section):
    """Titles from the 类目 down to this section, using the volume's cached sections."""
    return [s.title for s in section.path()]


@require_safe
def entry_detail(request, pk):
    if as_id(pk) is None:
        return error(404, f"no entry {pk}")
    entry = (
        Entry.objects.select_related("volume", "section__parent__parent__parent")
        .prefetch_related("bylines__person", "captions")
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        return gone(request, Entry, pk, "api-entry")
    return ok(
        {
            "id": entry.pk,
            "title": entry.title,
            "alt_titles": entry.alt_titles,
            "untitled": entry.untitled,
            "kicker": entry.kicker,
            "subtitle": entry.subtitle,
            "kind": entry.kind,
            "volume": entry.volume.slug,
            "volume_title": entry.volume.title,
            "section_path": section_titles(entry.section),
            "page": entry.page,
            "date": _iso(entry.date),
            "date_end": _iso(entry.date_end),
            **_date_fields(entry),
            "speaker": entry.speaker,
            "speaker_title": entry.speaker_title,
            "source_tag": entry.source_tag,
            "text": entry.text,
            "authors": [b.person.name for b in entry.bylines.all()],
            "captions": [{"text": c.text, "credit": c.credit} for c in entry.captions.all()],
            "tables": entry.tables,
            "notes": entry.notes,
            "source": _source(entry),
            "url": request.build_absolute_uri(entry.get_absolute_url()),
        }
    )


def _source(entry):
    """Where the entry stands: ``file_end`` only when its last line is in a later file."""
    source = {"file": entry.source_file, "line_start": entry.line_start, "line_end": entry.line_end}
    if entry.source_file_end and entry.source_file_end != entry.source_file:
        source["file_end"] = entry.source_file_end
    return source


def _person(request, p):
    return {
        "id": p.pk,
        "name": p.name,
        "region": p.region,
        "aliases": p.aliases,
        "notes": p.notes,
        "appointments": [
            {
                "title": a.title,
                "organisation": a.organisation.name,
                "volume": a.volume.slug,
                "note": a.note,
                "start_month": a.start_month,
                "end_month": a.end_month,
            }
            for a in p.appointments.all()
        ],
        "url": request.build_absolute_uri(p.get_absolute_url()),
    }


def _people():
    return Person.objects.prefetch_related(
        Prefetch("appointments", Appointment.objects.select_related("organisation", "volume"))
    )


@require_safe
def people(request):
    q = request.GET.get("q", "").strip()
    if len(q) > 50:
        return error(400, "q: at most 50 characters")
    if "\x00" in q:
        # PostgreSQL cannot store or compare NUL characters: refuse, do not fail.
        return error(400, "q: must not contain NUL characters")
    rows = _people()
    if q:
        # Aliases are a JSON list; a substring test on its text finds a name in it.
        rows = rows.filter(Q(name__contains=q) | Q(aliases__icontains=q) | Q(loaded_name__contains=q))
    try:
        page_number = int(request.GET.get("page", "1"))
    except ValueError:
        return error(400, "page: must be a whole number")
    paginator = Paginator(rows.order_by("name"), PEOPLE_PER_PAGE)
    if not 1 <= page_number <= max(paginator.num_pages, 1):
        return error(400, f"page: must be between 1 and {paginator.num_pages}")
    page = paginator.page(page_number)
    found = []
    for p in page:
        row = _person(request, p)
        if q and q not in p.name:
            # Found by another spelling: say which one, and that the archive files the person under "name".
            row["matched_alias"] = next((a for a in [*p.aliases, p.loaded_name] if q in a), None)
        found.append(row)
    return ok({"query": q, "total": paginator.count, "page": page_number, "pages": paginator.num_pages, "people": found})


@require_safe
def person_detail(request, pk):
    person = _people().filter(pk=as_id(pk)).first() if as_id(pk) else None
    if person is None:
        return gone(request, Person, pk, "api-person")
    return ok(_person(request, person))


@require_safe
def search_entries(request):
    form = SearchForm(request.GET)
    if not form.is_valid():
        return error(400, form.error_message())
    try:
        result = search(form.cleaned_data, request=request, aliased=figures.Figures().aliased())
    except SearchUnavailable:
        return error(503, "search is unavailable: the index cannot be read")
    if result.pages and result.page > result.pages:
        return error(400, f"page: must be between 1 and {result.pages}")
    return ok(result.as_json())


def not_found(request, rest=""):
    return error(404, f"no such API endpoint: /api/{rest}")


OPENAPI = Path(__file__).with_name("openapi.json")


@require_safe
def openapi(request):
    """Serve the OpenAPI 3 description of this API (gazetteer/openapi.json, kept by hand)."""
    return HttpResponse(OPENAPI.read_bytes(), content_type="application/json")
