"""The search page: the query form, hits, facets and what to try when nothing is found."""

from __future__ import annotations

import datetime
from urllib.parse import quote_plus, urlencode

from django.shortcuts import render

from .. import figures
from ..models import Entry
from ..search.service import BUDGET as SEARCH_BUDGET
from ..search.service import MAX_QUERY_LENGTH, SearchForm, SearchUnavailable, search
from ..search.service import PER_PAGE as SEARCH_PER_PAGE
from .helpers import (
    page_links,
    url_with,
)

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
            result = search(form.cleaned_data, aliased=archive.aliased())
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
