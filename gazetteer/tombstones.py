"""Tombstones: what an entry or section URL answers once the record is gone.

Every way a record goes leaves one: a load that no longer finds it (``store``), an
editor's delete or merge (the ``post_delete`` receiver below, and ``editing``). A
record brought back under its id (``editing.restore_entry``, a re-load that finds it
again) takes its tombstone away.
"""

from __future__ import annotations

import contextlib
import contextvars

from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Entry, Section, Tombstone, Volume

_loading = contextvars.ContextVar("tombstones_loading", default=False)
MAX_HOPS = 20  # a chain of merges is followed this far


@contextlib.contextmanager
def written_by_load():
    """Inside a load, deletions are recorded by the load itself, in bulk and with their reason."""
    token = _loading.set(True)
    try:
        yield
    finally:
        _loading.reset(token)


def _kind(model):
    return Tombstone.Model.ENTRY if model is Entry else Tombstone.Model.SECTION


@receiver(post_delete, sender=Entry)
@receiver(post_delete, sender=Section)
def record_deletion(sender, instance, **kwargs):
    if _loading.get():
        return
    slug = Volume.objects.filter(pk=instance.volume_id).values_list("slug", flat=True).first() or ""
    Tombstone.objects.update_or_create(
        model=_kind(sender),
        object_id=instance.pk,
        defaults={"volume_slug": slug, "title": instance.title[:300], "reason": Tombstone.Reason.DELETED, "replaced_by": None},
    )


def merged(entry_id, into_id):
    """Say that entry ``entry_id`` (already deleted) lives on in ``into_id``: its URL redirects there."""
    Tombstone.objects.filter(model=Tombstone.Model.ENTRY, object_id=entry_id).update(
        reason=Tombstone.Reason.MERGED, replaced_by=into_id
    )


def revived(model, ids):
    """Take away the tombstones of records brought back under their old ids."""
    Tombstone.objects.filter(model=_kind(model), object_id__in=list(ids)).delete()


def vanished(model, rows, volume_slug, replaced_by=None):
    """Record the rows a load no longer found (``rows``: the model instances, still in memory)."""
    replaced_by = replaced_by or {}
    ids = [r.pk for r in rows]
    Tombstone.objects.filter(model=_kind(model), object_id__in=ids).delete()
    Tombstone.objects.bulk_create(
        Tombstone(
            model=_kind(model),
            object_id=r.pk,
            volume_slug=volume_slug,
            title=r.title[:300],
            reason=Tombstone.Reason.VANISHED,
            replaced_by=replaced_by.get(r.pk),
        )
        for r in rows
    )


def find(model, pk):
    """Return (tombstone, the live record that replaced it or None), or (None, None).

    A replacement that is itself gone is followed to its own replacement.
    """
    kind = _kind(model)
    stone = Tombstone.objects.filter(model=kind, object_id=pk).first()
    if stone is None:
        return None, None
    current, hops = stone, 0
    while current is not None and current.replaced_by is not None and hops < MAX_HOPS:
        live = model.objects.filter(pk=current.replaced_by).first()
        if live is not None:
            return stone, live
        current = Tombstone.objects.filter(model=kind, object_id=current.replaced_by).first()
        hops += 1
    return stone, None


def redirects(stone, live):
    """An entry merged by an editor redirects to the one it was merged into; anything else answers 410."""
    return live is not None and stone.reason == Tombstone.Reason.MERGED
