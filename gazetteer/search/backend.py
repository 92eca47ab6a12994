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

import threading

from haystack.backends.whoosh_backend import WhooshEngine, WhooshSearchBackend
from haystack.constants import DJANGO_CT, DJANGO_ID, ID
from whoosh.fields import BOOLEAN, DATETIME, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.fields import ID as WHOOSH_ID
from whoosh.query import Term
from whoosh.sorting import Count, FieldFacet

from . import dictionary
from .analysis import ChineseAnalyzer

# Fields analysed as Chinese text; every other character field is an exact-match ID.
TEXT_FIELDS = {"text", "title"}


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
            if name in TEXT_FIELDS or field.document:
                schema[name] = TEXT(analyzer=analyzer, phrase=True, stored=False, field_boost=field.boost)
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
        if not self.setup_complete:
            self.setup()
        with self._searcher_lock:
            if self._searcher is None:
                self._searcher = self.index.searcher()
            elif not self._searcher.up_to_date():
                self._searcher = self._searcher.refresh()
            return self._searcher

    def clear(self, models=None, commit=True):
        super().clear(models=models, commit=commit)
        self.reset()

    def reset(self):
        """Forget the open index and searcher (after the index directory was replaced)."""
        with self._searcher_lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = None
            self.setup_complete = False

    def execute(self, query, *, filter=None, page=1, pagelen=20, sortedby=None, reverse=False, facets=()):
        """Run a Whoosh query; return (hits as dicts of stored fields, total, facet counts)."""
        dictionary.refresh()
        searcher = self.searcher()
        groupedby = {name: FieldFacet(name, allow_overlap=True, maptype=Count) for name in facets}
        results = searcher.search_page(
            query,
            page,
            pagelen=pagelen,
            filter=filter,
            sortedby=sortedby,
            reverse=reverse,
            groupedby=groupedby or None,
            terms=False,
        )
        hits = [dict(hit.fields(), score=hit.score) for hit in results]
        counts = {name: dict(results.results.groups(name)) for name in facets}
        return hits, results.total, counts

    def writer(self, timeout=30.0):
        """A writer that waits up to ``timeout`` seconds for the lock instead of failing."""
        if not self.setup_complete:
            self.setup()
        dictionary.refresh()
        self.index = self.index.refresh()
        return self.index.writer(timeout=timeout, limitmb=256)

    def count(self, model_label):
        return len(list(self.searcher().document_numbers(**{DJANGO_CT: model_label})))

    @staticmethod
    def term(field, value):
        return Term(field, value)


class ArchiveWhooshEngine(WhooshEngine):
    backend = ArchiveWhooshBackend
