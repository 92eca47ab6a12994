"""The user dictionary file in the data dir, shared by every process.

A load regenerates it from the database; each process adds what is new to its own
segmenter before it analyses text (an ``os.stat`` per search), so words a load adds in
one process are known to the serving workers without a restart.
"""

from __future__ import annotations

import threading

from django.conf import settings

from . import analysis
from .names import archive_words

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


def regenerate() -> bool:
    """Write the dictionary from the database; return True if its words changed."""
    from ..models import Entry, Organisation, Person, Section, Volume

    people = [n for name, aliases in Person.objects.values_list("name", "aliases") for n in [name, *aliases]]
    orgs = [n for name, aliases in Organisation.objects.values_list("name", "aliases") for n in [name, *aliases]]
    sections = Section.objects.values_list("title", flat=True)
    texts = (t for text in Entry.objects.values_list("text", flat=True).iterator() for t in text.split("\n"))
    regions = Volume.objects.values_list("region", flat=True).distinct()
    words = archive_words(people, orgs, sections, texts, regions)
    old = [w if isinstance(w, str) else w[0] for w in analysis.load_user_dict(path())]
    if sorted(old) == words:
        refresh()
        return False
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    analysis.write_user_dict(path(), words)
    refresh()
    return True
