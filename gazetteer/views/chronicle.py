"""大事记: every dated item of the archive on one timeline, filtered by dates and volume."""

from __future__ import annotations

import re
from collections import OrderedDict

from django import forms
from django.db.models import Exists, F, OuterRef, Q
from django.shortcuts import render

from .. import figures
from ..dates import EntryDate, check_date_range, entry_date_html, year_label
from ..models import Entry, Volume
from .helpers import (
    paginate,
    url_with,
)

CHRONICLE_PER_PAGE = 100

# --- 大事记 -----------------------------------------------------------------------------


class ChronicleForm(forms.Form):
    date_from = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    date_to = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    volume = forms.SlugField(required=False)
    # A year before the common era has no date to give a range of: 公元前651年 is year=-651.
    year = forms.IntegerField(required=False, min_value=-9999, max_value=9999)

    def clean(self):
        data = super().clean()
        check_date_range(data)
        return data


def _chronicle(request):
    """Return (form, items queryset or None) for the 大事记 page and its exports."""
    form = ChronicleForm(request.GET)
    if not form.is_valid():
        return form, None
    # Every item with a year, also those before the common era that have no date.
    items = Entry.objects.chronicle().exclude(year=None).select_related("volume")
    data = form.cleaned_data
    if data["date_from"]:
        items = items.filter(Q(date__gte=data["date_from"]) | Q(date=None, year__gt=data["date_from"].year))
    if data["date_to"]:
        items = items.filter(Q(date__lte=data["date_to"]) | Q(date=None, year__lte=data["date_to"].year))
    if data["year"] is not None:
        items = items.filter(year=data["year"])
    if data["volume"]:
        items = items.filter(volume__slug=data["volume"])
    return form, items.order_by("year", F("date").asc(nulls_first=True), "volume__slug", "position")


def _year_url(request, year):
    """The timeline of one year: a date range, or ``year=`` for one before the common era."""
    if year >= 1:
        return url_with(
            request, page=None, year=None, date_from=f"{year:04d}-01-01", date_to=f"{year:04d}-12-31"
        )
    return url_with(request, page=None, date_from=None, date_to=None, year=year)


def chronicle(request):
    form, items = _chronicle(request)
    years = figures.Figures().chronicle_years()
    context = {
        "form": form,
        "years": [
            {
                "year": year,
                "label": year_label(year),
                "count": count,
                "url": _year_url(request, year),
            }
            for year, count in years
        ],
        "volumes": Volume.objects.filter(
            Exists(Entry.objects.filter(volume=OuterRef("pk"), kind=Entry.Kind.CHRONICLE))
        ).order_by("-year", "slug"),
        "query": request.GET.urlencode(),
    }
    if items is None:
        context["error"] = "；".join(" ".join(errors) for errors in form.errors.values())
        return render(request, "gazetteer/chronicle.html", context, status=400)
    filtered = any(form.cleaned_data.values())
    # Unfiltered, the items are those the years count: not counted a second time.
    page = paginate(request, items, CHRONICLE_PER_PAGE, count=None if filtered else sum(n for _, n in years))
    context["items"] = page
    context["timeline"] = _timeline(page.object_list)
    context["filtered"] = filtered
    return render(request, "gazetteer/chronicle.html", context)


# A 大事记 item opens with its day ("2日", "是日") and repeats its title: the timeline
# shows both already, so the excerpt starts after them.
_DAY_PREFIX = re.compile(
    r"^\s*(?:\d{1,2}日|是日|同日|当日|当天|月内|本月|是月|该月|\d{1,2}—\d{1,2}日|[上中下]旬|是年|本年|年内|△)[，,]?\s*"
)
EXCERPT_LENGTH = 120


def _excerpt(entry):
    text = _DAY_PREFIX.sub("", entry.text.split("\n", 1)[0])
    if entry.title and text.startswith(entry.title):
        text = text[len(entry.title) :].lstrip("。，,. ")
    return text if len(text) <= EXCERPT_LENGTH else text[:EXCERPT_LENGTH].rstrip() + "…"


def _timeline(entries):
    """Group a page of 大事记 items as [(year, label, [((order, heading), [item])])], labels made here.

    Each item is shown at its precision (5日, 上旬, 是月, 春, 是年) under its month, season
    or 全年 (after the months). Built in Python: the template's regroup and date filters
    took most of the page's time.
    """
    years = OrderedDict()
    for e in entries:
        when = EntryDate.of(e)
        source = e.volume.title + (f" · 第{e.page}页" if e.page else "")
        item = {
            "entry": e,
            "url": e.get_absolute_url(),
            "date_html": entry_date_html(e, "in_month"),
            "excerpt": _excerpt(e),
            "source": source,
        }
        years.setdefault(e.year, {}).setdefault(when.group, []).append(item)
    return [
        (year, year_label(year), sorted(groups.items(), key=lambda g: g[0][0]))
        for year, groups in years.items()
    ]
