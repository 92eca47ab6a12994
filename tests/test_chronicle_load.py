"""A chronicle loaded with the command: its items reach the database at their precision."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from gazetteer.models import Entry

DATA = Path(__file__).resolve().parent / "data" / "chronicle"


@pytest.mark.django_db
def test_a_yearbook_chronicle_loads_with_kind_chronicle_and_the_covered_year(monkeypatch):
    # Keep this throw-away volume out of the session's search index.
    monkeypatch.setattr("gazetteer.management.commands.load_volume.after_load", lambda results, progress=None: None)
    call_command(
        "load_volume", str(DATA / "yearbook-dashiji-2019.txt"), kind="chronicle", title="青石县大事记（2019）",
        year=2020, year_covered=2019, slug="qingshi-dashiji-2019", stdout=io.StringIO(),
    )
    items = Entry.objects.filter(volume__slug="qingshi-dashiji-2019", kind=Entry.Kind.CHRONICLE)
    assert items.count() == 17
    spring = items.get(date_precision="season")
    assert (spring.date, spring.date_end, spring.section.title) == (
        datetime.date(2019, 1, 1), datetime.date(2019, 3, 31), "3月")
    assert sorted(set(items.values_list("date_precision", flat=True))) == ["day", "month", "season", "xun", "year"]
