"""Document → models. The only module that writes what the loaders parse.

A volume is stored in one transaction, keyed by its slug and the hash of its source
files: storing the same files again changes nothing. Storing changed files matches
the volume's sections and entries with the new ones (``matching``): those found again
keep their ids and are updated in place, new ones are created, and those gone are
deleted and leave a tombstone, so a URL once printed keeps answering. People and
organisations are shared across volumes and are never deleted by a load.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from loaders.document import Document
from loaders.document import Entry as ParsedEntry
from loaders.document import Section as ParsedSection

from . import editing, identity, matching, tombstones
from .models import (
    Appointment,
    Byline,
    Caption,
    Entry,
    LoadReport,
    Organisation,
    Person,
    Section,
    SourceFile,
    Volume,
)
from .search import indexing


@dataclass
class VolumeMeta:
    slug: str
    title: str
    kind: str
    region: str = ""
    compiler: str = ""
    year: int | None = None
    year_covered: int | None = None
    date: datetime.date | None = None
    lunar_eras: tuple[str, ...] = ()  # eras whose 大事记 months and days are lunar (民国)


@dataclass
class StoredFile:
    name: str
    sha256: str
    encoding: str
    text: str


@dataclass
class StoreResult:
    volume: Volume
    status: str  # created, updated, unchanged
    counts: Counter = field(default_factory=Counter)
    not_digitized: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # What happened to editors' changes on a re-load: (mode, lines to print).
    edits: tuple[str, list[str]] | None = None
    warnings: list = field(default_factory=list)  # loaders.document.LoadWarning
    detected: str = ""  # the kind detected and why, when the kind was "auto"

    def __str__(self):
        if self.status == "unchanged":
            return f"{self.volume.slug}: unchanged"
        c = self.counts
        kinds = ", ".join(f"{k} {c['entries.' + k]}" for k in sorted(Entry.Kind.values) if c["entries." + k])
        # People and organisations are shared across volumes: a reload finds them, so
        # the count is of those this load had to create.
        return (
            f"{self.volume.slug}: {self.status} — {plural(c['sections'], 'section')} "
            f"({c['sections.level1']} top-level, {len(self.not_digitized)} not digitised), "
            f"{plural(c['entries'], 'entry', 'entries')} ({kinds}), {plural(c['people'], 'new person', 'new people')}, "
            f"{plural(c['organisations'], 'new organisation')}, {plural(c['appointments'], 'appointment')}, "
            f"{plural(c['captions'], 'caption')}, {plural(c['bylines'], 'byline')}"
            + (
                f"; entry ids kept {c['entries.kept_ids']} (changed {c['entries.updated']}), removed {c['entries.removed']}"
                if self.status == "updated"
                else ""
            )
        )


def plural(n: int, one: str, many: str = "") -> str:
    """Return "1 section" / "2 sections"."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def volume_hash(meta: VolumeMeta, files: list[StoredFile]) -> str:
    h = hashlib.sha256()
    for value in (meta.slug, meta.title, meta.kind, meta.region, meta.compiler, meta.year, meta.year_covered, meta.date):
        h.update(f"{value}\x1f".encode())
    if meta.lunar_eras:  # only when given: the volumes loaded before it keep their hash
        h.update(f"lunar_eras={','.join(meta.lunar_eras)}\x1f".encode())
    for f in files:
        h.update(f"{f.name}\x1f{f.sha256}\x1e".encode())
    return h.hexdigest()


class PeopleDirectory:
    """Resolve printed names to the Person rows of one region: by name, alias or loaded name.

    Which of several people of one name a list means is decided in ``identity``.
    """

    def __init__(self, region: str):
        self.region = region
        self.by_name: dict[str, list[Person]] = defaultdict(list)
        for person in Person.objects.filter(region=region).order_by("pk"):
            for name in identity.names_of(person):
                self.by_name[name].append(person)
        self.created = 0
        self.changed: dict[int, Person] = {}

    def candidates(self, name: str) -> list[Person]:
        return list(self.by_name.get(name, []))

    def create(self, name: str, notes=()) -> Person:
        person = Person.objects.create(name=name, loaded_name=name, region=self.region, notes=list(notes))
        self.by_name[name].append(person)
        self.created += 1
        return person

    def get(self, name: str, notes=()) -> Person:
        """The person a byline, speaker or photo credit names (no list gives evidence): the first of the name."""
        found = self.by_name.get(name)
        person = found[0] if found else self.create(name, notes)
        self.describe(person, notes)
        return person

    def describe(self, person: Person, notes=(), organisation: str = ""):
        """Add what a list says of the person (notes, the organisation) to the record, saved by ``save``."""
        if notes and not set(notes) <= set(person.notes):
            person.notes = [*person.notes, *(n for n in notes if n not in person.notes)]
            self.changed[person.pk] = person
        if organisation and organisation not in person.context:
            person.context = [*person.context, organisation]
            self.changed[person.pk] = person

    def save(self):
        Person.objects.bulk_update(self.changed.values(), ["notes", "context"], batch_size=500)
        self.changed.clear()


def store_document(doc: Document, meta: VolumeMeta, files: list[StoredFile], *, force=False, edits="refuse") -> StoreResult:
    """Store a parsed volume, replacing an earlier load of the same slug if its files changed.

    If editors changed the volume since its last load, ``edits`` decides: "refuse"
    raises ``editing.EditConflict`` listing the edited records, "keep" re-applies the
    editors' versions over the new load, "discard" replaces them.

    The caller brings the search index up to date afterwards (``corpus.after_load``):
    the rows a load deletes and creates are not queued one by one.
    """
    with indexing.paused(), transaction.atomic():
        # Take the write lock first, as editors' saves do: a transaction that reads
        # first fails at once ("database is locked") if anyone writes meanwhile.
        editing.begin_writing()
        return _store(doc, meta, files, force, edits)


def _store(doc, meta, files, force, edits="refuse"):
    digest = volume_hash(meta, files)
    volume = Volume.objects.select_for_update().filter(slug=meta.slug).first()
    if volume and volume.source_hash == digest and not force:
        return StoreResult(volume, "unchanged")
    status = "updated" if volume else "created"
    edited = editing.edited_records(volume) if volume else []
    if edited and edits == "refuse":
        raise editing.EditConflict([(volume, edited)])
    snapshot = editing.capture_edits(volume, edited) if edited and edits == "keep" else None
    discarded = {r.pk for r in edited if r.model is Entry} if edits == "discard" else set()
    ghosts = editing.deleted_by_editors(volume, restore=discarded) if volume else {}
    discarded_sections = {r.pk for r in edited if r.model is Section} if edits == "discard" else set()
    ghosts = {
        "entries": ghosts,
        "sections": editing.sections_deleted_by_editors(volume, restore=discarded_sections) if volume else {},
    }
    with editing.history_disabled(), tombstones.written_by_load():
        result = _replace(doc, meta, files, volume, status, digest, ghosts)
    if snapshot is not None:
        result.edits = ("keep", editing.reapply_edits(result.volume, snapshot))
    elif edited:
        # The new load wins, also over the mentions editors set by hand.
        Entry.objects.filter(pk__in=discarded).update(mentions_edited=False)
        result.edits = ("discard", editing.discarded(edited))
    return result


def _replace(doc, meta, files, volume, status, digest, ghosts=None):
    if volume is None:
        volume = Volume(slug=meta.slug)
    else:
        # Sections and entries are matched with the new load in _store_tree (their ids
        # are public); appointments and files are simply made again.
        volume.appointments.all().delete()
        volume.files.all().delete()
    for attr in ("title", "kind", "region", "compiler", "year", "year_covered", "date"):
        setattr(volume, attr, getattr(meta, attr))
    volume.lunar_eras = list(meta.lunar_eras)
    volume.kind = doc.kind or meta.kind  # what was parsed, also when meta.kind is "auto"
    if volume.date is None and doc.date:
        volume.date = _parse_date(doc.date)
    volume.source_hash = digest
    volume.loaded_at = timezone.now()
    volume.save()

    SourceFile.objects.bulk_create(
        SourceFile(volume=volume, position=i, name=f.name, sha256=f.sha256, encoding=f.encoding, text=f.text)
        for i, f in enumerate(files)
    )
    result = StoreResult(volume, status)
    people = PeopleDirectory(volume.region)
    ghosts = ghosts or {}
    _store_tree(doc, volume, people, result, ghosts.get("entries", {}), ghosts.get("sections", {}))
    _store_appointments(doc, volume, people, result)
    result.counts["people"] = people.created
    result.warnings = list(doc.warnings)
    result.detected = doc.detected
    LoadReport.objects.update_or_create(volume=volume, defaults={"data": load_report(result, doc.kind)})
    return result


def load_report(result: StoreResult, kind: str) -> dict:
    """Return what a load found, as stored on the volume for the editors' load report."""
    return {
        "kind": kind,
        "status": result.status,  # created or updated
        "detected": result.detected,
        "counts": dict(sorted(result.counts.items())),
        "not_digitized": result.not_digitized,
        "warnings": [{"file": w.file, "line": w.line, "message": w.message} for w in result.warnings],
    }


# The fields a load writes; a re-load updates a matched row's fields that differ.
SECTION_FIELDS = ["parent_id", "position", "level", "title", "page", "digitized", "alt_titles", "source_path"]
ENTRY_FIELDS = [
    "section_id", "position", "kind", "title", "untitled", "kicker", "subtitle", "alt_titles", "text", "page", "date",
    "date_end", "year",
    "date_precision", "date_printed", "lunar", "speaker", "speaker_title", "speaker_person_id", "source_tag",
    "tables", "source_file", "line_start", "line_end", "source_file_end", "notes", "source_section", "source_title",
]  # fmt: skip


def _update_changed(model, rows, fields):
    """Bulk-update ``rows`` (pairs of row and new values) where any value differs; return how many did."""
    changed, names = [], set()
    for row, values in rows:
        diff = [f for f in fields if getattr(row, f) != values[f]]
        if diff:
            for f in diff:
                setattr(row, f, values[f])
            changed.append(row)
            names.update(diff)
    if changed:
        fields_by_attname = {f.attname: f.name for f in model._meta.concrete_fields}
        model.objects.bulk_update(changed, sorted(fields_by_attname[n] for n in names), batch_size=200)
    return len(changed)


def _store_tree(doc, volume, people, result, ghosts, section_ghosts=None):
    """Store the volume's sections and entries, keeping the ids of those it had before.

    ``matching`` decides which existing row is which parsed one; matched rows are
    updated in place, new ones created, the others deleted with a tombstone.
    ``ghosts`` ({id: (EntryKey, restore)}) are entries editors deleted: a parsed entry
    that is one of them is left out (their deletion stands), or, with ``restore``,
    made again under its old id. ``section_ghosts`` ({id: (path, restore)}) do the
    same for sections: a left-out section's entries and subsections go to its nearest
    ancestor that is kept (a 类目 with content and no such ancestor is made again).
    """
    section_ghosts = section_ghosts or {}
    counts = result.counts
    parsed_sections: list[tuple[ParsedSection, int | None, str]] = []
    parsed_entries: list[tuple[ParsedEntry, int]] = []

    def walk(parsed: ParsedSection, parent: int | None):
        title = parsed.title[:200]
        path = f"{parsed_sections[parent][2]} › {title}"[:1000] if parent is not None else title
        index = len(parsed_sections)
        parsed_sections.append((parsed, parent, path))
        counts["sections"] += 1
        counts[f"sections.level{parsed.level}"] += 1
        if not parsed.digitized:
            result.not_digitized.append(path)
        parsed_entries.extend((e, index) for e in parsed.entries)
        for child in parsed.children:
            walk(child, index)

    for top in doc.sections:
        walk(top, None)

    old_sections = list(Section.objects.filter(volume=volume).order_by("position")) if volume.pk else []
    old_entries = list(Entry.objects.filter(volume=volume).order_by("position")) if volume.pk else []
    section_pairs = matching.pair_in_order([s.source_path for s in old_sections], [p for _, _, p in parsed_sections])
    # Sections editors deleted: recognised by their exact path, after the live ones.
    unpaired = [j for j in range(len(parsed_sections)) if j not in set(section_pairs.values())]
    ghost_sections = list(section_ghosts)
    pairs = matching.pair_in_order([section_ghosts[g][0] for g in ghost_sections], [parsed_sections[j][2] for j in unpaired])
    section_ghost_of = {unpaired[b]: ghost_sections[a] for a, b in pairs.items()}
    skipped_sections = set()
    home = {}  # parsed section -> the kept parsed section its entries and children go to
    holds = {i for _, i in parsed_entries} | {p for _, p, _ in parsed_sections if p is not None}
    for j, (_, parent, _) in enumerate(parsed_sections):
        if j in section_ghost_of and not section_ghosts[section_ghost_of[j]][1]:
            up = home.get(parent) if parent is not None else None
            if up is not None or j not in holds:
                skipped_sections.add(j)
                home[j] = up
                continue
        home[j] = j
    counts["sections.deleted_by_editors"] = len(skipped_sections)
    section_position = {j: p for p, j in enumerate(j for j in range(len(parsed_sections)) if j not in skipped_sections)}
    new_keys = [
        matching.EntryKey(parsed_sections[i][2], e.title[:300], matching.opening("\n".join(p for p in e.paragraphs if p)))
        for e, i in parsed_entries
    ]
    old_keys = [matching.EntryKey(e.source_section, e.source_title, matching.opening(e.text)) for e in old_entries]
    entry_pairs = matching.pair_entries(old_keys, new_keys)
    # Entries editors deleted: recognised only by their exact key, after the live ones.
    left = [j for j in range(len(new_keys)) if j not in set(entry_pairs.values())]
    ghost_ids = list(ghosts)
    ghost_pairs = matching.pair_in_order([ghosts[g][0] for g in ghost_ids], [new_keys[j] for j in left])
    ghost_of = {left[b]: ghost_ids[a] for a, b in ghost_pairs.items()}
    skipped = {j for j, g in ghost_of.items() if not ghosts[g][1]}
    counts["entries.deleted_by_editors"] = len(skipped)

    # Entries no longer there go first: they hold positions the new rows need.
    gone_entries = [e for i, e in enumerate(old_entries) if i not in entry_pairs]
    if gone_entries:
        Entry.objects.filter(pk__in=[e.pk for e in gone_entries]).delete()

    # Sections, in book order: a parent is stored before its children.
    old_section_of = {j: i for i, j in section_pairs.items()}
    if old_sections and (
        len(section_pairs) < len(section_position)
        or any(old_sections[i].position != section_position[j] for i, j in section_pairs.items())
    ):
        Section.objects.filter(volume=volume).update(position=F("position") + editing.PARK)
        for row in old_sections:
            row.position += editing.PARK
    section_rows: list[Section | None] = []
    matched_sections = []
    revived_sections = []
    for j, (parsed, parent, path) in enumerate(parsed_sections):
        if j in skipped_sections:
            section_rows.append(None)
            continue
        parent = home[parent] if parent is not None else None
        values = {
            "parent_id": section_rows[parent].pk if parent is not None else None,
            "position": section_position[j],
            "level": parsed.level if parent == parsed_sections[j][1] else section_rows[parent].level + 1,
            "title": parsed.title[:200],
            "page": parsed.page,
            "digitized": parsed.digitized,
            "alt_titles": list(parsed.alt_titles),
            "source_path": path,
        }
        if j in old_section_of:
            row = old_sections[old_section_of[j]]
            matched_sections.append((row, values))
        else:
            row = Section.objects.create(volume=volume, pk=section_ghost_of.get(j), **values)
            if j in section_ghost_of:
                revived_sections.append(row.pk)
        section_rows.append(row)
    if revived_sections:
        tombstones.revived(Section, revived_sections)
    _update_changed(Section, matched_sections, SECTION_FIELDS)

    # Entries: the new rows, those matched (updated in place), those brought back.
    old_entry_of = {j: i for i, j in entry_pairs.items()}
    kept = [j for j in range(len(parsed_entries)) if j not in skipped]
    position = {j: p for p, j in enumerate(kept)}
    if old_entries and (
        len(entry_pairs) < len(kept) or any(old_entries[i].position != position[j] for i, j in entry_pairs.items())
    ):
        Entry.objects.filter(volume=volume).update(position=F("position") + editing.PARK)
        for row in old_entries:
            row.position += editing.PARK
    rows: list[Entry] = []
    created, matched_entries = [], []
    for j in kept:
        parsed, section_index = parsed_entries[j]
        fresh = _entry(volume, section_rows[home[section_index]], position[j], parsed)
        fresh.speaker_person = people.get(parsed.speaker) if parsed.speaker else None
        fresh.source_section = parsed_sections[section_index][2]
        fresh.source_title = fresh.title
        if j in old_entry_of:
            row = old_entries[old_entry_of[j]]
            matched_entries.append((row, {f: getattr(fresh, f) for f in ENTRY_FIELDS}))
        else:
            if j in ghost_of:
                fresh.pk = ghost_of[j]
            row = fresh
            created.append(row)
        rows.append(row)
    Entry.objects.bulk_create(created)
    counts["entries.updated"] = _update_changed(Entry, matched_entries, ENTRY_FIELDS)
    restored = [ghost_of[j] for j in kept if j in ghost_of]
    if restored:
        tombstones.revived(Entry, restored)

    # What is gone leaves a tombstone, naming the new record in its place where there is one.
    new_id = {j: row.pk for j, row in zip(kept, rows, strict=True)} if gone_entries else {}
    place = matching.replacements(
        entry_pairs, len(old_entries), len(parsed_entries), lambda i, j: old_keys[i].section == new_keys[j].section
    )
    tombstones.vanished(
        Entry, gone_entries, volume.slug, {old_entries[i].pk: new_id.get(j) for i, j in place.items() if j in new_id}
    )
    gone_sections = [s for i, s in enumerate(old_sections) if i not in section_pairs]
    if gone_sections:
        place = matching.replacements(
            section_pairs,
            len(old_sections),
            len(parsed_sections),
            lambda i, j: old_sections[i].level == parsed_sections[j][0].level,
        )
        Section.objects.filter(pk__in=[s.pk for s in gone_sections]).delete()
        tombstones.vanished(
            Section,
            gone_sections,
            volume.slug,
            {old_sections[i].pk: section_rows[j].pk for i, j in place.items() if section_rows[j] is not None},
        )
    counts["entries.kept_ids"] = len(entry_pairs)
    counts["entries.removed"] = len(gone_entries)
    counts["sections.kept_ids"] = len(section_pairs)
    counts["sections.removed"] = len(gone_sections)

    counts["entries"] = len(rows)
    for row in rows:
        counts["entries." + row.kind] += 1
    _store_parts(rows, [parsed_entries[j][0] for j in kept], {r.pk for r, _ in matched_entries}, people, counts)


def _store_parts(rows, parsed, matched_ids, people, counts):
    """Store the entries' bylines and captions; matched entries keep the rows that did not change."""
    old_bylines, old_captions = {}, {}
    for b in Byline.objects.filter(entry_id__in=matched_ids).order_by("position"):
        old_bylines[(b.entry_id, b.person_id)] = b
    for c in Caption.objects.filter(entry_id__in=matched_ids).order_by("entry_id", "position", "pk"):
        old_captions.setdefault(c.entry_id, []).append(c)
    new_bylines, moved_bylines, new_captions, changed_captions, spare = [], [], [], [], []
    for row, p in zip(rows, parsed, strict=True):
        for i, name in enumerate(dict.fromkeys(p.authors)):
            person = people.get(name)
            old = old_bylines.pop((row.pk, person.pk), None)
            if old is None:
                new_bylines.append(Byline(entry=row, person=person, position=i))
            elif old.position != i:
                old.position = i
                moved_bylines.append(old)
        olds = old_captions.pop(row.pk, [])
        for i, c in enumerate(p.captions):
            credit_person = people.get(c.credit) if _looks_like_name(c.credit) else None
            values = {"position": i, "text": c.text, "credit": c.credit, "credit_person_id": getattr(credit_person, "pk", None), "line": c.line}
            if i < len(olds):
                changed_captions.append((olds[i], values))
            else:
                new_captions.append(Caption(entry=row, **values))
        spare += olds[len(p.captions):]
    Byline.objects.filter(pk__in=[b.pk for b in old_bylines.values()]).delete()
    Caption.objects.filter(pk__in=[c.pk for rest in old_captions.values() for c in rest] + [c.pk for c in spare]).delete()
    Byline.objects.bulk_update(moved_bylines, ["position"])
    _update_changed(Caption, changed_captions, ["position", "text", "credit", "credit_person_id", "line"])
    Byline.objects.bulk_create(new_bylines)
    Caption.objects.bulk_create(new_captions)
    counts["bylines"] = sum(len(dict.fromkeys(p.authors)) for p in parsed)
    counts["captions"] = sum(len(p.captions) for p in parsed)


def _entry(volume, section, position, e: ParsedEntry) -> Entry:
    date = _parse_date(e.date)
    return Entry(
        volume=volume,
        section=section,
        position=position,
        kind=e.kind,
        title=e.title[:300],
        untitled=e.untitled,
        kicker=e.kicker[:300],
        subtitle=e.subtitle[:300],
        text="\n".join(p for p in e.paragraphs if p),
        page=e.page,
        date=date,
        date_end=_parse_date(e.date_end),
        year=e.year if e.year is not None else (date.year if date else None),
        date_precision=e.date_precision or ("day" if e.date else ""),
        date_printed=e.date_printed[:100],
        lunar=e.lunar,
        speaker=e.speaker,
        speaker_title=e.speaker_title,
        source_tag=e.source_tag,
        tables=[{"caption": t.caption, "rows": t.rows} for t in e.tables],
        source_file=e.source_file,
        line_start=e.line_start,
        line_end=e.line_end,
        source_file_end=e.source_file_end if e.source_file_end != e.source_file else "",
        notes=list(e.notes),
        alt_titles=list(e.alt_titles),
    )


def _store_appointments(doc, volume, people, result):
    orgs = {}
    for o in Organisation.objects.filter(region=volume.region).order_by("-pk"):
        orgs.update(dict.fromkeys(identity.names_of(o), o))  # the oldest wins a shared name
    rows = []
    assigned = identity.assign_people(doc.appointments, people)
    for i, a in enumerate(doc.appointments):
        org = orgs.get(a.organisation)
        if org is None:
            org = orgs[a.organisation] = Organisation.objects.create(
                name=a.organisation, loaded_name=a.organisation, region=volume.region
            )
            result.counts["organisations"] += 1
        rows.append(
            Appointment(
                person=assigned[i],
                organisation=org,
                volume=volume,
                position=i,
                title=a.title,
                note=a.note,
                start_month=a.start_month,
                end_month=a.end_month,
                source_file=a.source_file,
                line=a.line or None,
            )
        )
    Appointment.objects.bulk_create(rows)
    people.save()
    result.counts["appointments"] = len(rows)


def _parse_date(value):
    if not value:
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")


def _looks_like_name(credit: str) -> bool:
    """A photographer's name (卜丽君), not a supplier (组织部) or 资料图片."""
    return bool(_NAME.match(credit)) and not credit.endswith(
        ("部", "办", "局", "委", "会", "室", "所", "院", "处", "队", "站", "馆", "厅", "图片", "中心", "街道", "社区", "公司")
    )


def link_mentions(volumes=None) -> int:
    """Link entries to the known people and organisations their text names.

    Names are matched within a volume's region only (组织部 of one county is not that of
    another). Longest match first: a name inside a longer known name (魏都区委 inside
    中共魏都区委) is not a separate mention. Entries whose mentions an editor changed
    (``mentions_edited``) are left as they are. Return the number of links made.
    """
    volumes = Volume.objects.all() if volumes is None else volumes
    PersonLink = Entry.people.through
    OrgLink = Entry.organisations.through
    person_links, org_links = set(), set()
    for region in {v.region for v in volumes}:
        names: dict[str, tuple[str, int]] = {}
        for org in Organisation.objects.filter(region=region).order_by("pk"):
            for n in identity.names_of(org):
                if len(n) >= 2:
                    names.setdefault(n, ("org", org.pk))
        # Several people may share a name (张磊): the text's organisations choose between them.
        namesakes: dict[str, list[Person]] = defaultdict(list)
        for person in Person.objects.filter(region=region).order_by("pk"):
            for n in identity.names_of(person):
                if len(n) >= 2 and names.get(n, ("person",))[0] == "person":
                    names[n] = ("person", 0)
                    namesakes[n].append(person)
        if not names:
            continue
        pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
        entries = Entry.objects.filter(volume__in=[v for v in volumes if v.region == region], mentions_edited=False)
        # Photo captions are part of the entry, as in the search index (区长李朝峰调研…).
        captions = defaultdict(list)
        for entry_id, caption, credit in Caption.objects.filter(entry__in=entries).values_list("entry_id", "text", "credit"):
            captions[entry_id].append(f"{caption} {credit}")
        for entry_id, title, text in entries.values_list("id", "title", "text").iterator():
            text = "\n".join([text, *captions.get(entry_id, ())])
            for match in pattern.finditer(f"{title}\n{text}"):
                kind, pk = names[match.group()]
                if kind == "person":
                    pk = identity.pick_by_text(namesakes[match.group()], text).pk
                (person_links if kind == "person" else org_links).add((entry_id, pk))
    # Mentions an editor set by hand are theirs, not the linker's.
    entries = Entry.objects.filter(volume__in=volumes, mentions_edited=False)
    with transaction.atomic():
        PersonLink.objects.filter(entry__in=entries).delete()
        OrgLink.objects.filter(entry__in=entries).delete()
        PersonLink.objects.bulk_create(PersonLink(entry_id=e, person_id=p) for e, p in person_links)
        OrgLink.objects.bulk_create(OrgLink(entry_id=e, organisation_id=o) for e, o in org_links)
    return len(person_links) + len(org_links)
