"""The reader's pages: home, volume 目录, section, entry, search, 大事记, people, organisations.

Every view reads its input (a form where there are parameters), runs a fixed number of
queries whatever the size of the archive, and renders. Lists paginate; a page number out
of range is a 404, like an unknown id.
"""

from __future__ import annotations

import datetime
import re
from collections import OrderedDict
from urllib.parse import quote_plus, urlencode

from django import forms
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Window
from django.db.models.functions import RowNumber, Substr
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from . import citations, figures, tombstones
from .api import toc_tree
from .citations import DOCUMENT_TYPES, citation, entry_authors  # noqa: F401 — kept importable from views
from .dates import EntryDate, entry_date_html, year_label
from .models import Caption, Entry, Organisation, Person, Section, Volume
from .pinyin import initial_of_sort_key, pinyin_initial, pinyin_key  # noqa: F401 — pinyin_key kept importable from views
from .search.highlight import highlight
from .search.query import parse_query
from .search.service import BUDGET as SEARCH_BUDGET
from .search.service import MAX_QUERY_LENGTH, SearchForm, SearchUnavailable, search
from .search.service import PER_PAGE as SEARCH_PER_PAGE
from .timeline import person_timeline

PER_PAGE = 50
INDEX_PER_PAGE = 100
CHRONICLE_PER_PAGE = 100
HOME_VOLUMES_PER_KIND = 6
HOME_REGIONS = 12
LATEST_DAYS = 4
LATEST_PER_DAY = 5


# --- helpers -------------------------------------------------------------------------


def url_with(request, **changes):
    """Return the current path with its query string changed: a value of None removes a key.

    Facet, sort and page links are all built this way, so every filter state has its URL.
    """
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = params.urlencode()
    return request.path + ("?" + query if query else "")


# Control characters and lone surrogates: no name contains them, and PostgreSQL cannot
# even compare text with a NUL in it.
_UNSTORABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_param(request, name, limit):
    """Return a GET parameter fit for a database filter: trimmed, cut, without control characters."""
    return _UNSTORABLE.sub("", request.GET.get(name, "")).strip()[:limit]


def paginate(request, rows, per_page, param="page", count=None):
    """Return the requested page of ``rows`` with ``links`` for the template; 404 when out of range.

    ``count``: the number of rows, if known (saves the paginator's COUNT query).
    """
    paginator = Paginator(rows, per_page)
    if count is not None:
        paginator.count = count
    try:
        page = paginator.page(request.GET.get(param) or 1)
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404(f"没有这一页：{error}") from error
    page.links = page_links(request, page.number, page.paginator.num_pages, param)
    return page


def page_links(request, number, pages, param="page"):
    """Return previous/next URLs and a window of numbered page links (None marks a gap)."""
    if pages <= 1:
        return None
    shown = sorted({1, pages, *range(max(1, number - 2), min(pages, number + 2) + 1)})
    numbers, last = [], 0
    for n in shown:
        if n - last > 1:
            numbers.append(None)
        numbers.append(
            {"number": n, "url": url_with(request, **{param: n if n > 1 else None}), "current": n == number}
        )
        last = n
    return {
        "previous": url_with(request, **{param: number - 1 if number > 2 else None}) if number > 1 else None,
        "next": url_with(request, **{param: number + 1}) if number < pages else None,
        "numbers": numbers,
        "number": number,
        "pages": pages,
    }


# The stored sort keys are hexadecimal UTF-8: the keys of names whose pinyin starts with
# a letter lie between "61" (a) and "7b" (just past z); others (digits, characters
# without a reading) before or after.
_LETTER_BOUNDS = [("#", "", "61")] + [(chr(c).upper(), f"{c:02x}", f"{c + 1:02x}") for c in range(0x61, 0x7B)] + [("#", "7b", None)]


def letter_starts(rows, model=None):
    """Return ([(letter, index of its first row)], number of rows) of ``rows`` in
    ``sort_key`` order.

    With ``model`` (``rows`` is then the whole table), one count per letter over a range
    of the sort key's index, in one statement: 5 ms at 100× the sample, where grouping
    every key by its first byte took 37 ms. Otherwise (a filtered list, small) grouped.
    """
    if model is None:
        counts = (
            rows.annotate(initial=Substr("sort_key", 1, 2)).order_by("initial").values_list("initial").annotate(n=Count("*"))
        )
        counts = [(initial_of_sort_key(initial), n) for initial, n in counts]
    else:
        table, column = (connection.ops.quote_name(n) for n in (model._meta.db_table, "sort_key"))
        ranges, params = [], []
        for _, low, high in _LETTER_BOUNDS:
            ranges.append(f"(SELECT COUNT(*) FROM {table} WHERE {column} >= %s" + (f" AND {column} < %s)" if high else ")"))
            params += [low, high] if high else [low]
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(ranges), params)
            counts = [(letter, n) for (letter, _, _), n in zip(_LETTER_BOUNDS, cursor.fetchone(), strict=True)]
    starts, offset = [], 0
    for letter, n in counts:
        if n and letter not in (seen for seen, _ in starts):
            starts.append((letter, offset))
        offset += n
    return starts, offset


def letter_index(request, starts, per_page):
    """Return [(letter, url)] pointing at the page and anchor where each initial starts."""
    out = []
    for letter, i in starts:
        page = i // per_page + 1
        out.append((letter, url_with(request, page=page if page > 1 else None) + f"#letter-{letter}"))
    return out


def group_by_initial(objects, name=lambda o: o.name):
    groups = OrderedDict()
    for obj in objects:
        groups.setdefault(pinyin_initial(name(obj)), []).append(obj)
    return list(groups.items())


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
    regions = list(Volume.objects.exclude(region="").values("region").annotate(n=Count("*")).order_by("region"))
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
        Entry.objects.filter(volume__in=[v.pk for v in page]).values_list("volume").annotate(n=Count("*")).order_by()
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


def gone(request, model, pk):
    """Answer for an id (entry, section, person, organisation) that no longer exists: 301 to what it was merged into, else 410, else 404."""
    stone, live = tombstones.find(model, pk)
    if stone is None:
        raise Http404(f"没有编号为 {pk} 的{model._meta.verbose_name}")
    if tombstones.redirects(stone, live):
        query = request.GET.urlencode()
        return HttpResponsePermanentRedirect(live.get_absolute_url() + (f"?{query}" if query else ""))
    context = {
        "stone": stone,
        "kind": model._meta.verbose_name,
        "replacement": live,
        "volume": Volume.objects.filter(slug=stone.volume_slug).first(),
    }
    return render(request, "gazetteer/gone.html", context, status=410)


def section(request, slug, pk):
    section = (
        Section.objects.select_related("volume", "parent__parent__parent__parent").filter(volume__slug=slug, pk=pk).first()
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
    entry = get_object_or_404(Entry.objects.select_related("volume").prefetch_related("bylines__person"), pk=pk)
    body, content_type = citations.export(entry, request.build_absolute_uri(entry.get_absolute_url()), fmt, timezone.localdate())
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


# --- search --------------------------------------------------------------------------

FILTERS = ("volume", "kind", "year", "category", "speaker", "author", "date_from", "date_to")
FACET_LABELS = {"volume": "卷册", "kind": "类型", "year": "年份", "category": "类目"}
SORT_LABELS = [("relevance", "相关度"), ("-date", "日期（新→旧）"), ("date", "日期（旧→新）")]


def _facet_urls(request, name):
    """Return value -> ``url_with(request, page=None, name=value)`` for a parameter the
    request does not have: the rest of the query string is encoded once, not once per
    value (a facet of a large archive lists hundreds of volumes and categories)."""
    if name in request.GET:
        return lambda value: url_with(request, page=None, **{name: value})
    rest = request.GET.copy()
    rest.pop("page", None)
    prefix = request.path + "?" + (rest.urlencode() + "&" if rest else "") + quote_plus(name) + "="
    return lambda value: prefix + quote_plus(str(value))


def _facets(request, result, volume_titles):
    kind_labels = dict(Entry.Kind.choices)
    facets = []
    for name in ("volume", "kind", "year", "category"):
        active = request.GET.get(name, "")
        values = []
        facet_url = _facet_urls(request, name)
        label_of = {
            "volume": lambda value: volume_titles.get(value, value),
            "kind": lambda value: kind_labels.get(value, value),
            "year": lambda value: f"{value}年",
        }.get(name, str)
        for value, count in result.facets.get(name, {}).items():
            label = label_of(value)
            on = value == active
            values.append(
                {
                    "value": value,
                    "label": label,
                    "count": count,
                    "active": on,
                    "url": url_with(request, page=None, **{name: None}) if on else facet_url(value),
                }
            )
        if name == "year":
            values.sort(key=lambda v: v["value"], reverse=True)
        if values:
            facets.append(
                {"name": name, "label": FACET_LABELS[name], "values": values[:8], "more": values[8:]}
            )
    return facets


def _active_filters(request, volume_titles):
    kind_labels = dict(Entry.Kind.choices)
    labels = {
        "volume": lambda v: "卷册：" + volume_titles.get(v, v),
        "kind": lambda v: "类型：" + kind_labels.get(v, v),
        "year": lambda v: f"年份：{v}年",
        "category": lambda v: "类目：" + v,
        "speaker": lambda v: "讲话人：" + v,
        "author": lambda v: "作者：" + v,
        "date_from": lambda v: "起：" + v,
        "date_to": lambda v: "止：" + v,
    }
    return [
        {"label": labels[name](request.GET[name]), "url": url_with(request, page=None, **{name: None})}
        for name in FILTERS
        if request.GET.get(name)
    ]


def _suggestions(data, result):
    """Return searches that would find something, for a query that found nothing."""
    out = []
    if any(data.get(name) for name in FILTERS):
        unfiltered = search({"q": data.get("q")}, budget=SEARCH_BUDGET / 4, suggestions=False)
        if unfiltered.total:
            out.append(
                {
                    "label": f"在全部文献中检索“{result.query}”",
                    "count": unfiltered.total,
                    "url": "?" + urlencode({"q": result.query}),
                }
            )
    words = result.query.split()
    plain = not any(w == "OR" or w[0] in "-－" or any(q in w for q in '"“”「」『』＂') for w in words)
    if plain and 1 < len(words) <= 4:
        for word in words:
            found = search({"q": word}, budget=SEARCH_BUDGET / 8, suggestions=False)
            if found.total:
                out.append(
                    {"label": f"只检索“{word}”", "count": found.total, "url": "?" + urlencode({"q": word})}
                )
    return out


def search_page(request):
    form = SearchForm(request.GET)
    archive = figures.Figures()
    volume_titles = archive.volume_titles()
    context = {
        "form": form,
        "q": request.GET.get("q", "").strip(),
        "max_length": MAX_QUERY_LENGTH,
        "speakers": archive.speakers(),
        "hidden": [
            (name, request.GET[name])
            for name in ("volume", "kind", "year", "category", "author")
            if request.GET.get(name)
        ],
        "active": _active_filters(request, volume_titles),
        "sorts": [
            {
                "value": value,
                "label": label,
                "url": url_with(request, page=None, sort=None if value == "relevance" else value),
            }
            for value, label in SORT_LABELS
        ],
        "current_sort": request.GET.get("sort") or "relevance",
    }
    status = 200
    if not form.is_valid():
        context["error"] = form.error_message()
        status = 400
    else:
        try:
            result = search(form.cleaned_data)
        except SearchUnavailable:
            context["unavailable"] = True
            status = 503
        else:
            if result.pages and result.page > result.pages:
                # 400 like /api/search: the parameter is wrong, the search itself exists.
                context["page_error"] = {"pages": result.pages, "url": url_with(request, page=result.pages)}
                return render(request, "gazetteer/search.html", context, status=400)
            for hit in result.hits:
                if hit["date"]:
                    d = datetime.date.fromisoformat(hit["date"])
                    hit["date_label"] = f"{d.year}年{d.month}月{d.day}日"
            context["result"] = result
            context["facets"] = _facets(request, result, volume_titles)
            context["pages"] = page_links(request, result.page, result.pages)
            context["start"] = (result.page - 1) * SEARCH_PER_PAGE + 1
            if not result.empty and not result.total:
                context["suggestions"] = _suggestions(form.cleaned_data, result)
    return render(request, "gazetteer/search.html", context, status=status)


# --- 大事记 -----------------------------------------------------------------------------


class ChronicleForm(forms.Form):
    date_from = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    volume = forms.SlugField(required=False)
    # A year before the common era has no date to give a range of: 公元前651年 is year=-651.
    year = forms.IntegerField(required=False, min_value=-9999, max_value=9999)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("起始日期晚于截止日期")
        return data


def _chronicle(request):
    """Return (form, items queryset or None) for the 大事记 page and its exports."""
    form = ChronicleForm(request.GET)
    if not form.is_valid():
        return form, None
    # Every item with a year, also those before the common era that have no date.
    items = Entry.objects.chronicle().exclude(year=None).select_related("volume")
    data = form.cleaned_data
    if data["date_from"]:
        items = items.filter(Q(date__gte=data["date_from"]) | Q(date=None, year__gt=data["date_from"].year))
    if data["date_to"]:
        items = items.filter(Q(date__lte=data["date_to"]) | Q(date=None, year__lte=data["date_to"].year))
    if data["year"] is not None:
        items = items.filter(year=data["year"])
    if data["volume"]:
        items = items.filter(volume__slug=data["volume"])
    return form, items.order_by("year", F("date").asc(nulls_first=True), "volume__slug", "position")


def _year_url(request, year):
    """The timeline of one year: a date range, or ``year=`` for one before the common era."""
    if year >= 1:
        return url_with(request, page=None, year=None, date_from=f"{year:04d}-01-01", date_to=f"{year:04d}-12-31")
    return url_with(request, page=None, date_from=None, date_to=None, year=year)


def chronicle(request):
    form, items = _chronicle(request)
    years = figures.Figures().chronicle_years()
    context = {
        "form": form,
        "years": [
            {
                "year": year,
                "label": year_label(year),
                "count": count,
                "url": _year_url(request, year),
            }
            for year, count in years
        ],
        "volumes": Volume.objects.filter(
            Exists(Entry.objects.filter(volume=OuterRef("pk"), kind=Entry.Kind.CHRONICLE))
        ).order_by("-year", "slug"),
        "query": request.GET.urlencode(),
    }
    if items is None:
        context["error"] = "；".join(" ".join(errors) for errors in form.errors.values())
        return render(request, "gazetteer/chronicle.html", context, status=400)
    filtered = any(form.cleaned_data.values())
    # Unfiltered, the items are those the years count: not counted a second time.
    page = paginate(request, items, CHRONICLE_PER_PAGE, count=None if filtered else sum(n for _, n in years))
    context["items"] = page
    context["timeline"] = _timeline(page.object_list)
    context["filtered"] = filtered
    return render(request, "gazetteer/chronicle.html", context)


# A 大事记 item opens with its day ("2日", "是日") and repeats its title: the timeline
# shows both already, so the excerpt starts after them.
_DAY_PREFIX = re.compile(
    r"^\s*(?:\d{1,2}日|是日|同日|当日|当天|月内|本月|是月|该月|\d{1,2}—\d{1,2}日|[上中下]旬|是年|本年|年内|△)[，,]?\s*"
)
EXCERPT_LENGTH = 120


def _excerpt(entry):
    text = _DAY_PREFIX.sub("", entry.text.split("\n", 1)[0])
    if entry.title and text.startswith(entry.title):
        text = text[len(entry.title) :].lstrip("。，,. ")
    return text if len(text) <= EXCERPT_LENGTH else text[:EXCERPT_LENGTH].rstrip() + "…"


def _timeline(entries):
    """Group a page of 大事记 items as [(year, label, [((order, heading), [item])])], labels made here.

    Each item is shown at its precision (5日, 上旬, 是月, 春, 是年) under its month, season
    or 全年 (after the months). Built in Python: the template's regroup and date filters
    took most of the page's time.
    """
    years = OrderedDict()
    for e in entries:
        when = EntryDate.of(e)
        source = e.volume.title + (f" · 第{e.page}页" if e.page else "")
        item = {
            "entry": e,
            "url": e.get_absolute_url(),
            "date_html": entry_date_html(e, "in_month"),
            "excerpt": _excerpt(e),
            "source": source,
        }
        years.setdefault(e.year, {}).setdefault(when.group, []).append(item)
    return [
        (year, year_label(year), sorted(groups.items(), key=lambda g: g[0][0])) for year, groups in years.items()
    ]


# --- people and organisations --------------------------------------------------------


def _filter_box(request):
    return clean_param(request, "q", 50)


def _name_index(request, model, template):
    """A pinyin-ordered, filterable, paginated index of people or organisations."""
    q = _filter_box(request)
    rows = model.objects.all()
    if q:
        # Aliases are a JSON list; a substring test on its text finds a name in it.
        rows = rows.filter(Q(name__contains=q) | Q(aliases__icontains=q) | Q(region__contains=q))
    # The stored pinyin key orders the rows in the database: a page reads its own rows.
    starts, total = letter_starts(rows, None if q else model)
    page = paginate(request, rows.order_by("sort_key", "id").values_list("id", "name"), INDEX_PER_PAGE, count=total)
    found = model.objects.annotate(
        appointment_count=Count("appointments", distinct=True),
        mention_count=Count("mentioned_in", distinct=True),
    ).in_bulk([pk for pk, _ in page.object_list])
    return render(
        request,
        template,
        {
            "q": q,
            "page": page,
            "groups": group_by_initial(found[pk] for pk, _ in page.object_list if pk in found),
            "letters": letter_index(request, starts, INDEX_PER_PAGE),
        },
    )


def people(request):
    return _name_index(request, Person, "gazetteer/people.html")


def person(request, pk):
    person = Person.objects.filter(pk=pk).first()
    if person is None:
        return gone(request, Person, pk)
    timeline = person_timeline(person)
    return render(
        request,
        "gazetteer/person.html",
        {
            "person": person,
            "timeline": timeline,
            "speeches": paginate(request, timeline.speeches, PER_PAGE, "speeches_page"),
            "authored": paginate(request, timeline.authored, PER_PAGE, "authored_page"),
            "photos": paginate(request, timeline.photos, PER_PAGE, "photos_page"),
            "mentioned": paginate(
                request,
                person.mentioned_in.select_related("volume").order_by("volume__year", "volume__slug", "position"),
                PER_PAGE,
            ),
        },
    )


def organisations(request):
    return _name_index(request, Organisation, "gazetteer/organisations.html")


def organisation(request, pk):
    org = Organisation.objects.filter(pk=pk).first()
    if org is None:
        return gone(request, Organisation, pk)
    appointments = org.appointments.select_related("person", "volume").order_by(
        "volume__year_covered", "volume__slug", "position"
    )
    leaders = OrderedDict()
    for a in appointments:
        leaders.setdefault(a.volume, []).append(a)
    return render(
        request,
        "gazetteer/organisation.html",
        {
            "organisation": org,
            "leaders": list(leaders.items()),
            "mentioned": paginate(
                request,
                org.mentioned_in.select_related("volume").order_by(
                    "volume__year", "volume__slug", "position"
                ),
                PER_PAGE,
            ),
        },
    )
