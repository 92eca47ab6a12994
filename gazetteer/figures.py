"""Figures over the whole archive, counted once per change of the archive.

Home's "收录 N 个条目、人物 N 位", /chronicle/'s years, the JSON API's entries per
volume and the search page's volume titles and speakers read every row of a table: a
query that grows with the archive (entries by kind on PostgreSQL: 4 ms at 30× the
sample, 9 ms at 100×), on every request. They only change when the archive does, so
each process keeps them, keyed by ``version()``, and counts again when it changes.

``version()`` changes with every change of an entry, a person or an organisation:

- every such save or delete queues an ``IndexTask`` when it commits (the search
  signal processor, ``search.indexing``), so the newest task's id changes at once (ids
  are never reused: a sequence on PostgreSQL, AUTOINCREMENT on SQLite);
- the indexer applies the queue, and loads write the index themselves: either way the
  index's stamp (its table of contents) changes.

Without a search index (missing or never built) nothing is kept: every request counts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db.models import Count, Max

from .models import Entry, IndexTask, Organisation, Person, Volume
from .search.service import index_version

_lock = threading.Lock()
_kept: dict = {"version": None, "figures": {}}


def version() -> tuple | None:
    """What changes whenever the archive's entries, people or organisations do; None
    when that cannot be told (no search index)."""
    stamp = index_version()
    if stamp is None:
        return None
    return stamp, IndexTask.objects.aggregate(newest=Max("id"))["newest"]


class Figures:
    """The figures at one version of the archive (read once, when made), each counted
    on first use and kept by this process until the version changes."""

    def __init__(self):
        self.version = version()

    def _get(self, name: str, count: Callable[[], object]):
        if self.version is None:
            return count()
        with _lock:
            if _kept["version"] == self.version and name in _kept["figures"]:
                return _kept["figures"][name]
        value = count()  # counted after the version was read: never older than it
        with _lock:
            if _kept["version"] != self.version:
                _kept["version"], _kept["figures"] = self.version, {}
            _kept["figures"][name] = value
        return value

    def entries_by_kind(self) -> dict[str, int]:
        """{kind: entries}; grouped by kind, the count reads an index of kinds, not the rows."""
        return self._get("by_kind", lambda: dict(Entry.objects.order_by().values_list("kind").annotate(n=Count("*"))))

    def entries_per_volume(self) -> dict[int, int]:
        """{volume id: entries} of every volume that has any."""
        return self._get(
            "per_volume", lambda: dict(Entry.objects.order_by().values_list("volume").annotate(n=Count("*")))
        )

    def people(self) -> int:
        return self._get("people", Person.objects.count)

    def organisations(self) -> int:
        return self._get("organisations", Organisation.objects.count)

    def chronicle_years(self) -> list[tuple[int, int]]:
        """[(year, items)] of the 大事记, grouped on the indexed ``year``: it holds the
        years a date cannot (公元前651年 is -651), so those are counted too."""

        def count():
            rows = Entry.objects.chronicle().exclude(year=None).values("year").annotate(n=Count("*")).order_by("year")
            return [(row["year"], row["n"]) for row in rows]

        return self._get("chronicle_years", count)

    def volume_titles(self) -> dict[str, str]:
        """{slug: title} of every volume (the search page's facet labels). A volume's
        change queues its entries' reindexing: kept titles change with it, except those
        of a volume without entries, which no search finds."""
        return self._get("volume_titles", lambda: dict(Volume.objects.values_list("slug", "title")))

    def aliased(self) -> dict:
        """{Person: [...], Organisation: [...]}: the people and organisations that have
        aliases, for the search page's name lookups (``suggest.aliased``): two queries
        on every search before. An alias's change queues an index task like any other
        change of a person or organisation, so it is seen by the next search."""
        return self._get(
            "aliased", lambda: {model: list(model.objects.exclude(aliases=[]).order_by()) for model in (Person, Organisation)}
        )

    def speakers(self) -> list[str]:
        """The speakers of the archive's speeches, in code-point order (the search
        form's list)."""
        return self._get(
            "speakers",
            lambda: list(
                Entry.objects.speeches().exclude(speaker="").order_by("speaker").values_list("speaker", flat=True).distinct()
            ),
        )


def forget() -> None:
    """Drop what this process keeps (tests that change rows without committing)."""
    with _lock:
        _kept["version"], _kept["figures"] = None, {}
