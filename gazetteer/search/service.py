"""Search as the page and the API see it: validated parameters in, a result dict out.

This is the one place that knows how a search is run. The query language lives in
``query.py``; ``backend.py`` runs the Whoosh query with the process's searcher.
"""

from __future__ import annotations

import datetime
import math
import time
from dataclasses import dataclass, field

from django import forms
from django.urls import reverse
from whoosh import query as wq

from ..dates import check_date_range
from ..models import Entry, Section, Volume
from ..search_indexes import searchable_parts
from . import dictionary, suggest
from .backend import Overtime, index_stamp
from .highlight import Terms, snippet
from .indexing import backend, label
from .query import MAX_QUERY_LENGTH, MAX_WORDS, parse_query

PER_PAGE = 20
MAX_PAGE = 500
SORTS = {"relevance": (None, False), "date": ("date", False), "-date": ("date", True)}
FACETS = ("volume", "kind", "year", "category")
# Seconds of a worker one search may take, whatever is typed: finding the matches gets
# half, and if that is not enough the search is run again with half the words and
# counts what it found by 90% of the budget; ranking, rows and snippets fit the rest.
BUDGET = 2.0
# Searched word by word (as exact strings); ranked by the word fields and the names.
WORD_FIELDS = ("title", "text")
GRAM_FIELD = "grams"
NAME_FIELDS = ("speaker", "authors")


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
        check_date_range(data)
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
    words: int = 0  # words and phrases searched for (repeats collapsed)
    dropped: int = 0  # words and phrases left out to stay within the budget
    complete: bool = True  # False: the budget ran out, total and hits are what was found by then
    seconds: float = 0.0
    pinyin: list = field(default_factory=list)  # names the query was read as, if typed in pinyin
    suggestions: list = field(default_factory=list)  # {"query", "name", "reason", "count", "label"}
    names: list = field(default_factory=list)  # person/organisation pages of the name searched

    @property
    def limited(self):
        """The notice for a search cut to fit the budget, or ""."""
        if self.dropped:
            return f"检索条件过多，已按前 {self.words} 个词检索"
        if not self.complete:
            return f"检索用时超过 {BUDGET:g} 秒的上限，以下只是已找到的部分结果"
        return ""

    def as_json(self):
        return {
            "query": self.query,
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "truncated": self.truncated,
            "limited": self.limited,
            "words": self.words,
            "complete": self.complete,
            "pinyin": self.pinyin,
            "suggestions": self.suggestions,
            "names": self.names,
            "hits": self.hits,
            "facets": self.facets,
        }


def index_version() -> tuple | None:
    """What identifies the index's current commit (it changes with every commit and
    rebuild); None where there is no index on disk."""
    be = backend()
    return index_stamp(be.path) if be.use_file_storage else None


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


def _parse(text: str, max_words: int = MAX_WORDS):
    return parse_query(text, WORD_FIELDS, grams=GRAM_FIELD, names=NAME_FIELDS, max_words=max_words)


def search(
    data: dict, *, request=None, budget: float = BUDGET, suggestions: bool = True, aliased: dict | None = None
) -> SearchResult:
    """Run a search for cleaned SearchForm data and return one page of hits with facets.

    Never takes much more than ``budget`` seconds: see BUDGET and ``SearchResult.limited``.
    ``aliased``: every person and organisation with aliases, if the caller keeps them
    (``figures.Figures.aliased``); otherwise they are looked up.
    """
    dictionary.refresh()
    try:
        backend().ready(FACETS)
    except Exception as error:  # Whoosh raises many kinds of error for a broken index
        raise SearchUnavailable(str(error)) from error
    text = data.get("q") or ""
    pinyin = suggest.pinyin_names(text)
    # The budget starts here: what came before is paid once per worker, not per query.
    start = time.monotonic()
    if pinyin:
        # zhangshujie, zhang shujie, Xuchang: the archive's names that sound so.
        text = " OR ".join(f'"{name}"' for name in pinyin)
    parsed = _parse(text)
    result = SearchResult(query=parsed.text, truncated=parsed.truncated, empty=parsed.empty, terms=parsed.terms)
    result.words, result.dropped, result.pinyin = parsed.words, parsed.dropped, pinyin
    if pinyin:
        result.query = (data.get("q") or "").strip()
    filters = _filters(data)
    has_filter = len(filters.subqueries) > 1
    if parsed.empty and not has_filter:
        return result
    result.empty = False
    sortedby, reverse = SORTS[data.get("sort") or "relevance"]
    if parsed.empty and sortedby is None:
        sortedby = "date"
    page = data.get("page") or 1
    report = {}

    def run(parsed, deadline, partial):
        return backend().execute(
            wq.Every() if parsed.empty else parsed.query,
            filter=filters,
            page=page,
            pagelen=PER_PAGE,
            sortedby=sortedby,
            reverse=reverse,
            facets=FACETS,
            deadline=deadline,
            partial=partial,
            report=report,
            rank=parsed.rank,
        )

    try:
        try:
            single = parsed.words <= 1
            hits, total, facets = run(parsed, start + budget * (0.9 if single else 0.5), partial=single)
        except Overtime:
            fewer = _parse(text, max(1, parsed.words // 2))
            result.terms, result.words = fewer.terms, fewer.words
            result.dropped = parsed.words + parsed.dropped - fewer.words
            hits, total, facets = run(fewer, start + budget * 0.9, partial=True)
    except Exception as error:  # Whoosh raises many kinds of error for a broken index
        raise SearchUnavailable(str(error)) from error
    result.complete = report.get("complete", True)
    result.total = total
    result.page = page
    result.pages = math.ceil(total / PER_PAGE)
    result.facets = {name: _sorted_facet(name, counts) for name, counts in facets.items()}
    result.hits = _hits(hits, result.terms, request)
    result.seconds = time.monotonic() - start
    if suggestions:
        # The person page of a name searched for comes before its entries.
        names = pinyin or [result.query]
        aliases = suggest.aliased(names, among=aliased)
        result.names = suggest.pages_named(names, aliases)
        if request is not None:
            for name in result.names:
                name["url"] = request.build_absolute_uri(name["url"])
        if not pinyin:
            result.suggestions = suggest.other_names(result.query, total, count=_count, aliases=aliases)
    return result


def _count(name: str) -> int:
    """Return how many entries a name finds, for a suggestion: the matches only (sorted by
    a column, not ranked; no rows, no snippets), within a small budget of its own."""
    parsed = _parse(name)
    if parsed.empty:
        return 0
    _, total, _ = backend().execute(
        parsed.query, filter=_filters({}), pagelen=1, sortedby="date",
        deadline=time.monotonic() + BUDGET / 8, partial=True,
    )  # fmt: skip
    return total


def _sorted_facet(name, counts):
    items = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return {str(key): n for key, n in items if key not in (None, "")}


def _snippets(rows, terms) -> dict[int, str]:
    """Return {entry id: snippet} of the first part of each entry that has a match (the
    text first, then the title, speaker, authors, captions, tables), or of its text if
    none has.

    ``rows``: rows of ``_HIT_COLUMNS`` (dicts). The entries whose match is in none of
    those columns (a table cell, a caption, an author) are read whole, all in one query
    with their authors and captions: one by one that was three queries per such hit.
    """
    terms = Terms(terms)
    found = {row["id"]: _first_match(_own_parts(row), terms) for row in rows} if terms.pattern else {}
    rest = [pk for pk, f in found.items() if not f]
    if rest:
        wholes = Entry.objects.prefetch_related("bylines__person", "captions").in_bulk(rest)
        for row in rows:
            if row["id"] in wholes:
                found[row["id"]] = _first_match(searchable_parts(wholes[row["id"]]), terms, skip=_own_parts(row))
    return {row["id"]: found.get(row["id"]) or snippet(row["text"] or row["title"], ()) for row in rows}


def _first_match(parts, terms, skip=()) -> str:
    """The snippet of the first of ``parts`` (not in ``skip``) that has a match, or ""."""
    return next((f for p in parts if p and p not in skip and (f := snippet(p, terms, matched_only=True))), "")


def _own_parts(row) -> list[str]:
    return [row["text"], row["title"], row["subtitle"], row["speaker_title"], row["speaker"]]


# What a hit shows, read as plain columns (no model instances): the entry, its volume,
# and the titles of its section and of up to three sections above it.
_SECTION_LEVELS = ("section", "section__parent", "section__parent__parent", "section__parent__parent__parent")
_HIT_COLUMNS = (
    "id", "title", "kind", "text", "subtitle", "speaker_title", "speaker", "date", "page",
    "volume__slug", "volume__title", *(f"{level}__title" for level in _SECTION_LEVELS),
    "section__parent__parent__parent__parent_id",
)  # fmt: skip


def _section_path(row) -> list[str]:
    titles = [row[f"{level}__title"] for level in _SECTION_LEVELS]
    path = [t for t in reversed(titles) if t is not None]
    top = row["section__parent__parent__parent__parent_id"]
    if top is not None:  # deeper than four levels: the rest from the model
        path = [s.title for s in Section.objects.get(pk=top).path()] + path
    return path


def _hits(hits, terms, request):
    ids = [int(h["django_id"]) for h in hits]
    rows = {row["id"]: row for row in Entry.objects.filter(pk__in=ids).values(*_HIT_COLUMNS)}
    snippets = _snippets(rows.values(), terms)
    out = []
    for pk in ids:
        row = rows.get(pk)
        if row is None:
            # Deleted since it was indexed and the indexer has not caught up: no stale hit.
            continue
        url = reverse("entry", args=[pk])
        out.append(
            {
                "id": pk,
                "title": row["title"],
                "kind": row["kind"],
                "volume": row["volume__slug"],
                "volume_title": row["volume__title"],
                "section_path": _section_path(row),
                "date": row["date"].isoformat() if row["date"] else None,
                "speaker": row["speaker"],
                "page": row["page"],
                "snippet": snippets[pk],
                "url": request.build_absolute_uri(url) if request else url,
            }
        )
    return out


__all__ = ["SearchForm", "SearchResult", "SearchUnavailable", "search", "index_version", "MAX_QUERY_LENGTH", "PER_PAGE"]
