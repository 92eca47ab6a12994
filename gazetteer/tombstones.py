"""Tombstones: what the URL of an entry, section, person or organisation answers once the record is gone.

Every way a record goes leaves one: a load that no longer finds it (``store``), an
editor's delete or merge (the ``post_delete`` receiver below, and ``editing``). A
record brought back under its id (``editing.restore_entry``, a re-load that finds it
again) takes its tombstone away. This is the one mechanism for every public id: a
merge (of entries, people or organisations) is a tombstone with ``replaced_by``.
"""

from __future__ import annotations

import contextlib
import contextvars

from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Entry, Organisation, Person, Section, Tombstone, Volume

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


KINDS = {
    Entry: Tombstone.Model.ENTRY,
    Section: Tombstone.Model.SECTION,
    Person: Tombstone.Model.PERSON,
    Organisation: Tombstone.Model.ORGANISATION,
}


def _kind(model):
    return KINDS[model]


def _label(instance):
    return str(getattr(instance, "title", None) or getattr(instance, "name", ""))[:300]


@receiver(post_delete, sender=Entry)
@receiver(post_delete, sender=Section)
@receiver(post_delete, sender=Person)
@receiver(post_delete, sender=Organisation)
def record_deletion(sender, instance, **kwargs):
    if _loading.get():
        return
    volume_id = getattr(instance, "volume_id", None)
    slug = Volume.objects.filter(pk=volume_id).values_list("slug", flat=True).first() if volume_id else None
    Tombstone.objects.update_or_create(
        model=_kind(sender),
        object_id=instance.pk,
        defaults={"volume_slug": slug or "", "title": _label(instance), "reason": Tombstone.Reason.DELETED, "replaced_by": None},
    )


def merged(model, pk, into_id, title=""):
    """Say that record ``pk`` (already deleted) lives on in ``into_id``: its URL redirects there.

    Records merged into ``pk`` earlier keep pointing at ``pk``; ``find`` follows the chain.
    """
    Tombstone.objects.update_or_create(
        model=_kind(model),
        object_id=pk,
        defaults={"reason": Tombstone.Reason.MERGED, "replaced_by": into_id, **({"title": title[:300]} if title else {})},
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
            title=_label(r),
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
    """A record merged by an editor redirects to the one it was merged into; anything else answers 410."""
    return live is not None and stone.reason == Tombstone.Reason.MERGED
