"""TEMPORARY stand-in for the chron branch's reader, so gazetteer.py can be run before
it lands; deleted before the final commit. Same signature, no dating."""

from __future__ import annotations

import re

from .document import Entry, EntryKind, Section

_YEAR = re.compile(r"^(?:#+\s*)?(?:公元前?)?\d{1,4}年(?:[（(][^）)]*[）)])?$")


def read_chronicle(lines, doc, *, year=None, level=2):
    entries: list[Entry] = []
    sections: list[Section] = []
    for ln in lines:
        t = ln.text.strip()
        if not t:
            continue
        if _YEAR.match(t):
            sections.append(Section(t.lstrip("# "), level, line=ln.number, source_file=ln.file))
            continue
        e = Entry(t[:20], EntryKind.CHRONICLE, ln.file, ln.number, ln.number, [t])
        (sections[-1].entries if sections else entries).append(e)
    return entries, sections
