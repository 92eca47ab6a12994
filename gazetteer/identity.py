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

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from pypinyin import lazy_pinyin

from .models import Appointment, Caption, Entry, Person, ReviewDecision, SourceFile

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
    # The 统战部 leads these: its deputy heads are their Party secretaries as a rule.
    ("统战", re.compile(r"统战部|统一战线|工商联|工商业联合会|民族宗教|侨联")),
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
            direct = [c for c in candidates if a.organisation in c.context]
            if direct:
                # Notes choose between two people of one organisation; an editors' merge
                # may have joined notes that differ, and stays merged.
                chosen[i] = next((c for c in direct if compatible(c, a.person_notes)), direct[0])
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


# --- the review queue ----------------------------------------------------------------


@dataclass
class Proposal:
    """Something the evidence leaves to the editors: likely namesakes or a likely variant."""

    kind: str  # ReviewDecision.Kind
    region: str
    names: list[str]  # sorted; the key with kind and region
    people: list[Person]
    evidence: list[str]
    actions: list[str]  # ReviewDecision.Action values that accept it
    variant: str = ""  # a spelling found in the text that no record carries
    decision: ReviewDecision | None = None
    groups: list[list[int]] = field(default_factory=list)  # for a split: appointment ids per person

    @property
    def key(self):
        return decision_key(self.kind, self.region, self.names)

    @property
    def title(self):
        label = ReviewDecision.Kind(self.kind).label
        return f"{label}：{' / '.join(self.names)}（{self.region or '未注地区'}）"


def decision_key(kind, region, names):
    return f"{kind}|{region}|{'/'.join(sorted(names))}"[:300]


def _appointment_line(a):
    where = f"{a.source_file}:{a.line}" if a.line else a.source_file
    return f"{a.organisation.name} {a.title}（《{a.volume.title}》{where}）"


def _describe(person, appointments):
    notes = f"，附注：{'、'.join(person.notes)}" if person.notes else ""
    posts = "；".join(_appointment_line(a) for a in appointments) or "无任职记录"
    return f"#{person.pk} {person.name}{notes}：{posts}"


def homonyms(people, appointments):
    """One name, several people: records the loads kept apart, or one record whose lists disagree."""
    out = []
    by_name = defaultdict(list)
    for p in people:
        by_name[(p.region, p.name)].append(p)
    for (region, name), group in sorted(by_name.items()):
        if len(group) > 1:
            evidence = [_describe(p, appointments.get(p.pk, [])) for p in group]
            kinds = {frozenset(markers(p.notes)) for p in group if p.context}
            evidence.append("附注不同（性别或民族）" if len(kinds) > 1 else "同一卷的领导成员名单中分属互不相关的机构")
            out.append(Proposal("homonym", region, [name], group, evidence, ["dismiss", "merge"]))
            continue
        person = group[0]
        rows = appointments.get(person.pk, [])
        by_volume = defaultdict(list)
        for a in rows:
            by_volume[a.volume_id].append(a)
        for same_volume in by_volume.values():
            parsed = [_as_parsed(a) for a in same_volume]
            found = clusters(parsed)
            if len(found) > 1:
                groups = [[same_volume[i].pk for i in g] for g in found]
                evidence = [_describe(person, rows), "同一卷中分属互不相关的机构或附注不同：" + " | ".join(
                    "、".join(_appointment_line(same_volume[i]) for i in g) for g in found
                )]
                out.append(Proposal("homonym", region, [name], [person], evidence, ["dismiss", "split"], groups=groups))
                break
    return out


@dataclass
class _Parsed:
    organisation: str
    title: str
    person_notes: list
    source_file: str
    line: int


def _as_parsed(a):
    return _Parsed(a.organisation.loaded_name or a.organisation.name, a.title, a.person.notes, a.source_file, a.line or 0)


def _sounds_alike(a, b):
    return lazy_pinyin(a) == lazy_pinyin(b)


def _one_apart(a, b):
    """Same length, same surname, one other character different."""
    if len(a) != len(b) or len(a) < 3 or a[0] != b[0]:
        return False
    return sum(x != y for x, y in zip(a, b, strict=True)) == 1


# Words around a name that show the text means a person: a title before it, a verb after it.
_TITLE_BEFORE = re.compile(r"(书记|[区县市省]长|主任|局长|部长|主席|委员|常委|同志|代表)$")
_VERB_AFTER = re.compile(r"^(同志|主持|强调|指出|要求|讲话|出席|调研|表示|带队|参加|在|为|到|看望|会见|一行)")
_CONTEXT = 12


def _text_variants(region, people, volumes):
    """Spellings in the text one character from a person's name, read alike, in a person's context.

    The newspaper's 李朝峰 (区委书记李朝峰主持召开 …) is one such spelling of 李朝锋.
    """
    masked = defaultdict(list)  # 李朝? → people whose name fits
    known = set()
    for p in people:
        known.update(names_of(p))
    for p in people:
        for name in names_of(p):
            if len(name) >= 3:
                for i in range(1, len(name)):
                    masked[(name[:i], name[i + 1 :])].append((p, name))
    if not masked:
        return {}
    lengths = sorted({len(a) + len(b) + 1 for a, b in masked})
    found = defaultdict(list)  # (person pk, variant) → [(where, snippet)]
    for source, where, text in _region_texts(volumes):
        for j in range(len(text)):
            for n in lengths:
                window = text[j : j + n]
                if len(window) < n or window in known:
                    continue
                for i in range(1, n):
                    for person, name in masked.get((window[:i], window[i + 1 :]), ()):
                        if not _sounds_alike(name, window):
                            continue
                        before, after = text[max(0, j - _CONTEXT) : j], text[j + n : j + n + _CONTEXT]
                        if source != "caption" and not (_TITLE_BEFORE.search(before) or _VERB_AFTER.match(after)):
                            continue
                        snippet = f"…{before}【{window}】{after}…".replace("\n", " ")
                        found[(person.pk, window)].append((where(j, n), snippet))
    return found


def _region_texts(volumes):
    """Yield (kind, where(offset) → label, text) for the entries and captions of these volumes."""
    sources = {}
    for volume_id, name, text in SourceFile.objects.filter(volume__in=volumes).values_list("volume_id", "name", "text"):
        sources[(volume_id, name)] = text.split("\n")
    for e in Entry.objects.filter(volume__in=volumes).select_related("volume").order_by("volume", "position"):
        lines = sources.get((e.volume_id, e.source_file), [])

        def where(offset, n, e=e, lines=lines, text=f"{e.title}\n{e.text}"):
            # The k-th time the spelling occurs in the entry is its k-th time in the entry's lines.
            word = text[offset : offset + n]
            k = text.count(word, 0, offset)
            for number in range(e.line_start, min(e.line_end, len(lines)) + 1):
                k -= lines[number - 1].count(word)
                if k < 0:
                    return f"《{e.volume.title}》「{e.title}」{e.source_file}:{number}"
            return f"《{e.volume.title}》「{e.title}」{e.source_file}:{e.line_start}—{e.line_end}"

        yield "entry", where, f"{e.title}\n{e.text}"
    for c in Caption.objects.filter(entry__volume__in=volumes).select_related("entry__volume"):
        label = f"《{c.entry.volume.title}》图片说明 {c.entry.source_file}:{c.line}" if c.line else f"《{c.entry.volume.title}》图片说明"
        yield "caption", (lambda offset, n, label=label: label), c.text


def variants(region, people, appointments, volumes):
    """Likely variant spellings: two people one character apart, or a spelling only the text has."""
    out = []
    titles = {p.pk: {a.title for a in appointments.get(p.pk, [])} for p in people}
    orgs = {p.pk: {a.organisation_id for a in appointments.get(p.pk, [])} for p in people}
    by_first = defaultdict(list)
    for p in people:
        by_first[(p.name[:1], len(p.name))].append(p)
    for group in by_first.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if a.name == b.name or not _one_apart(a.name, b.name):
                    continue
                shared_titles = titles[a.pk] & titles[b.pk]
                shared_orgs = orgs[a.pk] & orgs[b.pk]
                alike = _sounds_alike(a.name, b.name)
                if not (alike and (shared_titles or shared_orgs)):
                    continue
                evidence = [_describe(a, appointments.get(a.pk, [])), _describe(b, appointments.get(b.pk, []))]
                evidence.append("读音相同" + (f"；同一职务：{'、'.join(sorted(shared_titles))}" if shared_titles else "") + ("；同一机构" if shared_orgs else ""))
                out.append(Proposal("variant", region, sorted([a.name, b.name]), [a, b], evidence, ["merge", "dismiss"]))
    by_pk = {p.pk: p for p in people}
    for (pk, variant), places in sorted(_text_variants(region, people, volumes).items(), key=lambda kv: (by_pk[kv[0][0]].name, kv[0][1])):
        person = by_pk[pk]
        posts = appointments.get(pk, [])
        said = {t for t in titles[pk] if any(t in snippet for _, snippet in places)}
        evidence = [_describe(person, posts), f"“{variant}”不是任何人物的姓名或别名，与“{person.name}”读音相同、仅一字之差"]
        if said:
            evidence.append(f"文中“{variant}”前后的职务与“{person.name}”的任职相同：{'、'.join(sorted(said))}")
        evidence += [f"{where}：{snippet}" for where, snippet in places]
        out.append(Proposal("variant", region, sorted([person.name, variant]), [person], evidence, ["alias", "dismiss"], variant=variant))
    return out


def proposals(region=None) -> list[Proposal]:
    """Everything the review queue proposes, each with its evidence and the decision taken, if any."""
    from .models import Volume

    people = Person.objects.order_by("pk")
    if region is not None:
        people = people.filter(region=region)
    people = list(people)
    appointments = defaultdict(list)
    rows = Appointment.objects.filter(person__in=people).select_related("organisation", "volume", "person")
    for a in rows.order_by("volume", "position"):
        appointments[a.person_id].append(a)
    out = homonyms(people, appointments)
    by_region = defaultdict(list)
    for p in people:
        by_region[p.region].append(p)
    for reg, members in sorted(by_region.items()):
        out += variants(reg, members, appointments, Volume.objects.filter(region=reg))
    decisions = {d.key: d for d in ReviewDecision.objects.filter(key__in=[p.key for p in out])}
    for p in out:
        p.decision = decisions.get(p.key)
    return out


class Undecidable(Exception):
    """The proposal is gone (an editor already acted on it) or the action does not fit it."""


def decide(key, action, *, user=None) -> ReviewDecision:
    """Accept (merge, alias, split) or dismiss the proposal with this key, and keep the answer."""
    from . import editing

    kind, region, _ = key.split("|", 2)
    proposal = next((p for p in proposals(region) if p.key == key), None)
    if proposal is None or action not in proposal.actions:
        raise Undecidable(f"审核队列中没有“{key}”可以“{action}”的提议（可能已经处理）")
    with transaction.atomic():
        editing.begin_writing()
        if action == ReviewDecision.Action.MERGE:
            ranked = sorted(proposal.people, key=lambda p: (-p.appointments.count(), p.pk))
            editing.merge_people(ranked[0], ranked[1:], user=user)
        elif action == ReviewDecision.Action.ALIAS:
            add_alias(proposal.people[0], proposal.variant, user=user)
        elif action == ReviewDecision.Action.SPLIT:
            for group in proposal.groups[1:]:
                editing.split_person(proposal.people[0], appointments=group, user=user)
        decision, _ = ReviewDecision.objects.update_or_create(
            key=key,
            defaults={
                "kind": kind,
                "region": region,
                "names": proposal.names,
                "action": action,
                "evidence": proposal.evidence,
                "user": user,
                "decided_at": timezone.now(),
            },
        )
    return decision


def add_alias(person, alias, *, user=None):
    """Record another spelling of a person and link the entries that use it (the others keep their links)."""
    with transaction.atomic():
        return _add_alias(person, alias, user)


def _add_alias(person, alias, user):
    from . import editing

    editing.begin_writing()
    person = Person.objects.select_for_update().get(pk=person.pk)
    alias = alias.strip()
    if not alias or alias in names_of(person):
        return []
    person.aliases = [*person.aliases, alias]
    editing._as(user, f"加别名：{alias}", person).save()
    entries = Entry.objects.filter(volume__region=person.region).filter(
        Q(text__contains=alias) | Q(title__contains=alias) | Q(captions__text__contains=alias)
    ).distinct()
    linked = list(entries.exclude(people=person).values_list("pk", flat=True))
    person.mentioned_in.add(*linked)
    editing._enqueue_on_commit(Person, [person.pk])
    editing._enqueue_on_commit(Entry, linked)
    return linked
