"""An entry's date as the text gives it: 1987年3月 is a month, not 1987-03-01.

A dated entry stores ``date``..``date_end`` spanning the whole period its text names
(a month item: the month's first and last day) and a ``date_precision`` saying which
part of that span is meaningful. A year a date cannot hold (公元前651年, stored as
``year`` -651 with no ``date``) is shown as the year alone. ``EntryDate`` turns the stored values back into what
the text said, for the timeline, the entry page and the JSON API alike.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe

# Season by the month it starts in. A 春 of 3—5月 (the modern reckoning) and one of
# 1—3月 (the old one) both start in a spring month, whichever a loader used.
_SEASONS = {1: "春", 2: "春", 3: "春", 4: "夏", 5: "夏", 6: "夏", 7: "秋", 8: "秋", 9: "秋", 10: "冬", 11: "冬", 12: "冬"}
_XUN = {1: "上旬", 11: "中旬", 21: "下旬"}


def _as_date(value) -> datetime.date | None:
    if not value or isinstance(value, datetime.date):
        return value or None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def year_label(year: int) -> str:
    """1987年; 公元前651年 for -651 (historians' years: there is no year 0)."""
    return f"公元前{-year}年" if year < 0 else f"{year}年"


@dataclass(frozen=True)
class EntryDate:
    date: datetime.date | None  # None: a year before the common era, ``year`` alone
    end: datetime.date | None
    precision: str  # day, xun, month, season, year
    printed: str = ""  # as printed, when it is an era or lunar date: 民国27年（1938年）3月
    lunar: bool = False
    year: int | None = None

    @classmethod
    def of(cls, entry) -> EntryDate | None:
        """Return the date of a stored or parsed entry (anything with its date fields), or None."""
        date = _as_date(getattr(entry, "date", None))
        year = getattr(entry, "year", None)
        if date is None and year is None:
            return None
        if date is None:
            return cls(
                date=None,
                end=None,
                precision="year",
                printed=getattr(entry, "date_printed", "") or "",
                lunar=bool(getattr(entry, "lunar", False)),
                year=year,
            )
        end = _as_date(getattr(entry, "date_end", None))
        return cls(
            date=date,
            end=end if end and end != date else None,
            precision=getattr(entry, "date_precision", "") or "day",
            printed=getattr(entry, "date_printed", "") or "",
            lunar=bool(getattr(entry, "lunar", False)),
            year=date.year,
        )

    @property
    def label(self) -> str:
        """The date as a reader writes it: 1987年3月5日, 1987年3月上旬, 1987年3月, 1987年春, 1987年."""
        d, end = self.date, self.end
        if d is None:
            # The era year beside it, as the text prints it: 公元前651年（晋献公二十六年）.
            year = year_label(self.year)
            if self.printed.startswith(year):
                return self.printed
            return year + (f"（{self.printed}）" if self.printed else "")
        if self.precision == "year":
            return f"{d.year}年" + (f"—{end.year}年" if end and end.year != d.year else "")
        if self.precision == "season":
            return f"{d.year}年{_SEASONS[d.month]}"
        if self.precision == "month" and end and (end.year, end.month) != (d.year, d.month):
            return f"{d.year}年{d.month}—{end.month}月" if end.year == d.year else f"{d.year}年{d.month}月—{end.year}年{end.month}月"
        if self.precision == "month":
            return f"{d.year}年{d.month}月"
        return f"{d.year}年{d.month}月{self.in_month}"

    @property
    def in_month(self) -> str:
        """The date as the timeline lists it under its month: 5日, 16—19日, 上旬, 是月; 春, 是年."""
        d, end = self.date, self.end
        if self.precision == "year":
            return "是年"
        if self.precision == "season":
            return _SEASONS[d.month]
        if self.precision == "month":
            return "是月"
        if self.precision == "xun":
            return _XUN.get(d.day, f"{d.day}日起")
        if end is None:
            return f"{d.day}日"
        if (end.year, end.month) == (d.year, d.month):
            return f"{d.day}—{end.day}日"
        if end.year == d.year:
            return f"{d.day}日—{end.month}月{end.day}日"
        return f"{d.day}日—{end.year}年{end.month}月{end.day}日"

    @property
    def group(self) -> tuple[float, str, str]:
        """Where the timeline lists the item in its year: (order, anchor, heading).

        A season comes before the month it starts in; 是年 items after the months.
        """
        if self.precision == "year":
            return (13, "all", "全年")
        month = self.date.month
        if self.precision == "season":
            return (month - 0.5, f"{month}s", f"{_SEASONS[month]}季")
        return (month, str(month), f"{month}月")

    @property
    def iso(self) -> str:
        """The date at its precision for a <time datetime>: 1987-03-05, 1987-03, 1987.

        Empty before the common era, which a <time> element cannot name.
        """
        if self.date is None:
            return ""
        if self.precision in ("day", "xun"):
            return self.date.isoformat()
        if self.precision == "month":
            return f"{self.date.year:04d}-{self.date.month:02d}"
        return f"{self.date.year:04d}"

    @property
    def text(self) -> str:
        """The label with the printed date and the lunar flag: 1938年3月（民国27年3月，农历）."""
        printed = self.printed if self.printed not in self.label else ""
        notes = [n for n in (printed, "农历" if self.lunar else "") if n]
        return self.label + (f"（{'，'.join(notes)}）" if notes else "")


LUNAR_HTML = mark_safe('<span class="date-lunar" title="月、日为农历，按原书照录">农历</span>')


def entry_date_html(entry, form="label"):
    """Return the entry's date as HTML: <time> at its precision, the printed date and 农历 beside it.

    ``form`` is "label" (1987年3月5日) or "in_month" (5日, as the timeline lists it).
    """
    when = EntryDate.of(entry)
    if when is None:
        return ""
    if when.iso:
        html = format_html('<time datetime="{}">{}</time>', when.iso, getattr(when, form))
    else:
        html = format_html('<span class="date">{}</span>', getattr(when, form))
    if when.printed and when.printed not in getattr(when, form):
        html += format_html('<span class="date-printed">（原书：{}）</span>', when.printed)
    if when.lunar:
        html += LUNAR_HTML
    return html


def check_date_range(data: dict) -> None:
    """A form's ``clean``: refuse a ``date_from`` after its ``date_to`` (search, 大事记)."""
    if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
        raise forms.ValidationError("起始日期晚于截止日期")
