"""Document → models. The only module that writes what the loaders parse.

A volume is stored in one transaction, keyed by its slug and the hash of its source
files: storing the same files again changes nothing, and storing changed files
replaces that volume's rows cleanly. People and organisations are shared across
volumes and are never deleted by a load.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from loaders.document import Document
from loaders.document import Entry as ParsedEntry
from loaders.document import Section as ParsedSection

from . import editing
from .models import (
    Appointment,
    Byline,
    Caption,
    Entry,
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
        )


def plural(n: int, one: str, many: str = "") -> str:
    """Return "1 section" / "2 sections"."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def volume_hash(meta: VolumeMeta, files: list[StoredFile]) -> str:
    h = hashlib.sha256()
    for value in (meta.slug, meta.title, meta.kind, meta.region, meta.compiler, meta.year, meta.year_covered, meta.date):
        h.update(f"{value}\x1f".encode())
    for f in files:
        h.update(f"{f.name}\x1f{f.sha256}\x1e".encode())
    return h.hexdigest()


class PeopleDirectory:
    """Resolve printed names to the Person rows of one region, by name or alias."""

    def __init__(self, region: str):
        self.region = region
        self.by_name: dict[str, Person] = {}
        for person in Person.objects.filter(region=region):
            for alias in person.aliases:
                self.by_name.setdefault(alias, person)
            self.by_name[person.name] = person
        self.created = 0

    def get(self, name: str, notes=()) -> Person:
        person = self.by_name.get(name)
        if person is None:
            person = Person.objects.create(name=name, region=self.region, notes=list(notes))
            self.by_name[name] = person
            self.created += 1
        elif notes and not set(notes) <= set(person.notes):
            person.notes = [*person.notes, *(n for n in notes if n not in person.notes)]
            person.save(update_fields=["notes"])
        return person


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
    with editing.history_disabled():
        result = _replace(doc, meta, files, volume, status, digest)
    if snapshot is not None:
        result.edits = ("keep", editing.reapply_edits(result.volume, snapshot))
    elif edited:
        result.edits = ("discard", [f"{r}：已由新载入的内容替换" for r in edited])
    return result


def _replace(doc, meta, files, volume, status, digest):
    if volume is None:
        volume = Volume(slug=meta.slug)
    else:
        # Children first: entries reference sections, sections reference each other.
        volume.entries.all().delete()
        volume.sections.all().delete()
        volume.appointments.all().delete()
        volume.files.all().delete()
    for attr in ("title", "kind", "region", "compiler", "year", "year_covered", "date"):
        setattr(volume, attr, getattr(meta, attr))
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
    _store_tree(doc, volume, people, result)
    _store_appointments(doc, volume, people, result)
    result.counts["people"] = people.created
    result.warnings = list(doc.warnings)
    result.detected = doc.detected
    volume.load_report = load_report(result, doc.kind)
    volume.save(update_fields=["load_report"])
    return result


def load_report(result: StoreResult, kind: str) -> dict:
    """Return what a load found, as stored on the volume for the editors' load report."""
    return {
        "kind": kind,
        "detected": result.detected,
        "counts": dict(sorted(result.counts.items())),
        "not_digitized": result.not_digitized,
        "warnings": [{"file": w.file, "line": w.line, "message": w.message} for w in result.warnings],
    }


def _store_tree(doc, volume, people, result):
    counts = result.counts
    section_position = 0
    entry_position = 0
    pending: list[tuple[Entry, ParsedEntry]] = []

    def add(parsed: ParsedSection, parent: Section | None):
        nonlocal section_position, entry_position
        section = Section.objects.create(
            volume=volume,
            parent=parent,
            position=section_position,
            level=parsed.level,
            title=parsed.title[:200],
            page=parsed.page,
            digitized=parsed.digitized,
            alt_titles=list(parsed.alt_titles),
            source_path=f"{parent.source_path} › {parsed.title[:200]}"[:1000] if parent else parsed.title[:200],
        )
        section_position += 1
        counts["sections"] += 1
        counts[f"sections.level{parsed.level}"] += 1
        if not parsed.digitized:
            result.not_digitized.append(" › ".join(s.title for s in section.path()))
        for e in parsed.entries:
            pending.append((_entry(volume, section, entry_position, e), e))
            entry_position += 1
        for child in parsed.children:
            add(child, section)

    for top in doc.sections:
        add(top, None)

    rows = Entry.objects.bulk_create([row for row, _ in pending])
    bylines, captions = [], []
    for row, (_, parsed) in zip(rows, pending, strict=True):
        counts["entries"] += 1
        counts["entries." + row.kind] += 1
        if parsed.speaker:
            row.speaker_person = people.get(parsed.speaker)
        for i, name in enumerate(dict.fromkeys(parsed.authors)):
            bylines.append(Byline(entry=row, person=people.get(name), position=i))
        for i, c in enumerate(parsed.captions):
            credit_person = people.get(c.credit) if _looks_like_name(c.credit) else None
            captions.append(
                Caption(entry=row, position=i, text=c.text, credit=c.credit, credit_person=credit_person, line=c.line)
            )
    Entry.objects.bulk_update([r for r in rows if r.speaker_person_id], ["speaker_person"])
    Byline.objects.bulk_create(bylines)
    Caption.objects.bulk_create(captions)
    counts["bylines"] = len(bylines)
    counts["captions"] = len(captions)


def _entry(volume, section, position, e: ParsedEntry) -> Entry:
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
        date=_parse_date(e.date),
        date_end=_parse_date(e.date_end),
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
    orgs = {o.name: o for o in Organisation.objects.filter(region=volume.region)}
    rows = []
    for i, a in enumerate(doc.appointments):
        org = orgs.get(a.organisation)
        if org is None:
            org = orgs[a.organisation] = Organisation.objects.create(name=a.organisation, region=volume.region)
            result.counts["organisations"] += 1
        rows.append(
            Appointment(
                person=people.get(a.person, a.person_notes),
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
    中共魏都区委) is not a separate mention. Return the number of links made.
    """
    volumes = Volume.objects.all() if volumes is None else volumes
    PersonLink = Entry.people.through
    OrgLink = Entry.organisations.through
    person_links, org_links = set(), set()
    for region in {v.region for v in volumes}:
        names: dict[str, tuple[str, int]] = {}
        for org in Organisation.objects.filter(region=region):
            for n in [org.name, *org.aliases]:
                if len(n) >= 2:
                    names.setdefault(n, ("org", org.pk))
        for person in Person.objects.filter(region=region):
            for n in [person.name, *person.aliases]:
                if len(n) >= 2:
                    names.setdefault(n, ("person", person.pk))
        if not names:
            continue
        pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
        entries = Entry.objects.filter(volume__in=[v for v in volumes if v.region == region])
        for entry_id, title, text in entries.values_list("id", "title", "text").iterator():
            for match in pattern.finditer(f"{title}\n{text}"):
                kind, pk = names[match.group()]
                (person_links if kind == "person" else org_links).add((entry_id, pk))
    entries = Entry.objects.filter(volume__in=volumes)
    with transaction.atomic():
        PersonLink.objects.filter(entry__in=entries).delete()
        OrgLink.objects.filter(entry__in=entries).delete()
        PersonLink.objects.bulk_create(PersonLink(entry_id=e, person_id=p) for e, p in person_links)
        OrgLink.objects.bulk_create(OrgLink(entry_id=e, organisation_id=o) for e, o in org_links)
    return len(person_links) + len(org_links)
