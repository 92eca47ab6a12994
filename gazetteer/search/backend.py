"""Haystack's Whoosh backend, fitted for Chinese and for serving.

- The schema indexes text with the archive's ChineseAnalyzer (OpenCC folding, jieba
  segmentation with sequential positions) instead of StemmingAnalyzer, and without the
  ``spelling`` and ``sortable`` columns haystack puts on every text field (they double
  the index and are useless for Chinese).
- One searcher is kept per process and refreshed only when the index has changed:
  haystack opens a new reader three times per query, about half of its query time.
- ``execute()`` runs a Whoosh query object built by ``gazetteer.search.query``; no text
  reaches Whoosh's query parser.

Nothing outside ``gazetteer/search/`` imports this module: views call
``gazetteer.search.service``, the seam where another haystack engine would plug in.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from array import array
from collections import Counter, OrderedDict

import numpy as np
from haystack.backends.whoosh_backend import WhooshEngine, WhooshSearchBackend
from haystack.constants import DJANGO_CT, DJANGO_ID, ID
from whoosh.collectors import FilterCollector, TimeLimit
from whoosh.fields import BOOLEAN, DATETIME, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.fields import ID as WHOOSH_ID
from whoosh.index import TOC, exists_in
from whoosh.matching import ListMatcher, NullMatcher
from whoosh.query import AndMaybe, Every, Query
from whoosh.searching import ResultsPage

from . import dictionary, mapped  # noqa: F401 (mapped: opens the index without copying it)
from .analysis import ChineseAnalyzer
from .grams import CHARS, GRAMS, char_field
from .postings import Postings
from .writer import ArchiveWriter

# Fields analysed as Chinese text; every other character field is an exact-match ID.
TEXT_FIELDS = {"text", "title"}
# Fields indexed as character bigrams (grams.py), for exact strings inside words.
GRAM_FIELDS = {"grams"}
_GRAM_FIELD = "grams"


class IndexMissing(Exception):
    """The index directory is missing or holds no index."""


class Overtime(Exception):
    """The deadline passed while finding the matches (``execute(..., partial=False)``)."""


_TOC = re.compile(r"_MAIN_(\d+)\.toc$")


def index_stamp(path) -> tuple | None:
    """Return what identifies the index's current commit: its TOC file's name, inode,
    modification time and size.

    The generation number alone does not: a rebuild empties the directory and counts
    again from 1, so a worker that compared generations kept serving the old index.
    Every commit and every rebuild writes a new TOC file, so its stamp changes.
    """
    try:
        tocs = [(int(m.group(1)), name) for name in os.listdir(path) if (m := _TOC.match(name))]
        if not tocs:
            return None
        name = max(tocs)[1]
        st = os.stat(os.path.join(path, name))
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (name, st.st_ino, st.st_mtime_ns, st.st_size)


class ArchiveWhooshBackend(WhooshSearchBackend):
    def __init__(self, connection_alias, **connection_options):
        super().__init__(connection_alias, **connection_options)
        self._searcher = None
        self._searcher_lock = threading.Lock()

    def setup(self):
        # The segmenter must know the archive's words before it analyses anything, and
        # the same words in every process, or index and query tokens differ.
        dictionary.refresh()
        super().setup()

    def update(self, index, iterable, commit=True):
        dictionary.refresh()
        super().update(index, iterable, commit=commit)

    def build_schema(self, fields):
        schema = {
            ID: WHOOSH_ID(stored=True, unique=True),
            DJANGO_CT: WHOOSH_ID(stored=True),
            DJANGO_ID: WHOOSH_ID(stored=True),
        }
        content_field_name = ""
        analyzer = ChineseAnalyzer()
        for field in fields.values():
            name = field.index_fieldname
            if field.document:
                content_field_name = name
            if name in GRAM_FIELDS:
                schema[name] = GRAMS()
                schema[char_field(name)] = CHARS()
            elif name in TEXT_FIELDS or field.document:
                # Words only rank (exact strings are matched on the n-grams): frequencies,
                # no positions, so that a common word's postings read fast.
                schema[name] = TEXT(analyzer=analyzer, phrase=False, stored=False, field_boost=field.boost)
            elif field.is_multivalued:
                schema[name] = KEYWORD(stored=True, commas=True, scorable=False)
            elif field.field_type in ("date", "datetime"):
                schema[name] = DATETIME(stored=True, sortable=True)
            elif field.field_type == "integer":
                schema[name] = NUMERIC(stored=True, numtype=int, sortable=True)
            elif field.field_type == "boolean":
                schema[name] = BOOLEAN(stored=True)
            else:
                schema[name] = WHOOSH_ID(stored=True, sortable=True)
        return content_field_name, Schema(**schema)

    def searcher(self):
        """Return this process's searcher, reopened only if the index changed since."""
        return self._current().searcher

    def _current(self) -> _SearcherState:
        with self._searcher_lock:
            if self._searcher is None:
                # Haystack's setup() makes an empty index where there is none: a worker
                # would then answer every search with nothing instead of saying search
                # is unavailable. Only loads and rebuild_index create the index.
                if self.use_file_storage and not exists_in(self.path):
                    raise IndexMissing(f"no search index at {self.path}: run `manage.py rebuild_index`")
                if not self.setup_complete:
                    self.setup()
                stamp = self._stamp()
                self._searcher = _SearcherState(self.index.refresh().searcher(), stamp)
            elif (stamp := self._stamp()) != self._searcher.stamp:
                # A new searcher on the refreshed index rather than searcher.refresh():
                # that reuses readers, and one that failed half-way while the indexer
                # committed left them closed ("Reader already closed") for good. The
                # stamp is read before opening: a commit in between only means one more
                # reopen on the next search, never a stale searcher kept.
                self.index = self.index.refresh()
                self._searcher = _SearcherState(self.index.searcher(), stamp)
            return self._searcher

    def _stamp(self):
        return index_stamp(self.path) if self.use_file_storage else id(self.index)

    def clear(self, models=None, commit=True):
        """Empty the index; with ``models=None`` remove the directory without opening it,
        so that a corrupt index can be rebuilt."""
        if models is None and self.use_file_storage:
            self.reset()
            # The path is a link to the live build (indexing.versions): remove both.
            shutil.rmtree(os.path.realpath(self.path), ignore_errors=True)
            if os.path.islink(self.path):
                os.unlink(self.path)
            self.setup()
            return
        super().clear(models=models, commit=commit)
        self.reset()

    def reset(self):
        """Forget the open index and searcher (after the index directory was replaced)."""
        with self._searcher_lock:
            if self._searcher is not None:
                try:
                    self._searcher.searcher.close()
                except Exception:  # a corrupt or deleted index: nothing left to close
                    pass
            self._searcher = None
            self.setup_complete = False

    def ready(self, facets=()) -> None:
        """Open this process's searcher and read the facet columns, if not done yet.

        A search calls this before its budget starts: it is paid once per worker (and
        after each index change), whatever the query.
        """
        state = self._current()
        if state.outdated is None:
            state.outdated = self.outdated() or ""
        if state.outdated:
            # An index written by an earlier version (no n-gram field; word positions)
            # would answer searches wrongly: search is unavailable until it is rebuilt.
            raise IndexMissing(f"{state.outdated}: run `manage.py rebuild_index`")
        for name in facets:
            state.codes(name)
        state.postings.warm(TEXT_FIELDS)

    def outdated(self) -> str | None:
        """Why the index on disk cannot serve this version of the code, if it cannot.

        Haystack opens the index with the code's schema, so the fields as written are
        read from the index's table of contents."""
        if not self.use_file_storage:
            return None
        if not self.setup_complete:
            self.setup()
        written = TOC.read(self.storage, self.index.indexname).schema
        missing = GRAM_FIELDS - set(written.names())
        if missing:
            return f"the index has no {', '.join(sorted(missing))} field"
        positions = sorted(n for n in TEXT_FIELDS if n in written and written[n].format.supports("positions"))
        if positions:
            return f"the index was written by an earlier version (word positions in {', '.join(positions)})"
        return None

    def execute(
        self, query, *, filter=None, page=1, pagelen=20, sortedby=None, reverse=False, facets=(),
        deadline=None, partial=False, report=None, rank=None,
    ):  # fmt: skip
        """Run a Whoosh query; return (hits as dicts of stored fields, total, facet counts).

        Whoosh's own filters and facets re-read every matching document and whole
        columns per query (most of the query time at 10× the corpus); here the filter's
        document set and the facet columns are kept with the searcher, and a query only
        walks its own matches.

        ``deadline`` (a ``time.monotonic()`` value) bounds the work: when it passes while
        the matches are found, ``Overtime`` is raised, or with ``partial=True`` the
        matches found so far are counted and ranked (``report["complete"]`` is False);
        when it passes while they are ranked, the rest follow unranked. Total, facets and
        hits always come from the same set of matches.

        ``rank`` (optional) is the query that scores the matches instead of ``query``;
        matches it does not find follow those it does.
        """
        dictionary.refresh()
        state = self._current()
        allowed = state.docset(filter)
        complete = True
        if isinstance(query, Every):
            matched = set(allowed)
        else:
            matched = set()
            try:
                # Exact strings over the n-gram field: read from the posting lists.
                found = state.postings.matches(query, _GRAM_FIELD, deadline)
                if found is not None:
                    matched = found & allowed
                else:
                    for n, d in enumerate(state.searcher.docs_for_query(query)):
                        if d in allowed:
                            matched.add(d)
                        if deadline is not None and not n % 64 and time.monotonic() > deadline:
                            raise TimeLimit
            except TimeLimit:
                if not partial:
                    raise Overtime() from None
                complete = False
        if report is not None:
            report["complete"] = complete
        counts = {}
        if facets:
            docs = np.fromiter(matched, dtype=np.int64, count=len(matched))
            for name in facets:
                counts[name] = state.facet_counts(name, docs)
        if not matched:
            return [], 0, counts
        if sortedby:
            # Sorted by a column here rather than by Whoosh, so that documents without
            # a value (undated entries) come last in both directions.
            column = state.column(sortedby)
            dated = sorted(
                (d for d in matched if column[d] is not None), key=lambda d: (column[d], d), reverse=reverse
            )
            order = dated + sorted(d for d in matched if column[d] is None)
            start = (page - 1) * pagelen
            hits = [dict(state.searcher.stored_fields(d), score=None) for d in order[start : start + pagelen]]
            return hits, len(matched), counts
        start = (page - 1) * pagelen
        try:
            ranked = state.postings.top(rank, matched, page * pagelen, deadline) if rank is not None else None
            if ranked is not None:
                # Whoosh's order: by score, then by document number; the matches the
                # ranking query does not find (no score) after those it does.
                order, scores = ranked
                stored = state.searcher.stored_fields
                return (
                    [dict(stored(d), score=scores.get(d, 0.0)) for d in order[start:]],
                    len(matched),
                    counts,
                )
            results = self._ranked(state.searcher, query, page * pagelen, matched, deadline, rank)
        except TimeLimit:
            results = None
        if results is None:  # out of time: the matches in index order
            order = sorted(matched)[start : start + pagelen]
            if report is not None:
                report["ranked"] = False
            return [dict(state.searcher.stored_fields(d), score=None) for d in order], len(matched), counts
        results = ResultsPage(results, page, pagelen)
        if results.pagenum < page:  # Whoosh answers a page past the end with the last one
            return [], len(matched), counts
        hits = [dict(hit.fields(), score=hit.score) for hit in results]
        return hits, len(matched), counts

    @staticmethod
    def _ranked(searcher, query, limit, matched, deadline, rank=None):
        """Return Whoosh's top ``limit`` of ``matched`` by score, or None past the deadline.

        Used where ``postings.scores`` cannot score (another weighting model).
        optimize=False: Whoosh 2.7.4's block-quality skipping loops for ever on some
        queries at 30× the corpus (地震: UnionMatcher.skip_to_quality).
        """
        if rank is not None:
            # Every match, scored by ``rank`` where it matches: the matching query (its
            # phrases over grams are the slow part) is not run a second time.
            query = AndMaybe(_DocSet(matched, searcher), rank)
        top = searcher.collector(limit=limit, terms=False, optimize=False)
        # Whoosh swaps in a cheaper matcher every ten matches, dropping any part whose best
        # score cannot reach the top N so far: that would drop _DocSet, and with it every
        # match not yet seen. Without block quality the swap gains nothing anyway.
        top.replace = 0
        collector = _TimedFilter(top, matched, deadline)
        try:
            searcher.search_with_collector(query, collector)
        except TimeLimit:
            return None
        return collector.results()

    def writer(self, timeout=30.0):
        """A writer that waits up to ``timeout`` seconds for the lock instead of failing."""
        if not self.setup_complete:
            self.setup()
        dictionary.refresh()
        self.index = self.index.refresh()
        return ArchiveWriter(self.index, timeout=timeout)

    def count(self, model_label):
        """Return how many documents of a model the index holds."""
        return len(list(self.searcher().document_numbers(**{DJANGO_CT: model_label})))


class _DocSet(Query):
    """A query matching given (top-level) document numbers, with a tiny constant score."""

    def __init__(self, docnums, top_searcher):
        self.docnums = sorted(docnums)
        self.offsets = {id(sub): offset for sub, offset in top_searcher.leaf_searchers()}

    def __repr__(self):
        return f"_DocSet({len(self.docnums)} documents)"

    def matcher(self, searcher, context=None):
        offset = self.offsets.get(id(searcher), 0)
        end = offset + searcher.doc_count_all()
        ids = array("I", (d - offset for d in self.docnums if offset <= d < end))
        return ListMatcher(ids, all_weights=1e-6) if ids else NullMatcher()


class _TimedFilter(FilterCollector):
    """Whoosh's FilterCollector that also stops at a deadline (TimeLimitCollector cannot
    wrap a filter: it calls the filtered collector's children directly)."""

    def __init__(self, child, allow, deadline):
        super().__init__(child, allow=allow)
        self.deadline = deadline

    def collect_matches(self):
        child, allow, deadline = self.child, self._allow, self.deadline
        for n, sub_docnum in enumerate(child.matches()):
            if deadline is not None and not n % 64 and time.monotonic() > deadline:
                raise TimeLimit
            if self.offset + sub_docnum in allow:
                child.collect(sub_docnum)


class _SearcherState:
    """A searcher with what it makes sense to keep while the index is unchanged."""

    FILTERS_KEPT = 64

    def __init__(self, searcher, stamp=None):
        self.searcher = searcher
        self.stamp = stamp
        self._filters: OrderedDict[str, frozenset] = OrderedDict()
        self._columns: dict[str, list] = {}
        self._lock = threading.Lock()
        self._postings = None
        self.outdated: str | None = None  # backend.outdated(), once per searcher

    @property
    def postings(self) -> Postings:
        """The posting lists' reader for this searcher (postings.py)."""
        if self._postings is None:
            self._postings = Postings(self.searcher)
        return self._postings

    def docset(self, filter_query) -> frozenset:
        """Return the document numbers a filter query allows, computed once per searcher."""
        key = repr(filter_query)
        with self._lock:
            if key in self._filters:
                self._filters.move_to_end(key)
                return self._filters[key]
        docs = frozenset(self.searcher.docs_for_query(filter_query))
        with self._lock:
            self._filters[key] = docs
            while len(self._filters) > self.FILTERS_KEPT:
                self._filters.popitem(last=False)
        return docs

    def facet_counts(self, fieldname, docs) -> Counter:
        """Return {value: number of ``docs`` (an array of document numbers) with it}."""
        codes, labels = self.codes(fieldname)
        counts = np.bincount(codes[docs], minlength=len(labels))
        return Counter(
            {labels[i]: n for i, n in zip(np.flatnonzero(counts).tolist(), counts[counts > 0].tolist(), strict=True)
             if labels[i] not in (None, "")}
        )  # fmt: skip

    def codes(self, fieldname) -> tuple[np.ndarray, list]:
        """Return a field's column as a code per document number and the value of each code."""
        key = ("codes", fieldname)
        with self._lock:
            if key in self._columns:
                return self._columns[key]
        labels: dict = {}
        codes = np.fromiter(
            (labels.setdefault(v, len(labels)) for v in self.column(fieldname)), dtype=np.int32
        )  # fmt: skip
        value = (codes, list(labels))
        with self._lock:
            self._columns[key] = value
        return value

    def column(self, fieldname) -> list:
        """Return a field's value for every document number (for facet counts)."""
        with self._lock:
            if fieldname in self._columns:
                return self._columns[fieldname]
        field = self.searcher.schema[fieldname]
        # Raw values: a document without one holds the column's default, which the
        # translating reader would turn into nonsense (year 2147483647, or an overflow).
        missing = getattr(field.column_type, "_default", None)
        raw = []
        # Segment by segment: Whoosh's multi-segment column reader skips segments
        # without the column (one holding only people), shifting every later document.
        for reader, _offset in self.searcher.reader().leaf_readers():
            if reader.has_column(fieldname):
                raw.extend(reader.column_reader(fieldname, translate=False))
            else:
                raw.extend([missing] * reader.doc_count_all())
        values = [
            None
            if v == missing or v in (None, b"")
            else v.decode()
            if isinstance(v, bytes)
            else field.from_column_value(v)
            for v in raw
        ]
        with self._lock:
            self._columns[fieldname] = values
        return values


class ArchiveWhooshEngine(WhooshEngine):
    backend = ArchiveWhooshBackend
