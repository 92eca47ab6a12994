"""A person across every volume: appointments, speeches, bylines, photos and mentions by year.

One query per kind of record, whatever the number of volumes; the counts are over
everything (nothing is cut at a page size), and the entries they cover are the ones a
full-text search for the person's names finds — the search link says so.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from .identity import names_of
from .models import Appointment, Caption, Entry


@dataclass
class Year:
    year: int | None
    volumes: list = field(default_factory=list)  # [(volume, [appointment])]
    speeches: list = field(default_factory=list)
    authored: list = field(default_factory=list)
    photos: list = field(default_factory=list)
    mentions: int = 0

    @property
    def label(self):
        return f"{self.year}年" if self.year else "年份不详"


@dataclass
class Timeline:
    years: list[Year]
    speeches: list
    authored: list
    photos: list
    appointment_count: int
    mention_count: int
    related_count: int  # distinct entries: mentioned, spoken, written or photographed
    search_query: str  # finds those entries in the full-text search


def _year(entry):
    if entry.date:
        return entry.date.year
    return entry.volume.year_covered or entry.volume.year


def person_timeline(person) -> Timeline:
    years: dict[int | None, Year] = {}

    def at(year):
        return years.setdefault(year, Year(year))

    appointments = (
        Appointment.objects.filter(person=person)
        .select_related("organisation", "volume")
        .order_by("volume__year_covered", "volume__slug", "position")
    )
    by_volume = OrderedDict()
    for a in appointments:
        by_volume.setdefault(a.volume, []).append(a)
    for volume, items in by_volume.items():
        at(volume.year_covered or volume.year).volumes.append((volume, items))
    speeches = list(person.speeches.select_related("volume").order_by("date", "position"))
    authored = list(
        Entry.objects.filter(bylines__person=person).select_related("volume").order_by("volume__year", "volume__slug", "position")
    )
    photos = list(
        Caption.objects.filter(credit_person=person)
        .select_related("entry__volume")
        .order_by("entry__volume__slug", "entry__position", "position")
    )
    for e in speeches:
        at(_year(e)).speeches.append(e)
    for e in authored:
        at(_year(e)).authored.append(e)
    for c in photos:
        at(_year(c.entry)).photos.append(c)
    mentioned = person.mentioned_in.values_list("pk", "date", "volume__year_covered", "volume__year")
    related = {e.pk for e in speeches} | {e.pk for e in authored} | {c.entry_id for c in photos}
    mention_count = 0
    for pk, date, covered, year in mentioned:
        at(date.year if date else covered or year).mentions += 1
        related.add(pk)
        mention_count += 1
    ordered = sorted(years.values(), key=lambda y: (y.year is None, y.year or 0))
    return Timeline(
        years=ordered,
        speeches=speeches,
        authored=authored,
        photos=photos,
        appointment_count=sum(len(items) for items in by_volume.values()),
        mention_count=mention_count,
        related_count=len(related),
        search_query=" OR ".join(names_of(person)),
    )
