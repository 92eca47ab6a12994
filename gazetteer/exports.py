"""The 大事记 as files: CSV for spreadsheets, iCalendar for calendars.

Both take the filters of ``/chronicle/`` (``views.chronicle._chronicle``) and stream plain tuples,
never model instances. What ends up in them is text editors typed, so:

- CSV: a cell a spreadsheet would read as a formula (starting with ``= + - @``, a tab
  or a carriage return) gets a leading apostrophe, as OWASP recommends against CSV
  injection; the apostrophe shows, the formula never runs.
- iCalendar: the ``icalendar`` library writes the file (escaping, line folding at 75
  octets, CR and LF in text). Every item is an all-day event over the days it covers:
  ``DURATION`` rather than ``DTEND``, so the last day a date field holds (9999-12-31)
  has no day after it to name.
"""

import calendar
import csv
import datetime

import icalendar
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from .models import DatePrecision
from .views.chronicle import _chronicle

FIELDS = ("pk", "date", "date_end", "date_precision", "title", "text", "page", "volume__title")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _rows(request, items):
    url = request.build_absolute_uri(reverse("entry", args=[999999999])).replace("999999999", "{}")
    # A calendar date only: an item before the common era (its year alone is stored)
    # has no day a spreadsheet or calendar could hold.
    for pk, *rest in items.exclude(date=None).values_list(*FIELDS).iterator():
        yield pk, *rest, url.format(pk)


def _error(form):
    message = "；".join(" ".join(e) for e in form.errors.values())
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def csv_cell(value):
    """Return a cell's text, defused if a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def chronicle_csv(request):
    form, items = _chronicle(request)
    if items is None:
        return _error(form)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="chronicle.csv"'
    response.write("\ufeff")  # a BOM, so that spreadsheet programs read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow(["日期", "截止日期", "标题", "正文", "卷册", "页码", "链接"])
    for _, date, date_end, _precision, title, text, page, volume_title, url in _rows(request, items):
        cells = [date.isoformat(), date_end.isoformat() if date_end else "", title, text, volume_title, page or "", url]
        writer.writerow([csv_cell(cell) for cell in cells])
    return response


def last_day(date, date_end, precision):
    """Return the last day an item covers: its end date, else the end of its month, 旬, season or year."""
    if date_end:
        return max(date_end, date)
    month_end = date.replace(day=calendar.monthrange(date.year, date.month)[1])
    if precision == DatePrecision.MONTH:
        return month_end
    if precision == DatePrecision.XUN:
        return month_end if date.day > 20 else date.replace(day=10 if date.day <= 10 else 20)
    if precision == DatePrecision.SEASON:
        month = min(date.month + 2, 12)
        return date.replace(month=month, day=calendar.monthrange(date.year, month)[1])
    if precision == DatePrecision.YEAR:
        return date.replace(month=12, day=31)
    return date


def chronicle_ics(request):
    form, items = _chronicle(request)
    if items is None:
        return _error(form)
    host = request.get_host().split(":")[0] or "localhost"
    stamp = timezone.now()
    cal = icalendar.Calendar()
    cal.add("prodid", "-//gazetteer//chronicle//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "大事记")
    for pk, date, date_end, precision, title, text, page, volume_title, url in _rows(request, items):
        source = f"{volume_title}，第{page}页" if page else volume_title
        event = icalendar.Event()
        event.add("uid", f"entry-{pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", date)  # a date, not a time: an all-day event
        event.add("duration", last_day(date, date_end, precision) - date + datetime.timedelta(days=1))
        event.add("summary", title)
        event.add("description", f"{text}\n（{source}）")
        event.add("url", url)
        cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="chronicle.ics"'
    return response
