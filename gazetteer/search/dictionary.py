"""The user dictionary file in the data dir, shared by every process.

A load regenerates it from the database; each process adds what is new to its own
segmenter before it analyses text (an ``os.stat`` per search), so words a load adds in
one process are known to the serving workers without a restart.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max

from . import analysis
from .names import MIN_OCCURRENCES, archive_words, place_name_counts

_lock = threading.Lock()
_seen_mtime: float | None = None


def path():
    return settings.DATA_DIR / "userdict.txt"


def refresh() -> None:
    """Make this process's segmenter know every word of the dictionary file."""
    global _seen_mtime
    try:
        mtime = path().stat().st_mtime
    except FileNotFoundError:
        mtime = None
    if mtime == _seen_mtime and analysis_configured():
        return
    with _lock:
        analysis.configure(settings.DATA_DIR, analysis.load_user_dict(path()) if mtime else ())
        _seen_mtime = mtime


def analysis_configured() -> bool:
    return _seen_mtime is not None or not path().exists()


@dataclass(frozen=True)
class WordChange:
    """The words a regeneration added to the dictionary (true if there are any)."""

    added: tuple[str, ...] = ()

    def __bool__(self):
        return bool(self.added)


def regenerate() -> WordChange:
    """Write the dictionary from the database; return the words it gained.

    Words are never dropped (a person merged away, a volume deleted): a serving worker
    cannot take a word out of its segmenter, so a word the file forgot would still cut
    queries in the workers started before, and cut them differently in those started
    after — index and queries would no longer agree. A word without its record only
    keeps a name whole, which it was in the texts that printed it.

    Place names are mined per volume and the counts kept (``places-cache.json``): only
    a volume loaded or edited since it was mined is segmented again.
    """
    from ..models import Organisation, Person, Section, Volume

    people, orgs = _names(Person), _names(Organisation)
    sections = Section.objects.values_list("title", flat=True)
    regions = Volume.objects.values_list("region", flat=True).distinct()
    words = archive_words(people, orgs, sections, regions=regions, places=_place_names())
    old = {(w if isinstance(w, str) else w[0]): w for w in analysis.load_user_dict(path())}
    added = tuple(w for w in words if w not in old)
    if not added:
        refresh()
        return WordChange()
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    analysis.write_user_dict(path(), [*old.values(), *added])
    refresh()
    return WordChange(added)


def _names(model) -> list[str]:
    """Every name and alias of ``model``: the aliases read (and decoded from JSON) only
    where there are some — most records have none."""
    names = list(model.objects.values_list("name", flat=True))
    for aliases in model.objects.exclude(aliases=[]).values_list("aliases", flat=True):
        names += aliases
    return names


# The form of ``places-cache.json``; a file of another form is mined again whole.
_CACHE_FORM = 2


def _place_names() -> set[str]:
    """Return the place names that occur at least twice in the archive's entries.

    Only the texts of the volumes to mine again are read: at 100× reading every text to
    see which had changed was 19 s of a one-volume load, most of it waiting for the
    disk. A volume's counts are kept while its load (source hash and load time) is the
    one they were mined from and none of its entries has a history row newer than the
    cache: every edit (admin, the editing services) writes one; a load writes none but
    changes the load. A database whose history is older than the cache (a restored
    backup) is mined again whole.
    """
    from ..models import Entry, Volume

    cache_file = settings.DATA_DIR / "places-cache.json"
    try:
        cache = json.loads(cache_file.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        cache = {}
    if cache.get("form") != _CACHE_FORM:
        cache = {}
    history = Entry.history.model.objects
    # Read before the texts: an edit committed meanwhile is mined again next time.
    newest = history.aggregate(newest=Max("history_id"))["newest"] or 0
    seen, kept = cache.get("history"), cache.get("volumes", {})
    rows = Volume.objects.values_list("pk", "source_hash", "loaded_at")
    loads = {str(pk): f"{digest}/{at.isoformat()}" for pk, digest, at in rows}
    if seen is None or seen > newest:
        stale = set(loads)
    else:
        edited = history.filter(history_id__gt=seen).values_list("volume_id", flat=True).distinct()
        stale = {str(pk) for pk in edited} & set(loads)
        stale |= {pk for pk, load in loads.items() if kept.get(pk, [None])[0] != load}
    texts = defaultdict(list)
    rows = Entry.objects.filter(volume_id__in=[int(pk) for pk in stale]).order_by("volume_id", "id")
    for volume_id, text in rows.values_list("volume_id", "text").iterator(2000):
        texts[str(volume_id)].append(text)
    counted, total = {}, Counter()
    for pk, load in loads.items():
        if pk in stale:
            counts = dict(place_name_counts(line for t in texts[pk] for line in t.split("\n")))
        else:
            counts = kept[pk][1]
        counted[pk] = [load, counts]
        total.update(counts)
    fresh = {"form": _CACHE_FORM, "history": newest, "volumes": counted}
    if fresh != cache:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(fresh, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, cache_file)
    return {name for name, n in total.items() if n >= MIN_OCCURRENCES}
