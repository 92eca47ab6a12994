"""Search as the page and the API see it: validated parameters in, a result dict out.

This is the one place that knows how a search is run. The query language lives in
``query.py``; ``backend.py`` runs the Whoosh query with the process's searcher.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

from django import forms
from whoosh import query as wq

from ..models import Entry, Volume
from . import dictionary
from .highlight import snippet
from .indexing import backend, label
from .query import MAX_QUERY_LENGTH, contains_phrase, parse_query

PER_PAGE = 20
MAX_PAGE = 500
SORTS = {"relevance": (None, False), "date": ("date", False), "-date": ("date", True)}
FACETS = ("volume", "kind", "year", "category")


class SearchUnavailable(Exception):
    """The index cannot be read (missing, corrupt): search says so, other pages go on."""


class SearchForm(forms.Form):
    # Longer than MAX_QUERY_LENGTH is cut and searched (a pasted sentence); five times
    # that is not a search, and answers 400.
    q = forms.CharField(required=False, strip=True, max_length=MAX_QUERY_LENGTH * 5)
    volume = forms.CharField(required=False, max_length=100)
    kind = forms.ChoiceField(required=False, choices=[("", "")] + Entry.Kind.choices)
    year = forms.IntegerField(required=False, min_value=1, max_value=9999)
    category = forms.CharField(required=False, max_length=200)
    speaker = forms.CharField(required=False, max_length=50)
    author = forms.CharField(required=False, max_length=50)
    date_from = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    sort = forms.ChoiceField(required=False, choices=[(s, s) for s in SORTS])
    page = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE)

    def clean_volume(self):
        slug = self.cleaned_data["volume"]
        if slug and not Volume.objects.filter(slug=slug).exists():
            raise forms.ValidationError(f"没有这一卷：{slug}")
        return slug

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError("起始日期晚于截止日期")
        return data

    def error_message(self):
        """One line naming each bad parameter, for a 400 answer."""
        return "; ".join(
            f"{name}: {' '.join(errors)}" if name != "__all__" else " ".join(errors)
            for name, errors in self.errors.items()
        )


@dataclass
class SearchResult:
    query: str
    total: int = 0
    page: int = 1
    pages: int = 0
    hits: list[dict] = field(default_factory=list)
    facets: dict = field(default_factory=lambda: {name: {} for name in FACETS})
    truncated: bool = False
    empty: bool = True
    terms: frozenset = frozenset()

    def as_json(self):
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "truncated": self.truncated,
            "hits": self.hits,
            "facets": self.facets,
        }


def _filters(data) -> wq.Query | None:
    clauses = [wq.Term("django_ct", label(Entry))]
    for name, fieldname in (("volume", "volume"), ("kind", "kind"), ("category", "category"), ("speaker", "speaker"), ("author", "authors")):
        if data.get(name):
            clauses.append(wq.Term(fieldname, data[name]))
    if data.get("year"):
        clauses.append(wq.NumericRange("year", data["year"], data["year"]))
    if data.get("date_from") or data.get("date_to"):
        start = data.get("date_from")
        end = data.get("date_to")
        clauses.append(
            wq.DateRange(
                "date",
                datetime.datetime.combine(start, datetime.time.min) if start else None,
                datetime.datetime.combine(end, datetime.time.max) if end else None,
            )
        )
    return wq.And(clauses)


def search(data: dict, *, request=None) -> SearchResult:
    """Run a search for cleaned SearchForm data and return one page of hits with facets."""
    dictionary.refresh()
    parsed = parse_query(data.get("q") or "")
    result = SearchResult(query=parsed.text, truncated=parsed.truncated, empty=parsed.empty, terms=parsed.terms)
    filters = _filters(data)
    has_filter = len(filters.subqueries) > 1
    if parsed.empty and not has_filter:
        return result
    result.empty = False
    query = wq.Every() if parsed.empty else parsed.query
    sortedby, reverse = SORTS[data.get("sort") or "relevance"]
    if parsed.empty and sortedby is None:
        sortedby = "date"
    page = data.get("page") or 1
    try:
        hits, total, facets = backend().execute(
            query,
            filter=filters,
            page=page,
            pagelen=PER_PAGE,
            sortedby=sortedby,
            reverse=reverse,
            facets=FACETS,
        )
    except Exception as error:  # Whoosh raises many kinds of error for a broken index
        raise SearchUnavailable(str(error)) from error
    result.total = total
    result.page = page
    result.pages = math.ceil(total / PER_PAGE)
    result.facets = {name: _sorted_facet(name, counts) for name, counts in facets.items()}
    result.hits = _hits(hits, parsed, request)
    return result


def _sorted_facet(name, counts):
    items = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return {str(key): n for key, n in items if key not in (None, "")}


def _hits(hits, parsed, request):
    ids = [int(h["django_id"]) for h in hits]
    entries = Entry.objects.select_related("volume", "section__parent__parent__parent").in_bulk(ids)
    out = []
    for pk in ids:
        entry = entries.get(pk)
        if entry is None:
            # Deleted since it was indexed and the indexer has not caught up: no stale hit.
            continue
        if parsed.phrases and not all(contains_phrase(f"{entry.title}\n{entry.text}", p) for p in parsed.phrases):
            continue
        url = entry.get_absolute_url()
        out.append(
            {
                "id": entry.pk,
                "title": entry.title,
                "kind": entry.kind,
                "volume": entry.volume.slug,
                "volume_title": entry.volume.title,
                "section_path": [s.title for s in entry.section.path()],
                "date": entry.date.isoformat() if entry.date else None,
                "speaker": entry.speaker,
                "page": entry.page,
                "snippet": snippet(entry.text or entry.title, parsed.terms) if parsed.terms else snippet(entry.text, ()),
                "url": request.build_absolute_uri(url) if request else url,
            }
        )
    return out


__all__ = ["SearchForm", "SearchResult", "SearchUnavailable", "search", "MAX_QUERY_LENGTH", "PER_PAGE"]
