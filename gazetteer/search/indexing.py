"""Keeping the search index current.

Whoosh allows one writer at a time. Haystack's RealtimeSignalProcessor writes from the
request that saved a record, so with several gunicorn workers requests queue on the
writer lock, and a delete that loses the race leaves a stale hit. Here a save or delete
only adds a row to ``IndexTask``; one indexer process (``manage.py run_indexer``,
started by gunicorn's ``when_ready`` hook) applies the queue every half second. Loads
write the index directly, waiting for the lock, after their own transaction.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q, signals
from haystack import connections
from haystack.constants import ID
from haystack.signals import BaseSignalProcessor
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, LockError
from whoosh.util.filelock import try_for

from ..models import Appointment, Byline, Caption, Entry, IndexTask, Organisation, Person, Section, Volume
from . import analysis, dictionary, versions
from .backend import GRAM_FIELDS
from .writer import ArchiveWriter, ProcessBuild

_state = threading.local()
INDEX_NAME = "MAIN"  # haystack's Whoosh index name
# Above this share of the archive's documents re-cut by new words, rebuild instead.
REBUILD_SHARE = 0.3
# A full rebuild of this many entries or more uses two writer processes (each costs
# about two seconds to start); the first writes this share of the entries, the second
# the rest, people and organisations.
PARALLEL_FROM = 2000
FIRST_STREAM_SHARE = 0.55


@contextlib.contextmanager
def paused():
    """Queue nothing inside this block: the caller indexes what it changed itself."""
    previous = getattr(_state, "paused", False)
    _state.paused = True
    try:
        yield
    finally:
        _state.paused = previous


def backend():
    return connections["default"].get_backend()


def unified_index():
    return connections["default"].get_unified_index()


def label(model) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def enqueue(model, ids) -> None:
    ids = {i for i in ids if i is not None}
    if ids and not getattr(_state, "paused", False):
        IndexTask.objects.bulk_create(IndexTask(model=label(model), object_id=i) for i in ids)


class QueueSignalProcessor(BaseSignalProcessor):
    """Turn saves and deletes of anything an index shows into queued index tasks."""

    def setup(self):
        for model in (Entry, Person, Organisation, Caption, Byline, Section, Volume, Appointment):
            signals.post_save.connect(self.changed, sender=model)
            signals.post_delete.connect(self.changed, sender=model)
        signals.m2m_changed.connect(self.changed, sender=Entry.people.through)

    def teardown(self):
        for model in (Entry, Person, Organisation, Caption, Byline, Section, Volume, Appointment):
            signals.post_save.disconnect(self.changed, sender=model)
            signals.post_delete.disconnect(self.changed, sender=model)
        signals.m2m_changed.disconnect(self.changed, sender=Entry.people.through)

    def changed(self, sender, instance, **kwargs):
        if getattr(_state, "paused", False):
            return
        # Work out what to reindex now (a deleted instance loses its pk afterwards), but
        # queue it only after commit, so the indexer never reads a state rolled back.
        targets = related_documents(sender, instance)
        transaction.on_commit(lambda: [enqueue(model, ids) for model, ids in targets])


def related_documents(sender, instance) -> list[tuple[type, list]]:
    """Return the (model, ids) of the index documents that show ``instance``."""
    if sender in (Entry, Entry.people.through):
        return [(Entry, [instance.pk])]
    if sender is Caption:
        return [(Entry, [instance.entry_id])]
    if sender is Byline:
        return [(Entry, [instance.entry_id]), (Person, [instance.person_id])]
    if sender is Section:
        return [(Entry, list(Entry.objects.filter(section__in=_subtree(instance)).values_list("pk", flat=True)))]
    if sender is Volume:
        return [(Entry, list(Entry.objects.filter(volume_id=instance.pk).values_list("pk", flat=True)))]
    if sender is Person:
        return [(Person, [instance.pk]), (Entry, list(Byline.objects.filter(person_id=instance.pk).values_list("entry_id", flat=True)))]
    if sender is Appointment:
        return [(Person, [instance.person_id])]
    if sender is Organisation:
        person_ids = Appointment.objects.filter(organisation_id=instance.pk).values_list("person_id", flat=True)
        return [(Organisation, [instance.pk]), (Person, list(person_ids))]
    return []


def _subtree(section):
    ids, frontier = [section.pk], [section.pk]
    while frontier:
        frontier = list(Section.objects.filter(parent__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


def _document(search_index, obj, be):
    doc = search_index.full_prepare(obj)
    doc.pop("boost", None)
    return {key: be._from_python(value) for key, value in doc.items()}


def write(objects_by_model: dict, deletes: dict | None = None, *, timeout=60.0) -> int:
    """Update the documents of the given objects and delete those of the given ids.

    ``objects_by_model`` maps a model to an iterable of instances (prefetched as its
    index's ``index_queryset`` does); ``deletes`` maps a model to primary keys.
    """
    be, ui = backend(), unified_index()
    writer = be.writer(timeout=timeout)
    written = 0
    try:
        for model, pks in (deletes or {}).items():
            for pk in pks:
                writer.delete_by_term(ID, f"{label(model)}.{pk}")
        for model, objects in objects_by_model.items():
            search_index = ui.get_index(model)
            for obj in objects:
                writer.update_document(**_document(search_index, obj, be))
                written += 1
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    return written


def process_queue(batch: int = 2000) -> int:
    """Apply up to ``batch`` queued changes in one commit; return how many were applied."""
    tasks = list(IndexTask.objects.order_by("id")[:batch])
    if not tasks:
        return 0
    wanted = defaultdict(set)
    for task in tasks:
        wanted[task.model].add(task.object_id)
    objects, deletes = {}, {}
    ui = unified_index()
    for model_label, ids in wanted.items():
        model = apps.get_model(model_label)
        found = list(ui.get_index(model).index_queryset().filter(pk__in=ids))
        objects[model] = found
        deletes[model] = ids - {obj.pk for obj in found}
    write(objects, deletes)
    IndexTask.objects.filter(id__in=[t.id for t in tasks]).delete()
    return len(tasks)


def reindex_volumes(volumes, also: dict | None = None) -> int:
    """Replace the entry documents of these volumes, the people and organisations of their
    regions (a load adds and replaces only those), and the documents in ``also``
    ({model: ids}, the earlier documents that new dictionary words cut differently)."""
    be, ui = backend(), unified_index()
    volumes = list(volumes)
    regions = {v.region for v in volumes}
    writer = be.writer(timeout=120.0)
    written = 0
    try:
        for volume in volumes:
            writer.delete_by_term("volume", volume.slug)
        entry_index = ui.get_index(Entry)
        for volume in volumes:
            for entry in entry_index.index_queryset().filter(volume=volume).iterator(chunk_size=500):
                writer.update_document(**_document(entry_index, entry, be))
                written += 1
        fresh = {v.pk for v in volumes}
        for model in (Entry, Person, Organisation):
            search_index = ui.get_index(model)
            ids = set((also or {}).get(model, ()))
            objects = search_index.index_queryset()
            if model is Entry:
                objects = objects.filter(pk__in=ids).exclude(volume_id__in=fresh)
            else:
                objects = objects.filter(Q(region__in=regions) | Q(pk__in=ids))
            for obj in objects.iterator(chunk_size=500):
                writer.update_document(**_document(search_index, obj, be))
                written += 1
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    return written


def rebuild(*, before_switch: Callable[[], None] | None = None, writers: int | None = None) -> int:
    """Index everything into a new directory and switch search to it in one rename.

    Search keeps answering from the live index until the switch (``versions``). The live
    index's write lock is held meanwhile, so the queue's indexer cannot commit a change
    there that the new build, already past that row, would then lose; it applies it to
    the new index after the switch. ``before_switch`` is called with the new index
    complete, just before the switch (tests pause there).

    From ``PARALLEL_FROM`` entries on, two writer processes write it while this one
    prepares the documents (``writer.ProcessBuild``); ``writers`` sets how many (0: this
    process writes it alone).
    """
    be, ui = backend(), unified_index()
    dictionary.refresh()
    path = Path(be.path)
    _, schema = be.build_schema(ui.all_searchfields())
    lock = _live_lock(path)
    try:
        build = versions.new_build(path)
        storage = FileStorage(str(build))
        # A generation the live index has not reached: a worker that compares
        # generations to notice a new commit notices the switch too.
        TOC(schema, [], _live_generation(path)).write(storage, INDEX_NAME)
        ix = FileIndex(storage, schema, INDEX_NAME)
        # The model's order (as before), made total so that the streams can be sliced.
        entries = ui.get_index(Entry).index_queryset().order_by(*Entry._meta.ordering, "pk")
        if writers is None:
            writers = 2 if (os.cpu_count() or 1) > 1 and entries.count() >= PARALLEL_FROM else 0
        try:
            if writers:
                build_writer = ProcessBuild(
                    ix, writers, data_dir=settings.DATA_DIR,
                    user_words=analysis.load_user_dict(dictionary.path()), engine=analysis.engine_name(),
                )  # fmt: skip
                try:
                    written = build_writer.write(_streams(entries, writers, be, ui))
                except BaseException:
                    build_writer.cancel()
                    raise
            else:
                writer = ArchiveWriter(ix)
                written = 0
                try:
                    for document in _streams(entries, 1, be, ui)[0]:
                        # add, not update: the new index is empty, nothing to replace.
                        writer.add_document(**document)
                        written += 1
                except BaseException:
                    writer.cancel()
                    raise
                writer.commit()
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        if before_switch is not None:
            before_switch()
        previous = versions.switch(path, build)
        be.reset()
        versions.prune(path, keep=[build, previous])
    finally:
        if lock is not None:
            lock.release()
    return written


def _streams(entries, count: int, be, ui) -> list:
    """Every document of the archive in index order (entries, people, organisations),
    prepared for Whoosh, cut into ``count`` streams: the first ones take equal shares of
    the entries (``FIRST_STREAM_SHARE`` between two), the last the rest with people and
    organisations, which are short."""
    total = entries.count()
    share = FIRST_STREAM_SHARE if count == 2 else 1 / count
    bounds = [round(total * share * i) for i in range(count)] + [None]

    def prepared(model, objects):
        search_index = ui.get_index(model)
        for obj in objects.iterator(chunk_size=500):
            yield _document(search_index, obj, be)

    streams = [prepared(Entry, entries[bounds[i] : bounds[i + 1]]) for i in range(count)]
    rest = [prepared(m, ui.get_index(m).index_queryset()) for m in (Person, Organisation)]
    streams[-1] = itertools.chain(streams[-1], *rest)
    return streams


def _live_lock(path: Path):
    """Acquire the live index's write lock (None when there is no live index)."""
    if not path.is_dir():
        return None  # a damaged index still has its lock file: it is taken all the same
    lock = FileStorage(str(path)).lock(f"{INDEX_NAME}_WRITELOCK")
    if not try_for(lock.acquire, timeout=300.0, delay=0.25):
        raise LockError(f"the search index at {path} is locked by another writer")
    return lock


def _live_generation(path: Path) -> int:
    try:
        return TOC._latest_generation(FileStorage(str(path)), INDEX_NAME) + 1
    except Exception:  # missing or unreadable: any generation will do
        return 0


def index_usable() -> bool:
    """Whether the live index exists, opens, and was written by this version."""
    try:
        backend().searcher()
        return not backend().outdated()
    except Exception:  # missing or corrupt: only a full rebuild brings it back
        return False


def update_after_load(volumes, added_words=()) -> tuple[int, str]:
    """Index what a load changed; return (documents written, what was done).

    The loaded volumes' documents, and the earlier documents that contain a word the
    dictionary gained (``wordscan``): new words change the cut of those texts only.
    When they are a large part of the archive, a full rebuild is cheaper.
    """
    from . import wordscan

    if not index_usable():
        return rebuild(), "rebuilt (there was no usable index)"
    also = wordscan.documents_containing(added_words, _indexed_entries_with) if added_words else {}
    if also:  # those the load indexes anyway are not counted as re-cut
        regions = {v.region for v in volumes}
        also[Entry] -= set(Entry.objects.filter(volume__in=volumes).values_list("pk", flat=True))
        for model in (Person, Organisation):
            also[model] -= set(model.objects.filter(region__in=regions).values_list("pk", flat=True))
    recut = sum(len(ids) for ids in also.values())
    total = Entry.objects.count() + Person.objects.count() + Organisation.objects.count()
    if recut > total * REBUILD_SHARE:
        return rebuild(), f"rebuilt ({len(added_words)} new words re-cut {recut} of {total} documents)"
    written = reindex_volumes(volumes, also)
    how = "updated"
    if added_words:
        how += f" ({len(added_words)} new words: {recut} earlier documents re-indexed)"
    return written, how


def _indexed_entries_with(word: str) -> set[int]:
    """The ids of the indexed entries whose text has ``word`` (wordscan, after a load)."""
    from .grams import normalize_line

    state = backend()._current()
    (field,) = GRAM_FIELDS
    docs = state.postings.string_docs(field, normalize_line(word))
    entry, stored = label(Entry), state.searcher.stored_fields
    return {int(fields["django_id"]) for fields in map(stored, sorted(docs)) if fields.get("django_ct") == entry}


def health() -> list[tuple[str, int, int]]:
    """Return (model, rows in the database, documents in the index) for each indexed model."""
    be = backend()
    return [(label(m), m.objects.count(), be.count(label(m))) for m in (Entry, Person, Organisation)]


def in_sync() -> bool:
    """Whether the index holds a document for every row (False if it cannot be read, or
    was written by an earlier version)."""
    try:
        if backend().outdated():
            return False
        return all(db == indexed for _, db, indexed in health())
    except Exception:  # a missing or corrupt index is not in sync
        return False
