"""Who is who: the evidence that two printed names are one person, or two.

A load resolves the names of a volume's leadership lists to Person rows here
(``assign_people``); the editors' review queue (``proposals``) lists what the
evidence leaves open: likely homonyms (one name, several people) and likely variants
(李朝锋/李朝峰: one character apart, read alike, with the same title or in the same
entry). Editors decide; their answers are ``ReviewDecision`` rows keyed by names.

The rules, as CBDB and library authority files apply them to printed lists:

- One name in one region is one person unless the evidence says otherwise.
- Evidence against: different gender or ethnicity notes (杨帆 and 杨帆（女）), or one
  volume listing the name under organisations that have nothing to do with each other
  (张磊 under 区纪委, 应急管理局 and three 街道).
- Evidence for: the same organisation, one body under another's name (区纪委 and
  区监委, 政协 and 区政协办公室), a post that is held beside others (区委常委, 区长,
  兼职/挂职 titles), or two lists printed a few lines apart (统战部 and the
  民族宗教事务局 it runs).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from pypinyin import lazy_pinyin

from .models import Appointment, Caption, Entry, Organisation, Person, ReviewDecision, SourceFile

# Gender and ethnicity are what the lists note (女, 回); other notes do not tell people apart.
_ETHNIC = set("回满蒙藏壮苗彝侗瑶白土哈傣黎畲佤羌")


def markers(notes) -> frozenset:
    return frozenset(n for n in notes if n in ("女", "男") or n in _ETHNIC or (n.endswith("族") and len(n) <= 5))


_PARTY_COMMITTEE = re.compile(r"^(中共|中国共产党).*[区县市旗]委(员会)?$")
_GOVERNMENT = re.compile(r"人民政府$")
_LEADER_TITLE = re.compile(r"书记|常委|[区县市]长")
_SIDE_POST = re.compile(r"兼职|挂职|兼任|兼")
# Bodies printed under different names that are one institution or sit together.
_FAMILIES = [
    ("纪监", re.compile(r"纪委|监委|纪律检查|监察委")),
    ("政协", re.compile(r"政协|政治协商")),
    ("人大", re.compile(r"人大|人民代表大会")),
    ("政府", re.compile(r"人民政府|[区县市]政府")),
]
NEARBY_LINES = 8


def _family(organisation):
    return next((name for name, pattern in _FAMILIES if pattern.search(organisation)), None)


def _held_beside_others(a) -> bool:
    """A post its holder usually holds beside another: a 区委常委, a 区长, a 兼职 vice-chair."""
    if _SIDE_POST.search(a.title):
        return True
    top = _PARTY_COMMITTEE.match(a.organisation) or _GOVERNMENT.search(a.organisation)
    if top and _LEADER_TITLE.search(a.title):
        return True
    # A vice-chair of the 政协 or 人大 is often someone with a post elsewhere (a hospital's head).
    return _family(a.organisation) in ("政协", "人大") and a.title.startswith("副主")


def related(a, b) -> bool:
    """Whether two appointments of one name in one volume may be one person's."""
    if markers(a.person_notes) != markers(b.person_notes):
        return False
    if a.organisation == b.organisation or _held_beside_others(a) or _held_beside_others(b):
        return True
    family = _family(a.organisation)
    if family and family == _family(b.organisation):
        return True
    return a.source_file == b.source_file and abs(a.line - b.line) <= NEARBY_LINES


def clusters(appointments) -> list[list[int]]:
    """Group one name's appointments (of one volume) into the people they evidently are.

    Return lists of indexes, each in book order, the groups ordered by their first member.
    """
    parent = list(range(len(appointments)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(appointments):
        for j in range(i):
            if related(a, appointments[j]):
                parent[root(i)] = root(j)
    groups = defaultdict(list)
    for i in range(len(appointments)):
        groups[root(i)].append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def names_of(record) -> list[str]:
    """Every name a record is known by: as now written, its aliases, as loaded."""
    return list(dict.fromkeys(n for n in [record.name, *record.aliases, record.loaded_name] if n))


def compatible(person, notes) -> bool:
    """Notes conflict only with a person the lists have already described (bylines note nothing)."""
    return not person.context or markers(person.notes) == markers(notes)


def assign_people(appointments, directory) -> list[Person]:
    """Return the Person of each parsed appointment, creating people where the evidence asks.

    An appointment goes to the person already known with its organisation (so a
    re-load, a merge or a split editors made stays as it is); the rest of its group
    follows; a group nobody claims takes an unclaimed person of the name, or the only
    one, or a new person.
    """
    by_name = defaultdict(list)
    for i, a in enumerate(appointments):
        by_name[a.person].append(i)
    chosen: dict[int, Person] = {}
    for name, indexes in by_name.items():
        candidates = directory.candidates(name)
        for i in indexes:
            a = appointments[i]
            direct = [c for c in candidates if a.organisation in c.context and compatible(c, a.person_notes)]
            if direct:
                chosen[i] = direct[0]
        taken = {chosen[i].pk for i in indexes if i in chosen}
        for group in clusters([appointments[i] for i in indexes]):
            members = [indexes[k] for k in group]
            notes = appointments[members[0]].person_notes
            known = Counter(chosen[i].pk for i in members if i in chosen)
            if known:
                pk = known.most_common(1)[0][0]
                person = next(chosen[i] for i in members if i in chosen and chosen[i].pk == pk)
            else:
                person = _unclaimed(candidates, taken, notes) or directory.create(name, notes)
                candidates = directory.candidates(name)
            taken.add(person.pk)
            for i in members:
                chosen.setdefault(i, person)
    for i, a in enumerate(appointments):
        directory.describe(chosen[i], a.person_notes, a.organisation)
    return [chosen[i] for i in range(len(appointments))]


def _unclaimed(candidates, taken, notes):
    free = [c for c in candidates if c.pk not in taken and compatible(c, notes)]
    # A person known only from bylines or speeches: the lists now describe them.
    blank = [c for c in free if not c.context]
    if blank:
        return blank[0]
    # The only person of the name, and no other group of this volume took them.
    if len(candidates) == 1 and free:
        return free[0]
    return None


def pick_by_text(people, text):
    """Of several people of one name, the one whose organisations the text names (else the first)."""
    for person in people:
        if any(org and org in text for org in person.context):
            return person
    return people[0]
