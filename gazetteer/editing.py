"""What editors do to the records the loaders made: split, merge, move, reorder,
merge people — and what a re-load does with their work.

Every function here runs in one transaction, records history under the editor's
name (``user``; inside an admin request simple_history's middleware supplies it) and
queues the search-index documents it changed once the transaction commits, because
the bulk updates it makes send no signals.
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import functools
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Max
from django.db.models.signals import m2m_changed, pre_save
from django.dispatch import receiver
from django.utils import timezone

from loaders.document import LoaderError

from . import matching, tombstones
from .models import (
    Appointment,
    Byline,
    Caption,
    Entry,
    IndexTask,
    Organisation,
    Person,
    RecordRedirect,
    Section,
    SourceFile,
    Tombstone,
    Volume,
)
from .search import indexing

HISTORY_MODELS = (Volume, Section, Entry, Person, Organisation, Appointment, Byline, Caption)
LOADED_VERSION = "载入时的版本"
# Larger than any position: rows are parked above it while positions are reassigned,
# so the unique (volume, position) constraints never see two rows on one number.
PARK = 10_000_000


def begin_writing():
    """Take SQLite's write lock first thing in a transaction that is going to write.

    SQLite upgrades a transaction that began by reading to a writing one only if no
    one wrote in between, and fails at once ("database is locked") otherwise; the
    indexer writes every half second. Holding the lock from the start makes an
    editor's change wait its turn instead. Other databases need nothing.
    """
    if connection.vendor == "sqlite" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {IndexTask._meta.db_table} SET id = id WHERE 0")


def atomic_write(function):
    """``transaction.atomic`` for a function that writes, with the write lock taken first."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with transaction.atomic():
            begin_writing()
            return function(*args, **kwargs)

    return wrapper


# --- history ---------------------------------------------------------------------


@contextlib.contextmanager
def history_disabled():
    """Record no history inside this block (a load writes thousands of rows at once)."""
    previous = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
    settings.SIMPLE_HISTORY_ENABLED = False
    try:
        yield
    finally:
        settings.SIMPLE_HISTORY_ENABLED = previous


def _history_fields(model):
    return [f.attname for f in model.history.model._meta.fields if not f.attname.startswith("history_")]


@receiver(pre_save)
def record_loaded_version(sender, instance, raw=False, **kwargs):
    """Before the first change to a loaded record, keep the version the loader made.

    Loads write without history, so without this the first edit could not be diffed
    against, reverted to, or matched with the record a re-load makes again.
    """
    if sender not in HISTORY_MODELS or raw or instance._state.adding or instance.pk is None:
        return
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True) or hasattr(instance, "skip_history_when_saving"):
        return
    _keep_loaded_version(sender, instance.pk)


def _keep_loaded_version(model, pk):
    if model.history.filter(id=pk).exists():
        return
    stored = model.objects.filter(pk=pk).values(*_history_fields(model)).first()
    if stored is None:
        return
    version = model.history.model.objects.create(
        history_date=_loaded_at(model, stored),
        history_type="+",
        history_user=None,
        history_change_reason=LOADED_VERSION,
        **stored,
    )
    if model is Entry:
        # The mentions as loaded belong to that version too: a revert brings them back.
        for name, column in (("people", "person_id"), ("organisations", "organisation_id")):
            through = getattr(Entry, name).through
            kept = getattr(Entry.history.model, name).model
            kept.objects.bulk_create(
                kept(history=version, id=link_id, entry_id=pk, **{column: value})
                for link_id, value in through.objects.filter(entry_id=pk).values_list("id", column)
            )


def mark_mentions_edited(entry):
    """Say that an editor set this entry's mentions by hand: later loads' linking leaves them alone."""
    if not entry.mentions_edited:
        _keep_loaded_version(Entry, entry.pk)
        entry.mentions_edited = True
        Entry.objects.filter(pk=entry.pk).update(mentions_edited=True)


def mentions_at(version):
    """Return {"people": [...ids], "organisations": [...ids]} as an entry history version had them."""
    return {
        "people": list(version.people.values_list("person_id", flat=True)),
        "organisations": list(version.organisations.values_list("organisation_id", flat=True)),
    }


@receiver(m2m_changed, sender=Entry.people.through)
@receiver(m2m_changed, sender=Entry.organisations.through)
def record_loaded_mentions(sender, instance, action, reverse, **kwargs):
    """Before the first change to an entry's mentions, keep the version the loader made."""
    if reverse or action not in ("pre_add", "pre_remove", "pre_clear") or not isinstance(instance, Entry):
        return
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True) or hasattr(instance, "skip_history_when_saving"):
        return
    _keep_loaded_version(Entry, instance.pk)


def _loaded_at(model, values):
    volume_id = values.get("volume_id")
    if volume_id is None and "entry_id" in values:
        volume_id = Entry.objects.filter(pk=values["entry_id"]).values_list("volume_id", flat=True).first()
    loaded = Volume.objects.filter(pk=volume_id).values_list("loaded_at", flat=True).first() if volume_id else None
    return loaded or timezone.now()


def _as(user, reason, *objects):
    for obj in objects:
        if user is not None:
            obj._history_user = user
        obj._change_reason = reason[:100]
    return objects[0] if objects else None


def _enqueue_on_commit(model, ids):
    ids = set(ids)
    transaction.on_commit(lambda: indexing.enqueue(model, ids))


# --- book order ------------------------------------------------------------------


def _renumber(model, volume_id, ordered_ids):
    current = dict(model.objects.filter(volume_id=volume_id).values_list("pk", "position"))
    if all(current.get(pk) == i for i, pk in enumerate(ordered_ids)) and len(current) == len(ordered_ids):
        return
    model.objects.filter(volume_id=volume_id).update(position=F("position") + PARK)
    model.objects.bulk_update([model(pk=pk, position=i) for i, pk in enumerate(ordered_ids)], ["position"], batch_size=500)


def next_position(model, volume_id):
    """A free position after every other row of the volume (``reflow`` then puts the row in its place)."""
    last = model.objects.filter(volume_id=volume_id).aggregate(m=Max("position"))["m"]
    return 0 if last is None else last + 1


def reflow(volume_id, *, section_keys=None, entry_keys=None):
    """Renumber a volume's sections and entries into book order.

    Sections go depth first, siblings by ``section_keys`` (default: their position);
    entries follow their section's place in that order, then ``entry_keys`` (default:
    their position). A key may be fractional: ``position + 0.5`` means "just after".
    """
    section_keys = section_keys or {}
    entry_keys = entry_keys or {}
    children = defaultdict(list)
    for pk, parent_id, position in Section.objects.filter(volume_id=volume_id).values_list("pk", "parent_id", "position"):
        children[parent_id].append((section_keys.get(pk, position), pk))
    order = []

    def walk(parent_id):
        for _, pk in sorted(children[parent_id]):
            order.append(pk)
            walk(pk)

    walk(None)
    rank = {pk: i for i, pk in enumerate(order)}
    entries = Entry.objects.filter(volume_id=volume_id).values_list("pk", "section_id", "position")
    entry_order = [pk for _, _, pk in sorted((rank[s], entry_keys.get(pk, p), pk) for pk, s, p in entries)]
    _renumber(Section, volume_id, order)
    _renumber(Entry, volume_id, entry_order)


def _neighbour(entry, step):
    siblings = Entry.objects.filter(volume_id=entry.volume_id)
    if step > 0:
        return siblings.filter(position__gt=entry.position).order_by("position").first()
    return siblings.filter(position__lt=entry.position).order_by("-position").first()


def previous_entry(entry):
    return _neighbour(entry, -1)


def next_entry(entry):
    return _neighbour(entry, +1)


# --- mentions --------------------------------------------------------------------


def _relink(entries, people, organisations):
    """Link each entry to those of the candidate people/organisations its text names."""
    for entry in entries:
        text = f"{entry.title}\n{entry.text}"
        entry.people.set([p for p in people if any(n and n in text for n in [p.name, *p.aliases])])
        entry.organisations.set([o for o in organisations if any(n and n in text for n in [o.name, *o.aliases])])


# --- split and merge -------------------------------------------------------------


def _split_line(entry, paragraph, chars_before, chars_total):
    """Return the source line where ``paragraph`` starts, or an estimate of it."""
    if entry.line_end <= entry.line_start:
        return entry.line_start
    probe = paragraph.strip()[:8]
    source = SourceFile.objects.filter(volume_id=entry.volume_id, name=entry.source_file).first()
    if source is not None and probe:
        for number, line in source.lines(entry.line_start + 1, entry.line_end):
            if line.strip(" \t\u3000").startswith(probe):
                return number
        for number, line in source.lines(entry.line_start + 1, entry.line_end):
            if probe in line:
                return number
    share = chars_before / max(chars_total, 1)
    return min(entry.line_end, max(entry.line_start + 1, entry.line_start + round(share * (entry.line_end - entry.line_start))))


@atomic_write
def split_entry(entry, at, *, title="", user=None):
    """Split ``entry`` before its paragraph number ``at`` (0-based); return the new entry.

    The new entry follows the old one in book order, in the same section. Without a
    ``title`` the paragraph at the split becomes the new entry's title (the usual
    loader mistake: a heading it took for body text). Captions printed after the
    split line go with the new entry; both keep the authors.
    """
    entry = Entry.objects.select_for_update().get(pk=entry.pk)
    paragraphs = entry.paragraphs
    if not 1 <= at < len(paragraphs):
        raise ValidationError(f"只能在第 2 至第 {len(paragraphs)} 段之前拆分（本条共 {len(paragraphs)} 段）")
    first, second = paragraphs[:at], paragraphs[at:]
    title = title.strip()
    if not title:
        if len(second) < 2:
            raise ValidationError("拆分处的段落要作新条目的标题时，后面至少还要有一段正文；否则请填写新标题")
        title, second = second[0].strip("【】 \u3000"), second[1:]
    line = _split_line(entry, paragraphs[at], sum(map(len, first)), sum(map(len, paragraphs)))
    new = Entry(
        volume_id=entry.volume_id,
        section_id=entry.section_id,
        position=next_position(Entry, entry.volume_id),  # placed by reflow below
        kind=entry.kind,
        title=title[:300],
        text="\n".join(second),
        page=entry.page,
        date=entry.date,
        date_end=entry.date_end,
        source_tag=entry.source_tag,
        source_file=entry.source_file,
        line_start=line,
        line_end=entry.line_end,
    )
    entry.text = "\n".join(first)
    entry.line_end = max(entry.line_start, line - 1)
    reason = f"拆分：后半成为「{title[:40]}」"
    _as(user, reason, entry)
    entry.save()
    _as(user, f"拆分自「{entry.title[:40]}」", new)
    new.save()
    reflow(entry.volume_id, entry_keys={new.pk: entry.position + 0.5})
    for i, byline in enumerate(entry.bylines.order_by("position")):
        _as(user, reason, Byline(entry=new, person_id=byline.person_id, position=i)).save()
    moved = [c for c in entry.captions.order_by("position") if c.line is not None and line > entry.line_start and c.line >= line]
    for i, caption in enumerate(moved):
        caption.entry = new
        caption.position = i
        _as(user, reason, caption).save()
    _relink([entry, new], list(entry.people.all()), list(entry.organisations.all()))
    _enqueue_on_commit(Entry, [entry.pk, new.pk])
    new.refresh_from_db()
    return new


@atomic_write
def merge_entries(first, second, *, title_as_paragraph=None, user=None):
    """Append ``second`` (the entry right after ``first`` in book order) to ``first``.

    The second entry's title becomes a paragraph of the merged text unless it was
    untitled; its captions follow the first's, its authors join the first's, and the
    second entry is deleted. Return the merged entry.
    """
    first = Entry.objects.select_for_update().get(pk=first.pk)
    second = Entry.objects.select_for_update().get(pk=second.pk)
    if next_entry(first) != second:
        raise ValidationError(f"「{second}」不是「{first}」在书中的下一条，只能合并相邻的条目")
    if title_as_paragraph is None:
        title_as_paragraph = not second.untitled
    paragraphs = [*first.paragraphs, *([second.title] if title_as_paragraph else []), *second.paragraphs]
    first.text = "\n".join(paragraphs)
    if second.source_file == first.source_file:
        first.line_end = max(first.line_end, second.line_end)
    first.tables = [*first.tables, *second.tables]
    reason = f"合并：并入「{second.title[:40]}」"
    _as(user, reason, first)
    first.save()
    offset = first.captions.count()
    for i, caption in enumerate(second.captions.order_by("position")):
        caption.entry = first
        caption.position = offset + i
        _as(user, reason, caption).save()
    authors = set(first.bylines.values_list("person_id", flat=True))
    offset = len(authors)
    for byline in second.bylines.order_by("position"):
        if byline.person_id not in authors:
            authors.add(byline.person_id)
            _as(user, reason, Byline(entry=first, person_id=byline.person_id, position=offset)).save()
            offset += 1
    first.people.add(*second.people.all())
    first.organisations.add(*second.organisations.all())
    second_pk = second.pk
    _as(user, f"合并入「{first.title[:40]}」", second)
    second.delete()
    tombstones.merged(second_pk, first.pk)  # its URL now redirects to the merged entry
    reflow(first.volume_id)
    _enqueue_on_commit(Entry, [first.pk, second_pk])
    return first


# --- moving and ordering ---------------------------------------------------------


@atomic_write
def move_entries(entries, section, *, at_start=False, user=None):
    """Move entries (of the section's volume) to ``section``, at its end or start, in book order."""
    entries = sorted(entries, key=lambda e: e.position)
    others = [e for e in entries if e.volume_id != section.volume_id]
    if others:
        raise ValidationError(f"「{others[0]}」不在《{section.volume}》中；只能在同一卷内移动条目")
    keys = {}
    for i, entry in enumerate(entries):
        keys[entry.pk] = (-PARK if at_start else PARK) + i
        if entry.section_id != section.pk:
            entry.section = section
            _as(user, f"移至「{section.title[:40]}」", entry).save()
    reflow(section.volume_id, entry_keys=keys)
    _enqueue_on_commit(Entry, [e.pk for e in entries])
    return len(entries)


def shift_entry(entry, step, *, user=None):
    """Swap an entry with its neighbour inside its section (step -1: up, +1: down)."""
    return shift_entries([entry], step, user=user) == 1


@atomic_write
def shift_entries(entries, step, *, user=None):
    """Move each entry one place up (step -1) or down (+1) inside its section; return how many moved.

    The swaps are worked out in memory, nearest the edge first, so a block of selected
    entries moves as a block; then each volume is renumbered once and the history rows
    are written in one go. (One reflow per entry held the write lock 22 s for 200.)
    """
    by_volume = defaultdict(set)
    for entry in entries:
        by_volume[entry.volume_id].add(entry.pk)
    moved_ids = []
    for volume_id, selected in by_volume.items():
        order = list(Entry.objects.filter(volume_id=volume_id).order_by("position").values_list("pk", "section_id"))
        index = {pk: i for i, (pk, _) in enumerate(order)}
        for pk in sorted(selected, key=index.get, reverse=step > 0):
            i = index[pk]
            j = i + step
            if not 0 <= j < len(order) or order[j][1] != order[i][1]:
                continue
            order[i], order[j] = order[j], order[i]
            index[order[i][0]], index[order[j][0]] = i, j
            moved_ids.append(pk)
        if moved_ids:
            reflow(volume_id, entry_keys={pk: i for i, (pk, _) in enumerate(order)})
    moved = list(Entry.objects.filter(pk__in=moved_ids))
    if moved:
        Entry.history.bulk_history_create(
            moved, update=True, default_user=user, default_change_reason="上移" if step < 0 else "下移"
        )
        _enqueue_on_commit(Entry, moved_ids)
    return len(moved)


def _subtree(section):
    ids, frontier = [section.pk], [section.pk]
    while frontier:
        frontier = list(Section.objects.filter(parent__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


@atomic_write
def shift_section(section, step, *, user=None):
    """Swap a section (with everything under it) with its previous or next sibling."""
    section = Section.objects.get(pk=section.pk)
    siblings = list(Section.objects.filter(volume_id=section.volume_id, parent_id=section.parent_id).order_by("position"))
    i = siblings.index(section)
    j = i + step
    if not 0 <= j < len(siblings):
        return False
    other = siblings[j]
    reflow(section.volume_id, section_keys={section.pk: other.position, other.pk: section.position})
    _as(user, "上移" if step < 0 else "下移", section)
    Section.objects.get(pk=section.pk).save()
    return True


@atomic_write
def place_section(section, *, user=None):
    """Put a section whose parent an editor changed at the end of its new parent.

    Fix the levels of the section and everything under it, and the book order.
    """
    if section.parent_id in _subtree(section):
        raise ValidationError("不能把目录节点移到它自己或它的下级之下")
    if section.parent_id and Section.objects.get(pk=section.parent_id).volume_id != section.volume_id:
        raise ValidationError("上级目录节点必须在同一卷中")
    depth = Section.objects.get(pk=section.parent_id).level + 1 if section.parent_id else 1
    shift = depth - Section.objects.get(pk=section.pk).level
    subtree = _subtree(section)
    if shift:
        Section.objects.filter(pk__in=subtree).update(level=F("level") + shift)
    reflow(section.volume_id, section_keys={section.pk: PARK})
    _enqueue_on_commit(Entry, Entry.objects.filter(section__in=subtree).values_list("pk", flat=True))


# --- people ----------------------------------------------------------------------


@atomic_write
def merge_people(keep, others, *, user=None):
    """Merge ``others`` into ``keep``: their names become aliases, their records move.

    Appointments, bylines, captions they took (credit_person), speeches they gave
    (speaker_person) and mentions all move to ``keep``; the others are deleted.
    Return a dict of what moved.
    """
    keep = Person.objects.select_for_update().get(pk=keep.pk)
    others = [p for p in Person.objects.select_for_update().filter(pk__in=[o.pk for o in others]) if p.pk != keep.pk]
    if not others:
        raise ValidationError("请至少选择一个要并入的人物")
    names = [o.name for o in others]
    reason = f"合并人物：{'、'.join(names)} → {keep.name}"[:100]
    moved = {"appointments": 0, "bylines": 0, "captions": 0, "speeches": 0, "mentions": 0}
    entries, people = set(), {keep.pk}
    for other in others:
        people.add(other.pk)
        for alias in [other.name, *other.aliases]:
            if alias != keep.name and alias not in keep.aliases:
                keep.aliases.append(alias)
        keep.notes += [n for n in other.notes if n not in keep.notes]
        keep.context += [o for o in other.context if o not in keep.context]
        for appointment in other.appointments.all():
            appointment.person = keep
            _as(user, reason, appointment).save()
            moved["appointments"] += 1
        authored = set(keep.bylines.values_list("entry_id", flat=True))
        for byline in other.bylines.all():
            entries.add(byline.entry_id)
            if byline.entry_id in authored:
                _as(user, reason, byline).delete()
            else:
                byline.person = keep
                _as(user, reason, byline).save()
            moved["bylines"] += 1
        for caption in other.photos.all():
            caption.credit_person = keep
            _as(user, reason, caption).save()
            entries.add(caption.entry_id)
            moved["captions"] += 1
        for speech in other.speeches.all():
            speech.speaker_person = keep
            _as(user, reason, speech).save()
            entries.add(speech.pk)
            moved["speeches"] += 1
        mentioned = list(other.mentioned_in.values_list("pk", flat=True))
        keep.mentioned_in.add(*mentioned)
        moved["mentions"] += len(mentioned)
        # The merged person's page (and pages merged into it before) now live at keep's.
        RecordRedirect.objects.filter(model="person", new_id=other.pk).update(new_id=keep.pk)
        RecordRedirect.objects.update_or_create(model="person", old_id=other.pk, defaults={"new_id": keep.pk})
        _as(user, reason, other).delete()
    _as(user, reason, keep).save()
    _enqueue_on_commit(Person, people)
    _enqueue_on_commit(Entry, entries)
    return moved


@atomic_write
def split_person(person, *, appointments=(), bylines=(), photos=(), speeches=(), mentions=(), name="", user=None):
    """Give the chosen records of ``person`` to a new person of the same name; return the new person.

    ``appointments``, ``bylines``, ``photos`` (captions), ``speeches`` (entries) and
    ``mentions`` (entries) are ids of the person's records. The organisations of the
    moved appointments go with them as the new person's evidence, so a re-load gives
    those lists to the new person again.
    """
    person = Person.objects.select_for_update().get(pk=person.pk)
    chosen = {
        "appointments": list(person.appointments.filter(pk__in=appointments).select_related("organisation")),
        "bylines": list(person.bylines.filter(pk__in=bylines)),
        "photos": list(person.photos.filter(pk__in=photos)),
        "speeches": list(person.speeches.filter(pk__in=speeches)),
        "mentions": list(person.mentioned_in.filter(pk__in=mentions)),
    }
    if not any(chosen.values()):
        raise ValidationError("请至少选择一项任职、署名、摄影、讲话或提及，分给新的人物")
    moved_orgs = {a.organisation.loaded_name or a.organisation.name for a in chosen["appointments"]}
    staying = {
        a.organisation.loaded_name or a.organisation.name
        for a in person.appointments.exclude(pk__in=appointments).select_related("organisation")
    }
    new = Person(
        name=(name or person.name).strip()[:50],
        loaded_name=person.loaded_name or person.name,
        region=person.region,
        notes=list(person.notes),
        context=[o for o in person.context if o in moved_orgs],
    )
    reason = f"拆分人物：{person.name}（#{person.pk}）"[:100]
    _as(user, reason, new).save()
    person.context = [o for o in person.context if o not in moved_orgs or o in staying]
    _as(user, reason, person).save()
    entries = set()
    for appointment in chosen["appointments"]:
        appointment.person = new
        _as(user, reason, appointment).save()
    for byline in chosen["bylines"]:
        byline.person = new
        _as(user, reason, byline).save()
        entries.add(byline.entry_id)
    for caption in chosen["photos"]:
        caption.credit_person = new
        _as(user, reason, caption).save()
        entries.add(caption.entry_id)
    for speech in chosen["speeches"]:
        speech.speaker_person = new
        _as(user, reason, speech).save()
        entries.add(speech.pk)
    for entry in chosen["mentions"]:
        entry.people.remove(person)
        entry.people.add(new)
        entries.add(entry.pk)
    _enqueue_on_commit(Person, [person.pk, new.pk])
    _enqueue_on_commit(Entry, entries)
    return new


def volume_people(volume):
    """The people a load of this volume links by name: its lists, speakers, authors and photographers."""
    ids = set(Appointment.objects.filter(volume=volume).values_list("person_id", flat=True))
    ids |= set(Entry.objects.filter(volume=volume).exclude(speaker_person=None).values_list("speaker_person_id", flat=True))
    ids |= set(Byline.objects.filter(entry__volume=volume).values_list("person_id", flat=True))
    ids |= set(Caption.objects.filter(entry__volume=volume).exclude(credit_person=None).values_list("credit_person_id", flat=True))
    return ids


def discarded(records) -> list[str]:
    """What --discard-edits says of each edited record."""
    return [
        f"{r}：人物、机构为各卷共用，不随本卷重新载入撤销（需要时请在其历史中还原）"
        if r.model in (Person, Organisation)
        else f"{r}：已由新载入的内容替换"
        for r in records
    ]


# --- re-loading a volume that editors changed ------------------------------------


class EditConflict(LoaderError):
    """A re-load would replace records that editors changed since the last load."""

    def __init__(self, conflicts):
        self.conflicts = conflicts
        lines = []
        for volume, records in conflicts:
            lines.append(f"{volume.slug}: {len(records)} 条记录在上次载入后经编辑修改，重新载入会覆盖它们：")
            lines += [f"    {r}" for r in records]
        lines.append(
            "Refusing to re-load. Use --keep-edits to re-apply the editors' versions over the new load, "
            "or --discard-edits to replace them with the new load."
        )
        super().__init__("\n".join(lines))


@dataclass
class EditedRecord:
    model: type
    pk: int
    action: str  # 修改, 新增, 删除
    label: str
    user_id: int | None
    username: str
    when: object

    def __str__(self):
        return f"{self.model._meta.verbose_name} #{self.pk}「{self.label}」{self.action}（{self.username}，{self.when:%Y-%m-%d %H:%M}）"


def _entry_label(row):
    return f"{row.title[:40]} · {row.source_file} 第{row.line_start}—{row.line_end}行"


def edited_records(volume) -> list[EditedRecord]:
    """Return the volume's sections, entries, appointments, people and organisations editors changed since its last load.

    A record counts as edited when a signed-in user saved, created or deleted it (or
    one of an entry's captions or authors) after the volume was loaded.
    """
    since = volume.loaded_at
    users = {}
    found: dict[tuple, EditedRecord] = {}

    def username(user_id):
        if user_id not in users:
            users[user_id] = get_user_model().objects.filter(pk=user_id).values_list("username", flat=True).first() or "?"
        return users[user_id]

    def add(model, pk, row, label):
        key = (model, pk)
        exists = model.objects.filter(pk=pk).exists()
        first = model.history.filter(id=pk).order_by("history_date", "history_id").first()
        created = first is not None and first.history_user_id is not None and first.history_type == "+"
        action = "删除" if not exists else "新增" if created else "修改"
        if key not in found or found[key].when < row.history_date:
            found[key] = EditedRecord(model, pk, action, label, row.history_user_id, username(row.history_user_id), row.history_date)

    edits = {"history_user__isnull": False, "history_date__gt": since}
    for model, label in (
        (Section, lambda r: r.title),
        (Entry, _entry_label),
        (Appointment, lambda r: f"{r.title} {Person.objects.filter(pk=r.person_id).first() or ''}"),
    ):
        for row in model.history.filter(volume_id=volume.pk, **edits).order_by("history_date"):
            add(model, row.id, row, label(row))
    # People and organisations are found again by name at a load: renames, notes and
    # aliases an editor changed are edits of every volume that names them.
    for row in Person.history.filter(id__in=volume_people(volume), **edits).order_by("history_date"):
        add(Person, row.id, row, row.name)
    organisations = Appointment.objects.filter(volume=volume).values_list("organisation_id", flat=True)
    for row in Organisation.history.filter(id__in=set(organisations), **edits).order_by("history_date"):
        add(Organisation, row.id, row, row.name)
    entry_ids = set(Entry.objects.filter(volume=volume).values_list("pk", flat=True))
    entry_ids |= {pk for model, pk in found if model is Entry}
    for part in (Caption, Byline):
        for row in part.history.filter(entry_id__in=entry_ids, **edits).order_by("history_date"):
            entry = Entry.objects.filter(pk=row.entry_id).first() or Entry.history.filter(id=row.entry_id).first()
            add(Entry, row.entry_id, row, _entry_label(entry))
    return sorted(found.values(), key=lambda r: (r.when, r.pk))


ENTRY_FIELDS = [
    "kind", "title", "untitled", "subtitle", "text", "page", "date", "date_end", "date_precision", "date_printed",
    "lunar", "speaker", "speaker_title",
    "speaker_person_id", "source_tag", "tables", "source_file", "line_start", "line_end",
]  # fmt: skip
NAME_FIELDS = {Person: ["name", "aliases", "notes"], Organisation: ["name", "aliases"]}
APPOINTMENT_FIELDS = ["person_id", "organisation_id", "title", "note", "start_month", "end_month", "source_file", "line"]


def _loaded_key(model, pk):
    """The record as its last load made it: its oldest history row, unless an editor created it.

    That row is the loaded version kept before the first change, or the deletion of a
    record never changed before (a deletion row holds the record as it was).
    """
    first = model.history.filter(id=pk).order_by("history_date", "history_id").first()
    if first is None or (first.history_type == "+" and first.history_user_id is not None):
        return None
    return first


def _appointment_key(volume_id, row):
    same_line = Appointment.objects.filter(volume_id=volume_id, source_file=row.source_file, line=row.line)
    rank = same_line.filter(position__lt=row.position).count()
    return (row.source_file, row.line, rank)


@dataclass
class EditSnapshot:
    """The editors' versions of a volume's edited records, taken before a re-load."""

    records: list[EditedRecord]
    sections: list[dict] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)
    appointments: list[dict] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)  # people and organisations
    # The volume's entries in book order as (id, edited): where to put the edited ones back.
    order: list[tuple[int, bool]] = field(default_factory=list)
    # The source files as they were: line numbers are carried over to the new files.
    sources: dict[str, str] = field(default_factory=dict)


class LineMap:
    """Map line numbers of the old source files to the new ones (a line diff per file)."""

    def __init__(self, old: dict[str, str], new: dict[str, str]):
        self.maps = {}
        for name in old.keys() & new.keys():
            a, b = old[name].split("\n"), new[name].split("\n")
            if a == b:
                continue
            mapping = {}
            for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
                for i in range(i1, i2):
                    # Changed lines go to the start of what replaced them.
                    mapping[i + 1] = (j1 + (i - i1) if tag == "equal" else min(j1, max(j2 - 1, j1))) + 1
            self.maps[name] = mapping

    def __call__(self, source_file, line):
        if line is None or source_file not in self.maps:
            return line
        return self.maps[source_file].get(line, line)


SECTION_STATE = ["title", "page", "digitized", "parent_id"]


def _changed(loaded, state):
    """The fields an editor changed: where the record differs from its loaded version (all, if it was never loaded)."""
    if loaded is None:
        return set(state)
    return {name for name, value in state.items() if getattr(loaded, name) != value}


def capture_edits(volume, records) -> EditSnapshot:
    snap = EditSnapshot(records, sources=dict(SourceFile.objects.filter(volume=volume).values_list("name", "text")))
    edited = {(r.model, r.pk) for r in records}
    for r in records:
        loaded = _loaded_key(r.model, r.pk)
        item = {"user_id": r.user_id, "action": r.action, "label": r.label, "pk": r.pk, "loaded": loaded is not None}
        current = r.model.objects.filter(pk=r.pk).first()
        if r.model is Section:
            item["key"] = loaded.source_path if loaded else None
            if current:
                item["state"] = {f: getattr(current, f) for f in SECTION_STATE}
                item["changed"] = _changed(loaded, item["state"])
                item["parent_path"] = current.parent.source_path if current.parent else None
                item["source_path"] = current.source_path
                item["level"] = current.level
            snap.sections.append(item)
        elif r.model is Entry:
            if current:
                item["state"] = {f: getattr(current, f) for f in [*ENTRY_FIELDS, "section_id"]}
                item["changed"] = _changed(loaded, item["state"])
                item["section_path"] = current.section.source_path or current.section.title
                item["source"] = (current.source_section, current.source_title)
                item["captions"] = list(current.captions.order_by("position").values("text", "credit", "credit_person_id", "line"))
                item["authors"] = list(current.bylines.order_by("position").values_list("person_id", flat=True))
                item["mentions"] = (
                    current.mentions_edited,
                    list(current.people.values_list("pk", flat=True)),
                    list(current.organisations.values_list("pk", flat=True)),
                )
            snap.entries.append(item)
        elif r.model in (Person, Organisation):
            if current:
                item["model"] = r.model
                item["state"] = {f: getattr(current, f) for f in NAME_FIELDS[r.model]}
                snap.people.append(item)
        else:
            item["key"] = _appointment_key(volume.pk, loaded) if loaded else None
            if current:
                item["state"] = {f: getattr(current, f) for f in APPOINTMENT_FIELDS}
            snap.appointments.append(item)
    snap.order = [(pk, (Entry, pk) in edited) for pk in Entry.objects.filter(volume=volume).order_by("position").values_list("pk", flat=True)]
    return snap


def deleted_by_editors(volume, restore=()):
    """Return {id: (EntryKey, restore)} of the volume's entries that editors deleted or merged away.

    A re-load leaves these out (the deletion stands) unless their id is in ``restore``
    (the editors' changes are being discarded): then it makes them again under their id.
    """
    ids = Tombstone.objects.filter(
        model=Tombstone.Model.ENTRY, volume_slug=volume.slug, reason__in=[Tombstone.Reason.MERGED, Tombstone.Reason.DELETED]
    ).values_list("object_id", flat=True)
    ghosts = {}
    for row in Entry.history.filter(id__in=list(ids), history_type="-").order_by("history_date", "history_id"):
        if row.source_title:
            key = matching.EntryKey(row.source_section, row.source_title, matching.opening(row.text))
            ghosts[row.id] = (key, row.id in restore)
    return ghosts


def _set_mentions(entry, mentions, user, reason):
    edited, people, organisations = mentions
    entry.people.set(Person.objects.filter(pk__in=people))
    entry.organisations.set(Organisation.objects.filter(pk__in=organisations))
    if entry.mentions_edited != edited:
        entry.mentions_edited = edited
        _as(user, reason, entry).save(update_fields=["mentions_edited"])


def reapply_edits(volume, snap: EditSnapshot) -> list[str]:
    """Put the editors' versions back over a fresh load of the volume; return what was done.

    The load kept the ids of the records it found again, so each edit goes back onto
    its own record: only the fields the editor changed (the new load's corrections to
    the others stand). A record the new load no longer has is made again under its id.
    """
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in={r.user_id for r in snap.records if r.user_id})}
    reason = "重新载入后保留编辑"
    done = []
    lines = LineMap(snap.sources, dict(SourceFile.objects.filter(volume=volume).values_list("name", "text")))

    def section_by_path(path):
        if not path:
            return None
        return Section.objects.filter(volume=volume, source_path=path).order_by("position").first() or (
            Section.objects.filter(volume=volume, title=path).order_by("position").first()
        )

    for item in snap.sections:
        user = users.get(item["user_id"])
        if item["action"] == "删除":
            # The new load made it again (under a new id): the editor's deletion stands.
            target = section_by_path(item["key"])
            if target is not None:
                _as(user, reason, target).delete()
            done.append(f"目录节点「{item['label']}」：按编辑删除")
            continue
        state = item.get("state")
        if state is None:
            continue
        target = Section.objects.filter(pk=item["pk"], volume=volume).first()
        parent = Section.objects.filter(pk=state["parent_id"], volume=volume).first() if state["parent_id"] else None
        if parent is None and state["parent_id"]:
            parent = section_by_path(item["parent_path"])
        changed = set(item["changed"])
        if target is None:
            target = Section(pk=item["pk"], volume=volume, parent=parent, level=(parent.level + 1) if parent else 1)
            target.position = next_position(Section, volume.pk)
            target.source_path = item["source_path"]
            changed = set(SECTION_STATE)
            _as(user, reason, target).save(force_insert=True)
            tombstones.revived(Section, [target.pk])
        for name in changed - {"parent_id"}:
            setattr(target, name, state[name])
        _as(user, reason, target).save()
        note = "保留编辑版本"
        if "parent_id" in changed and target.parent_id != (parent.pk if parent else None):
            if parent is not None and parent.pk in _subtree(target):
                note = "保留编辑版本，但上级节点不能照搬（会成为自己的下级），保留新载入的上级"
            else:
                target.parent = parent
                _as(user, reason, target).save()
                place_section(target, user=user)
        done.append(f"目录节点「{state['title']}」：{note}")
    reflow(volume.pk)

    placed = set()
    for item in snap.entries:
        user = users.get(item["user_id"])
        if item["action"] == "删除":
            # The load left it out (store: ghosts): it stays deleted, its tombstone stays.
            done.append(f"条目「{item['label']}」：按编辑删除")
            continue
        state = item.get("state")
        if state is None:
            continue
        target = Entry.objects.filter(pk=item["pk"], volume=volume).first()
        section = Section.objects.filter(pk=state["section_id"], volume=volume).first() or section_by_path(item["section_path"])
        changed = set(item["changed"])
        note = "保留编辑版本"
        if target is None:
            if section is None:
                done.append(f"条目「{item['label']}」：新载入中找不到所属目录「{item['section_path']}」，未能保留")
                continue
            # Gone from the new load, or made by an editor: back under its id.
            target = Entry(pk=item["pk"], volume=volume, position=next_position(Entry, volume.pk))
            target.source_section, target.source_title = item["source"]
            changed = set(state)
            if item["loaded"]:
                note = "新载入中找不到对应条目，编辑版本另存为一条，请核对是否重复"
        for name in changed - {"section_id"}:
            setattr(target, name, state[name])
        if "section_id" in changed and section is not None:
            target.section = section
        if changed & {"line_start", "line_end"}:
            target.line_start = lines(target.source_file, state["line_start"])
            target.line_end = max(target.line_start, lines(target.source_file, state["line_end"]))
        adding = target._state.adding
        _as(user, reason, target).save(force_insert=adding)
        if adding:
            tombstones.revived(Entry, [target.pk])
        target.captions.all().delete()
        for i, caption in enumerate(item["captions"]):
            caption = {**caption, "line": lines(target.source_file, caption["line"])}
            _as(user, reason, Caption(entry=target, position=i, **caption)).save()
        target.bylines.all().delete()
        for i, person_id in enumerate(item["authors"]):
            if Person.objects.filter(pk=person_id).exists():
                _as(user, reason, Byline(entry=target, person_id=person_id, position=i)).save()
        if adding or item["mentions"][0]:
            _set_mentions(target, item["mentions"], user, reason)
        placed.add(target.pk)
        done.append(f"条目「{item['label']}」：{note}")
    # Put edited entries back where the editor had them: right after the entry that
    # preceded them then (the nearest one the new load still has).
    new_position = dict(Entry.objects.filter(volume=volume).values_list("pk", "position"))
    anchor, step, keys = -1.0, 0, {}
    for pk, edited in snap.order:
        if edited:
            if pk in placed:
                step += 1
                keys[pk] = anchor + step / 1000
        elif pk in new_position:
            anchor, step = float(new_position[pk]), 0
    reflow(volume.pk, entry_keys=keys)

    taken = set()
    for item in snap.appointments:
        user = users.get(item["user_id"])
        target = None
        if item["key"]:
            source_file, line, rank = item["key"]
            line = lines(source_file, line)
            same_line = Appointment.objects.filter(volume=volume, source_file=source_file, line=line).order_by("position")
            target = same_line[rank] if same_line.count() > rank else None
        if item["action"] == "删除":
            if target is not None:
                _as(user, reason, target).delete()
                done.append(f"任职「{item['label']}」：按编辑删除")
            continue
        state = item.get("state")
        if state is None or not Person.objects.filter(pk=state["person_id"]).exists():
            continue
        if target is None:
            target = Appointment(volume=volume, position=next_position(Appointment, volume.pk))
        for name, value in state.items():
            setattr(target, name, value)
        target.line = lines(target.source_file, target.line)
        _as(user, reason, target).save()
        taken.add(target.pk)
        done.append(f"任职「{item['label']}」：保留编辑版本")
    # People and organisations outlive loads (found again by their loaded names); what a
    # load may have added back (a note the editor removed) is set to the editor's version.
    for item in snap.people:
        target = item["model"].objects.filter(pk=item["pk"]).first()
        if target is None:
            continue
        for name, value in item["state"].items():
            setattr(target, name, value)
        _as(users.get(item["user_id"]), reason, target).save()
        done.append(f"{item['model']._meta.verbose_name}「{item['label']}」：保留编辑版本")
    return done


# --- bringing back deleted entries ------------------------------------------------


def deleted_entries(volume=None):
    """Return the deletion records of entries that are still deleted, newest first."""
    rows = Entry.history.filter(history_type="-").exclude(id__in=Entry.objects.values("pk"))
    if volume is not None:
        rows = rows.filter(volume_id=volume.pk)
    return rows.select_related("history_user").order_by("-history_date")


@atomic_write
def restore_entry(history_id, *, user=None):
    """Bring back a deleted entry, with the captions and authors deleted with it, where it was in book order.

    An entry merged into its neighbour comes back as it was before the merge; its text
    stays in the merged entry too (merge or edit again if that is not wanted).
    """
    record = Entry.history.filter(history_id=history_id, history_type="-").first()
    if record is None or Entry.objects.filter(pk=record.id).exists():
        raise ValidationError("这一条没有被删除，无需恢复")
    if not Section.objects.filter(pk=record.section_id, volume_id=record.volume_id).exists():
        raise ValidationError("它原来所属的目录节点已不存在：请先恢复或重建目录节点")
    entry = record.instance
    was = entry.position
    entry.position = next_position(Entry, entry.volume_id)
    _as(user, "从历史中恢复", entry)
    entry.save(force_insert=True)
    tombstones.revived(Entry, [entry.pk])
    # Captions and bylines deleted in the same moment were deleted with it (cascade).
    moment = (record.history_date - datetime.timedelta(seconds=5), record.history_date + datetime.timedelta(seconds=5))
    for part in (Caption, Byline):
        for row in part.history.filter(entry_id=record.id, history_type="-", history_date__range=moment):
            if part.objects.filter(pk=row.id).exists() or (part is Byline and not Person.objects.filter(pk=row.person_id).exists()):
                continue
            if part is Caption and row.credit_person_id and not Person.objects.filter(pk=row.credit_person_id).exists():
                row.credit_person_id = None
            _as(user, "从历史中恢复", row.instance).save(force_insert=True)
    if entry.speaker_person_id and not Person.objects.filter(pk=entry.speaker_person_id).exists():
        Entry.objects.filter(pk=entry.pk).update(speaker_person=None)
    others = Entry.objects.filter(volume_id=entry.volume_id).exclude(pk=entry.pk)
    before = others.filter(position__lt=was).order_by("-position").first()
    reflow(entry.volume_id, entry_keys={entry.pk: (before.position + 0.5) if before else -1})
    _enqueue_on_commit(Entry, [entry.pk])
    return Entry.objects.get(pk=entry.pk)
