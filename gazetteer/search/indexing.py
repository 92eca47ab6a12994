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
import threading
from collections import defaultdict

from django.apps import apps
from django.db import transaction
from django.db.models import signals
from haystack import connections
from haystack.constants import DJANGO_CT, ID
from haystack.signals import BaseSignalProcessor

from ..models import Appointment, Byline, Caption, Entry, IndexTask, Organisation, Person, Section, Volume

_state = threading.local()


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


def reindex_volumes(volumes) -> int:
    """Replace the entry documents of these volumes, and every person and organisation."""
    be, ui = backend(), unified_index()
    writer = be.writer(timeout=120.0)
    written = 0
    try:
        for volume in volumes:
            writer.delete_by_term("volume", volume.slug)
        for model in (Person, Organisation):
            writer.delete_by_term(DJANGO_CT, label(model))
        entry_index = ui.get_index(Entry)
        for volume in volumes:
            for entry in entry_index.index_queryset().filter(volume=volume).iterator(chunk_size=500):
                writer.update_document(**_document(entry_index, entry, be))
                written += 1
        for model in (Person, Organisation):
            search_index = ui.get_index(model)
            for obj in search_index.index_queryset().iterator(chunk_size=500):
                writer.update_document(**_document(search_index, obj, be))
                written += 1
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    return written


def rebuild() -> int:
    """Empty the index and index everything again."""
    be = backend()
    be.clear(commit=True)
    be.reset()
    return reindex_volumes(list(Volume.objects.all()))


def health() -> list[tuple[str, int, int]]:
    """Return (model, rows in the database, documents in the index) for each indexed model."""
    be = backend()
    return [(label(m), m.objects.count(), be.count(label(m))) for m in (Entry, Person, Organisation)]


def in_sync() -> bool:
    """Whether the index holds a document for every row (False if it cannot be read)."""
    try:
        return all(db == indexed for _, db, indexed in health())
    except Exception:  # a missing or corrupt index is not in sync
        return False
