"""Home, the volumes, a volume's 目录, a section and an entry (with its citations)."""

from __future__ import annotations

from collections import OrderedDict

from django.db.models import Count, F, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .. import citations, figures
from ..api import toc_tree
from ..citations import citation, entry_authors
from ..models import Caption, Entry, Section, Volume
from ..pinyin import pinyin_key
from ..search.highlight import highlight
from ..search.query import parse_query
from ..search.service import MAX_QUERY_LENGTH
from .helpers import (
    PER_PAGE,
    clean_param,
    gone,
    paginate,
    url_with,
)

HOME_VOLUMES_PER_KIND = 6
HOME_REGIONS = 12
LATEST_DAYS = 4
LATEST_PER_DAY = 5

# --- pages ---------------------------------------------------------------------------


def home(request):
    # The newest few volumes of each kind; /volumes/ lists them all.
    per_kind, shown = {}, []
    for pk, kind in Volume.objects.order_by("kind", F("year").desc(nulls_last=True), "slug").values_list(
        "pk", "kind"
    ):
        per_kind[kind] = per_kind.get(kind, 0) + 1
        if per_kind[kind] <= HOME_VOLUMES_PER_KIND:
            shown.append(pk)
    archive = figures.Figures()  # counted once per change of the archive, not per request
    volumes = list(Volume.objects.filter(pk__in=shown).order_by("kind", "-year", "slug"))
    per_volume = archive.entries_per_volume()
    for v in volumes:
        v.entry_count = per_volume.get(v.pk, 0)
    kinds = OrderedDict()
    for v in volumes:
        kinds.setdefault(
            v.kind, {"label": v.get_kind_display(), "kind": v.kind, "count": per_kind[v.kind], "volumes": []}
        )["volumes"].append(v)
    # The latest 大事记 days, a few items each: the archive may hold many volumes covering
    # the same days, so the rest of a day is one link away. Only items dated to the day:
    # a 是月 item stored from the 1st of its month did not happen on the 1st.
    dated = Entry.objects.chronicle().exclude(date=None).filter(date_precision__in=["day", ""])
    in_day = {"partition_by": F("date"), "order_by": [F("volume__slug").asc(), F("position").asc()]}
    latest, day_counts = {}, {}
    # One query: the first items of each of the latest days, with the day's count.
    for item in (
        dated.filter(date__in=dated.order_by("-date").values("date").distinct()[:LATEST_DAYS])
        .select_related("volume")
        .annotate(rank=Window(RowNumber(), **in_day), day_count=Window(Count("*"), partition_by=F("date")))
        .filter(rank__lte=LATEST_PER_DAY)
        .order_by("-date", "volume__slug", "position")
    ):
        latest.setdefault(item.date, []).append(item)
        day_counts[item.date] = item.day_count
    days = [
        {
            "date": day,
            "items": items,
            "more": day_counts[day] - len(items),
            "url": f"{reverse('chronicle')}?date_from={day.isoformat()}&date_to={day.isoformat()}",
        }
        for day, items in latest.items()
    ]
    # A city archive's regions: the home page names those with most volumes; /volumes/
    # lists them all.
    regions = list(
        Volume.objects.exclude(region="").values("region").annotate(n=Count("*")).order_by("region")
    )
    region_count = len(regions)
    if region_count > HOME_REGIONS:
        regions = sorted(sorted(regions, key=lambda r: -r["n"])[:HOME_REGIONS], key=lambda r: r["region"])
    by_kind = archive.entries_by_kind()
    counts = {
        "entries": sum(by_kind.values()),
        "chronicle": by_kind.get(Entry.Kind.CHRONICLE, 0),
        "speeches": by_kind.get(Entry.Kind.SPEECH, 0),
    }
    return render(
        request,
        "gazetteer/home.html",
        {
            "volume_count": sum(per_kind.values()),
            "kinds": sorted(kinds.values(), key=lambda k: Volume.Kind.values.index(k["kind"])),
            "regions": regions,
            "region_count": region_count,
            "counts": counts,
            "person_count": archive.people(),
            "organisation_count": archive.organisations(),
            "days": days,
        },
    )


def volumes(request):
    """List every volume, newest first, filtered by kind and region."""
    rows = Volume.objects.order_by("-year", "title", "slug")
    kind = request.GET.get("kind", "")
    region = clean_param(request, "region", 100)
    if kind and kind not in Volume.Kind.values:
        raise Http404(f"没有这一类文献：{kind}")
    if kind:
        rows = rows.filter(kind=kind)
    if region:
        rows = rows.filter(region=region)
    kinds = Volume.objects.values("kind").annotate(n=Count("*")).order_by("kind")
    regions = Volume.objects.exclude(region="").values("region").annotate(n=Count("*")).order_by("region")
    page = paginate(request, rows, PER_PAGE)
    # Entries counted for this page's volumes only: counting them for every volume (a
    # GROUP BY over every entry of the archive) made the page grow with the archive.
    counts = dict(
        Entry.objects.filter(volume__in=[v.pk for v in page])
        .values_list("volume")
        .annotate(n=Count("*"))
        .order_by()
    )
    for v in page:
        v.entry_count = counts.get(v.pk, 0)
    return render(
        request,
        "gazetteer/volumes.html",
        {
            "page": page,
            "kind": kind,
            "kind_label": Volume.Kind(kind).label if kind else "",
            "region": region,
            "kinds": [
                {
                    "label": Volume.Kind(k["kind"]).label,
                    "count": k["n"],
                    "active": k["kind"] == kind,
                    "url": url_with(request, page=None, kind=None if k["kind"] == kind else k["kind"]),
                }
                for k in kinds
            ],
            "regions": [
                {
                    "label": r["region"],
                    "count": r["n"],
                    "active": r["region"] == region,
                    "url": url_with(
                        request, page=None, region=None if r["region"] == region else r["region"]
                    ),
                }
                for r in regions
            ],
        },
    )


def _count_entries(nodes):
    """Add ``count`` (entries in the node and below) to the TOC nodes, in place."""
    total = 0
    for node in nodes:
        node["count"] = len(node["entries"]) + _count_entries(node["children"])
        total += node["count"]
    return total


def render_toc(nodes, slug):
    """Return the 目录 as nested lists of safe HTML.

    Built in Python rather than by a recursive template include: a yearbook's 目录 has
    1,300 nodes and entries, which the include took ~50 ms to render and this takes ~3.
    Every string from the database passes through ``escape``.
    """
    section_url = reverse("section", args=[slug, 999999999]).replace("999999999", "{}")
    entry_url = reverse("entry", args=[999999999]).replace("999999999", "{}")
    out = []

    def walk(nodes, root=False):
        out.append('<ol class="toc" id="toc">' if root else '<ol class="toc">')
        for n in nodes:
            title = escape(n["title"])
            has_body = n["children"] or n["entries"]
            out.append(
                f'<li class="toc-node level{n["level"]}{"" if n["digitized"] else " missing"}"><div class="toc-row">'
            )
            if has_body:
                out.append(
                    f'<button type="button" class="toggle" aria-expanded="true" aria-controls="toc-{n["id"]}" hidden>'
                    f'<span class="visually-hidden">展开／收起“{title}”</span></button>'
                )
            if n["digitized"]:
                out.append(f'<a class="toc-title" href="{section_url.format(n["id"])}">{title}</a>')
            else:
                out.append(f'<span class="toc-title">{title}</span><span class="badge">未数字化</span>')
            out.append('<span class="leader" aria-hidden="true"></span>')
            if n["count"]:
                out.append(f'<span class="count">{n["count"]} 条</span>')
            page = (
                f'<span class="visually-hidden">第</span>{n["page"]}<span class="visually-hidden">页</span>'
                if n["page"]
                else ""
            )
            out.append(f'<span class="page">{page}</span></div>')
            if has_body:
                out.append(f'<div class="toc-body" id="toc-{n["id"]}">')
                if n["entries"]:
                    out.append('<ol class="toc-entries">')
                    for e in n["entries"]:
                        date = (
                            f' <time datetime="{e["date"]}">{e["date"]}</time>'
                            if e["date"] and e["kind"] == Entry.Kind.CHRONICLE
                            else ""
                        )
                        out.append(
                            f'<li><a href="{entry_url.format(e["id"])}">{escape(e["title"])}</a>{date}</li>'
                        )
                    out.append("</ol>")
                if n["children"]:
                    walk(n["children"])
                out.append("</div>")
            out.append("</li>")
        out.append("</ol>")

    walk(nodes, root=True)
    return mark_safe("".join(out))


def volume(request, slug):
    volume = get_object_or_404(Volume.objects.annotate(entry_count=Count("entries")), slug=slug)
    toc = toc_tree(volume)
    _count_entries(toc)
    sections = Section.objects.filter(volume=volume).aggregate(
        total=Count("id"), missing=Count("id", filter=Q(digitized=False))
    )
    kinds = [
        (Entry.Kind(row["kind"]).label, row["n"])
        for row in Entry.objects.filter(volume=volume).values("kind").annotate(n=Count("*")).order_by("-n")
    ]
    return render(
        request,
        "gazetteer/volume.html",
        {"volume": volume, "toc": render_toc(toc, volume.slug), "sections": sections, "kinds": kinds},
    )


def _on_volume(sections, volume):
    """Give sections their (already loaded) volume, so their URLs need no query each."""
    sections = list(sections)
    for s in sections:
        if s is not None:
            s.volume = volume
    return sections


def section(request, slug, pk):
    section = (
        Section.objects.select_related("volume", "parent__parent__parent__parent")
        .filter(volume__slug=slug, pk=pk)
        .first()
    )
    if section is None:
        return gone(request, Section, pk)
    entries = paginate(request, section.entries.order_by("position"), PER_PAGE)
    children = _on_volume(
        section.children.annotate(entry_count=Count("entries")).order_by("position"), section.volume
    )
    siblings = Section.objects.filter(volume=section.volume, level=section.level).only(
        "id", "title", "volume_id"
    )
    previous = siblings.filter(position__lt=section.position).order_by("-position").first()
    following = siblings.filter(position__gt=section.position).order_by("position").first()
    return render(
        request,
        "gazetteer/section.html",
        {
            "section": section,
            "ancestors": _on_volume(section.ancestors(), section.volume),
            "entries": entries,
            "children": children,
            "previous": _on_volume([previous], section.volume)[0],
            "next": _on_volume([following], section.volume)[0],
        },
    )


def entry(request, pk):
    entry = (
        Entry.objects.select_related("volume", "section__parent__parent__parent__parent", "speaker_person")
        .prefetch_related(
            "bylines__person",
            Prefetch("captions", Caption.objects.select_related("credit_person").order_by("position")),
            "people",
            "organisations",
        )
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        return gone(request, Entry, pk)
    q = clean_param(request, "q", MAX_QUERY_LENGTH)
    terms = parse_query(q).terms if q else frozenset()
    siblings = Entry.objects.filter(volume=entry.volume).only("id", "title", "position", "volume_id")
    permalink = request.build_absolute_uri(entry.get_absolute_url())
    return render(
        request,
        "gazetteer/entry.html",
        {
            "entry": entry,
            "q": q if terms else "",
            "title_html": mark_safe(highlight(entry.title, terms)),
            # highlight() escapes the text before marking it, so its output is safe HTML.
            "paragraphs": [mark_safe(highlight(p, terms)) for p in entry.paragraphs],
            "captions": [(c, mark_safe(highlight(c.text, terms))) for c in entry.captions.all()],
            "tables": [_table(t) for t in entry.tables],
            "authors": entry_authors(entry),
            "people": sorted(entry.people.all(), key=lambda p: pinyin_key(p.name)),
            "organisations": sorted(entry.organisations.all(), key=lambda o: pinyin_key(o.name)),
            "path": _on_volume(entry.section.path(), entry.volume),
            "previous": siblings.filter(position__lt=entry.position).order_by("-position").first(),
            "next": siblings.filter(position__gt=entry.position).order_by("position").first(),
            "permalink": permalink,
            "citation": citation(entry, permalink, timezone.localdate()),
            "citation_meta": citations.highwire(entry, permalink),
        },
    )


def entry_cite(request, pk, fmt):
    """The entry as a reference manager imports it: RIS, BibTeX or CSL-JSON."""
    entry = get_object_or_404(
        Entry.objects.select_related("volume").prefetch_related("bylines__person"), pk=pk
    )
    body, content_type = citations.export(
        entry, request.build_absolute_uri(entry.get_absolute_url()), fmt, timezone.localdate()
    )
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="entry-{entry.pk}.{fmt}"'
    return response


def _table(table):
    """Split a stored table into caption, header rows and body rows.

    The loader keeps every row as it was printed; the rows before the first one whose
    first cell is filled (after the first row) are the header (a two-line header spans
    “十三五”目标 over 2020年 / 年均增长).
    """
    rows = table.get("rows") or []
    head = 1 if rows else 0
    while head < len(rows) and not (rows[head][0] if rows[head] else ""):
        head += 1
    if head >= len(rows):
        head = 1 if rows else 0
    return {"caption": table.get("caption", ""), "head": rows[:head], "body": rows[head:]}
