"""Which record of the last load is which record of a new load: the rule that keeps ids.

Plain Python over keys, no ORM, so the rule can be read and tested on its own. A
re-load (``store._store_tree``) pairs the volume's existing sections and entries
with the ones the parser returned; paired rows keep their id and are updated in
place, unpaired new ones are created, unpaired old ones are deleted and leave a
tombstone.

Sections are the same section when their ``source_path`` (the titles from the 类目
down, as loaded) is the same. Entries are the same entry, in this order of passes:

1. same section path and same printed title; where several share both (the two
   speeches titled 在市委十三届十一次全体会议…), those with the same opening text
   pair first, then those with much the same opening (a corrected first line),
   the rest in book order;
2. same section path and same opening text (the file corrected the heading);
3. same title and same opening text anywhere in the volume (a section renamed or
   moved in the file).

Within every pass, candidates are taken in book order, so the outcome is
deterministic. The opening text is the first 30 characters of the text without
white space; an entry with less text than that is not paired by its opening.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass

OPENING_CHARS = 30
ALIKE = 0.6  # share of the opening two corrected versions of one entry still have in common
_SPACE = re.compile(r"\s+")


def opening(text: str) -> str:
    """Return the opening an entry is recognised by ("" when the text is too short)."""
    head = _SPACE.sub("", text or "")[:OPENING_CHARS]
    return head if len(head) == OPENING_CHARS else ""


@dataclass(frozen=True)
class EntryKey:
    section: str  # the section's source_path
    title: str
    opening: str


def _same(a, b):
    return bool(a) and a == b


def _alike(a, b):
    return bool(a and b) and difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= ALIKE


def pair_in_order(old: list, new: list) -> dict[int, int]:
    """Pair equal keys: the k-th old occurrence of a key with its k-th new one."""
    queues = defaultdict(list)
    for i, key in enumerate(old):
        queues[key].append(i)
    pairs = {}
    for j, key in enumerate(new):
        if queues[key]:
            pairs[queues[key].pop(0)] = j
    return pairs


def pair_entries(old: list[EntryKey], new: list[EntryKey]) -> dict[int, int]:
    """Return {old index: new index} for the entries that are the same entry (see the module doc)."""
    pairs: dict[int, int] = {}
    taken: set[int] = set()

    def take(i, j):
        pairs[i] = j
        taken.add(j)

    # 1. Same section and title; equal openings first, then book order.
    groups_old, groups_new = defaultdict(list), defaultdict(list)
    for i, k in enumerate(old):
        groups_old[(k.section, k.title)].append(i)
    for j, k in enumerate(new):
        groups_new[(k.section, k.title)].append(j)
    for group, olds in groups_old.items():
        news = groups_new.get(group, [])
        if not news:
            continue
        free_old, free_new = list(olds), list(news)
        if len(olds) > 1 or len(news) > 1:
            for similar in (_same, _alike):
                for i in list(free_old):
                    j = next((j for j in free_new if similar(old[i].opening, new[j].opening)), None)
                    if j is not None:
                        take(i, j)
                        free_old.remove(i)
                        free_new.remove(j)
        for i, j in zip(free_old, free_new, strict=False):
            take(i, j)

    # 2. and 3. By the opening text, within the section, then anywhere with the same title.
    for field in (lambda k: (k.section, k.opening), lambda k: (k.title, k.opening)):
        left_old = [i for i in range(len(old)) if i not in pairs and old[i].opening]
        left_new = [j for j in range(len(new)) if j not in taken and new[j].opening]
        found = pair_in_order([field(old[i]) for i in left_old], [field(new[j]) for j in left_new])
        for a, b in found.items():
            take(left_old[a], left_new[b])
    return pairs


def replacements(pairs: dict[int, int], old_count: int, new_count: int, same_place=None) -> dict[int, int]:
    """Return {old index: new index} of the new record that took an unpaired old record's place.

    That is the first unpaired new record between the new places of the paired records
    around the old one (``same_place(i, j)`` may narrow it, e.g. to the same section).
    """
    paired_new = set(pairs.values())
    found = {}
    for i in range(old_count):
        if i in pairs:
            continue
        before = next((pairs[k] for k in range(i - 1, -1, -1) if k in pairs), -1)
        after = next((pairs[k] for k in range(i + 1, old_count) if k in pairs), new_count)
        for j in range(before + 1, after):
            if j not in paired_new and j not in found.values() and (same_place is None or same_place(i, j)):
                found[i] = j
                break
    return found
