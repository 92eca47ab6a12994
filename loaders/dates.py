"""Reading the dates a chronicle prints: at the start of an item, and as heading lines.

``read_date`` reads 3日, 3月28日—4月2日, 是日, 上旬, 春, 是年, 1987年3月, 清乾隆十七年,
四十一年 (after an era), 乙酉 (a 干支 year), 洪武中 against a ``DateContext`` (the headings
and the item above); ``read_heading`` tells a year, period or month heading. The
conventions are described in ``loaders/chronicle.py`` and the README.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection
from dataclasses import dataclass, replace

from . import eras
from .document import DatePrecision

_CN = eras.NUMERAL
_NUM = rf"(?:\d{{1,2}}|[{_CN}]{{1,3}})"  # a month or day number, Arabic or Chinese
_DASH = r"\s*(?:[~～—－\-–至到]+|——)\s*"
_GZ = rf"[{eras.STEMS}已][{eras.BRANCHES}戍已]"  # 已巳, 丙戍: misprints read as 己巳, 丙戌

MARKDOWN = re.compile(r"^\s*#{1,6}\s+")

_SAME_DAY = re.compile(r"^(?:是日|同日|当日|当天|△|▲)\s*[，,、：:]?\s*")
_SAME_MONTH = re.compile(r"^(?:是月|该月|本月|当月|同月)\s*[，,、：:]?\s*")
_SAME_YEAR = re.compile(r"^(?:是年|本年|年内|是岁|全年|当年|同年|年初|年中|年底|年末)\s*[，,、：:]?\s*")
# 上半年 / 下半年: items of the year whose dates span its half
_HALF_YEAR = re.compile(r"^(?:是年|本年|当年)?(?P<half>上|下)半年\s*[，,、：:]?\s*")
_SEASONS = {"春": (1, 3), "夏": (4, 6), "秋": (7, 9), "冬": (10, 12)}
# A season opens an item however it goes on (夏秋白喉流行, 春二月, 冬，…), except in the
# few words where it is not a season: 春节 is a day, 夏邑 a county.
_SEASON = re.compile(r"^(?:是)?(?P<s>[春夏秋冬]{1,2})(?:季|天)?(?!节|联|晚|运|邑|至|分)")
_XUN = {"上旬": (1, 10), "中旬": (11, 20), "下旬": (21, 31), "上中旬": (1, 20), "中下旬": (11, 31),
        "初": (1, 10), "中": (11, 20), "底": (21, 31),
        "末": (21, 31)}
_MONTH_NAMES = {"正": 1, "冬": 11, "腊": 12}
_MONTH = rf"(?P<leap>闰)?(?P<month>\d{{1,2}}|[{_CN}]{{1,3}}|正|冬|腊)\s*月"
# month [day [— [month] day]] [日] [上旬…]
_MONTH_DAY = re.compile(
    rf"^{_MONTH}(?:\s*(?P<day>\d{{1,2}}(?=\s*日|{_DASH})|初?[{_CN}]{{1,3}}|朔|望|既望|晦)\s*日?"
    rf"(?:{_DASH}(?:(?P<month2>\d{{1,2}}|[{_CN}]{{1,3}})\s*月\s*)?(?P<day2>初?{_NUM})\s*日?)?"
    rf"|\s*(?P<xun>上中旬|中下旬|上旬|中旬|下旬|(?:初|中|底|末)(?=[，,、；;。\s]|$)))?"
)
_DAY_ONLY = re.compile(
    rf"^(?P<day>\d{{1,2}}|初{_NUM})\s*日(?:{_DASH}(?P<day2>\d{{1,2}}|初?{_NUM})\s*日?)?"
    rf"|^(?P<d1>\d{{1,2}}){_DASH}(?P<d2>\d{{1,2}})\s*日"
)
_XUN_ONLY = re.compile(r"^(?P<xun>上中旬|中下旬|上旬|中旬|下旬)")
_MODERN_YEAR = re.compile(r"^(?:(?P<bc>公元前|前)|(?P<ad>公元))?(?P<y>\d{1,4})\s*年")
_DIGIT_YEAR = re.compile(r"^(?P<y>[〇零○一二三四五六七八九]{4})年")
_IMPLIED = re.compile(rf"^(?P<n>元|[{_CN}]{{1,4}}|\d{{1,2}})年")
_GZ_YEAR = re.compile(rf"^(?P<gz>{_GZ})(?:年|岁)?(?=[，,、\s春夏秋冬正一二三四五六七八九十冬腊闰])")
_PAREN = re.compile(r"^\s*[（(](?P<inner>[^）)]{1,30})[）)]")
_ERA_INSIDE = re.compile(r"[\u4e00-\u9fff]+(?:元|[〇零○一二三四五六七八九十廿卅百]+|\d+)年")
SEPARATOR = re.compile(r"^[\s，,、：:]+")
_HOUR = re.compile(
    rf"^(?:(?:[{eras.BRANCHES}戍已][正初]?(?:[一二三四]刻|刻|时)|午时|子夜|昧爽|黎明|傍晚|凌晨|上午|下午|夜"
    r"(?:[一二三四五]更尽?)?|(?:早|晚|午)(?:上|间)?(?=[，,]))+[，,]?)?"
)
_LUNAR_SAID = re.compile(r"农历|阴历|夏历|旧历")
_SOLAR_SAID = re.compile(r"阳历|公历|新历")

# Headings: a line that is nothing but a year, a period or a month.
_YEAR_RANGE = re.compile(r"^(?:公元前?)?\d{1,4}年?\s*[～~—－\-–至]+\s*(?:公元前?)?\d{1,4}年?$")


# ---------------------------------------------------------------------------
# Dates


@dataclass(frozen=True)
class When:
    """The date of an item: what the text names, and where its text begins."""

    date: str | None
    date_end: str | None
    precision: str
    year: int | None
    month: int | None = None
    printed: str = ""
    lunar: bool = False
    impossible: bool = False  # a solar day that does not exist (4月31日): kept as the month


def _iso(year: int | None, month: int, day: int) -> str | None:
    if year is None or year < 1 or not 1 <= month <= 12:
        return None
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1] if year >= 1 else 31


def month_span(year: int | None, first: int, last: int) -> tuple[str | None, str | None]:
    if year is None or year < 1:
        return None, None
    return _iso(year, first, 1), _iso(year, last, _last_day(year, last))


def year_when(year: int | None, printed: str = "") -> When:
    start, end = month_span(year, 1, 12)
    return When(start, end, DatePrecision.YEAR, year, None, printed)


def _number(text: str) -> int | None:
    text = text.removeprefix("初")
    return eras.chinese_number(text)


def _month_number(text: str) -> int | None:
    return _MONTH_NAMES.get(text) or eras.chinese_number(text)


@dataclass
class DateContext:
    """What an item's date is read against: the headings and the items before it."""

    year: int | None = None
    month: int | None = None
    dynasty: str | None = None
    era: eras.Era | None = None
    previous: When | None = None
    year_printed: str = ""  # the printed year of a heading, kept on its items
    heading_year: int | None = None  # the year of that heading
    lunar_eras: Collection[str] = ()
    lunar_era: bool = False  # the year was given in one of ``lunar_eras``
    # Under a year heading, 十年 at an item's start is not a year of the era (十年动乱).
    under_year: bool = False

    def is_lunar(self, year: int | None) -> bool:
        return year is not None and (year < 1912 or self.lunar_era)


def read_date(text: str, ctx: DateContext) -> tuple[When, int] | None:
    """Read the date at the start of an item; return it and where the item's own text begins.

    None: the text does not start with a date.
    """
    m = _SAME_DAY.match(text)
    if m:
        prev = ctx.previous
        if prev is None:
            return None
        if prev.precision == DatePrecision.DAY and prev.date_end:
            # 是日 after 16—19日 is the first day, as the item above begins.
            prev = replace(prev, date_end=None)
        return prev, m.end()
    m = _SAME_MONTH.match(text)
    if m and ctx.month:
        start, end = month_span(ctx.year, ctx.month, ctx.month)
        printed = ctx.year_printed + text[: m.end()].rstrip("，,、：: ") if ctx.year_printed else ""
        return When(start, end, DatePrecision.MONTH, ctx.year, ctx.month, printed, ctx.is_lunar(ctx.year)), m.end()
    m = _HALF_YEAR.match(text)
    if m and ctx.year is not None:
        first, last = (1, 6) if m.group("half") == "上" else (7, 12)
        start, end = month_span(ctx.year, first, last)
        return When(start, end, DatePrecision.YEAR, ctx.year, None, ctx.year_printed), m.end()
    m = _SAME_YEAR.match(text)
    if m:
        # 是年三月二十三日: the year of the item above, and a date in it
        found = _month_and_day(text[m.end() :], ctx, ctx.year, text[: m.end()].rstrip("，,、：: "))
        if found:
            return found[0], m.end() + found[1]
        return year_when(ctx.year, ctx.year_printed), m.end()

    vague = _vague_era(text, ctx)
    if vague:
        return vague
    pos, year, printed, explicit_year = 0, ctx.year, "", False
    found = read_year(text, ctx)
    if found:
        year, printed, pos = found
        explicit_year = True
        # an era year may be followed by its 干支: 德祐二年，丙子夏五月
        m = re.match(rf"^[，,]?\s*{_GZ}(?:年|岁)?", text[pos:])
        if m:
            printed += text[pos : pos + m.end()].lstrip("，, ")
            pos += m.end()
    rest = text[pos:]
    m = SEPARATOR.match(rest) if explicit_year else None
    skip = m.end() if m else 0
    when = _month_and_day(rest[skip:], ctx, year, printed)
    if when is not None:
        w, used = when
        if not explicit_year and ctx.year_printed and w.year == ctx.heading_year:
            # 3月 under 民国27年（1938年）: the month is printed under that year.
            shown = w.printed or rest[skip : skip + used].rstrip("，,、 ")
            w = replace(w, printed=ctx.year_printed + shown)
        return w, pos + skip + used
    if explicit_year:
        m = re.match(rf"^\s*[至到~～—－\-]+\s*(?P<n>[{_CN}]{{1,4}}|\d{{1,4}})年", rest)
        if m and ctx.era is not None and year is not None:
            # 十年至十四年: a span of years of the same era
            n = m.group("n")
            last = int(n) if n.isdigit() and len(n) >= 3 else ctx.era.year(eras.chinese_number(n) or 0)
            if last > year:
                end = year_when(last).date_end
                return When(year_when(year).date, end, DatePrecision.YEAR, year, None,
                            printed + m.group(0).strip()), pos + m.end()
        return year_when(year, printed), pos
    m = _XUN_ONLY.match(text)
    if m and ctx.month:
        return _xun(ctx.year, ctx.month, m.group("xun"), "", ctx), m.end()
    return None


def _vague_era(text: str, ctx: DateContext) -> tuple[When, int] | None:
    """洪武中, 万历间, 淳祐间: some year of an era, so the era's whole span."""
    near = ctx.previous.year if ctx.previous and ctx.previous.year is not None else ctx.year
    found = eras.match_era_name(text, dynasty=ctx.dynasty, near=near)
    if not found:
        return None
    era, end = found
    m = re.match(r"(?:中|间|初|末|时)(?=[，,、；;。\s]|$)", text[end:])
    if not m:
        return None
    end += m.end()
    ctx.era = era
    start = _iso(era.first, 1, 1) if era.first >= 1 else None
    stop = _iso(era.last, 12, 31) if era.last >= 1 else None
    ctx.lunar_era = era.dynasty in ctx.lunar_eras
    return When(start, stop, DatePrecision.YEAR, era.first, None, text[:end], False), end


def read_year(text: str, ctx: DateContext) -> tuple[int | None, str, int] | None:
    """Read a year at the start: 1987年, 公元前651年, 一九八七年, 清乾隆十七年, 四十一年, 乙酉."""
    m = _MODERN_YEAR.match(text)
    paren = _PAREN.match(text[m.end():]) if m else None
    if m and (m.group("bc") or m.group("ad") or len(m.group("y")) >= 3 or (paren and _ERA_INSIDE.search(paren.group(0)))):
        y = int(m.group("y"))
        year = -y if m.group("bc") else y
        end = m.end()
        printed = ""
        inner = None
        if paren:
            printed = m.group(0) + paren.group(0).strip()
            end += paren.end()
            inner = eras.match_era_year(paren.group("inner"), near=year)
        elif year < 1:
            printed = m.group(0)
        # 1948年（民国37年）: the era in the brackets is in force from here
        ctx.era = inner.era if inner else (None if year >= 1912 else ctx.era)
        ctx.lunar_era = bool(inner) and (inner.era.dynasty in ctx.lunar_eras or inner.era.name in ctx.lunar_eras)
        return year, printed, end
    m = _DIGIT_YEAR.match(text)
    if m:
        return eras.digit_year(m.group("y")), m.group(0), m.end()
    near = ctx.previous.year if ctx.previous and ctx.previous.year is not None else ctx.year
    found = eras.match_era_year(text, dynasty=ctx.dynasty, near=near)
    if found:
        ctx.era = found.era
        ctx.lunar_era = found.era.dynasty in ctx.lunar_eras or found.era.name in ctx.lunar_eras
        end = len(found.printed)
        paren = _PAREN.match(text[end:])
        if paren and re.fullmatch(r"(?:公元)?\d{3,4}年?", paren.group("inner")):
            end += paren.end()
        return found.year, text[:end].strip(), end
    m = _IMPLIED.match(text)
    if m and ctx.era is not None and not ctx.under_year:
        n = eras.chinese_number(m.group("n"))
        if n and ctx.era.first + n - 1 <= ctx.era.last + 1:
            year = ctx.era.year(n)
            ctx.lunar_era = ctx.era.dynasty in ctx.lunar_eras or ctx.era.name in ctx.lunar_eras
            return year, ctx.era.name + m.group(0), m.end()
    m = re.match(rf"^(?P<gz>{_GZ})(?P<n>元|[{_CN}]{{1,4}})年", text)
    if m and ctx.era is not None and not ctx.under_year:
        # 丁丑三年: the 干支 and the year of the era in force (光绪三年)
        n = eras.chinese_number(m.group("n"))
        if n and ctx.era.first + n - 1 <= ctx.era.last + 1:
            return ctx.era.year(n), ctx.era.name + m.group(0), m.end()
    m = _GZ_YEAR.match(text)
    if m and near is not None:
        year = eras.year_of_ganzhi(m.group("gz"), near)
        if year is not None:
            return year, m.group(0), m.end()
    return None


def _month_and_day(text: str, ctx: DateContext, year: int | None, printed: str) -> tuple[When, int] | None:
    """Read [season] month [day | range | xun] or a day alone, in ``year``."""
    pos, season = 0, None
    m = _SEASON.match(text)
    if m:
        season = m.group("s")
        pos = m.end()
    said = re.match(r"(?:阳历|公历|新历|阴历|农历|夏历|旧历)", text[pos:])
    if said:
        pos += said.end()
    rest = text[pos:]
    m = _MONTH_DAY.match(rest)
    if m:
        month = _month_number(m.group("month"))
        if month is None or not 1 <= month <= 12:
            return None
        lunar = ctx.is_lunar(year) or bool(m.group("leap"))
        head = text[: pos + m.end()]
        if _SOLAR_SAID.search(printed + head):
            lunar = False
        elif _LUNAR_SAID.search(printed + head):
            lunar = True
        shown = printed + head if (printed or lunar or m.group("leap") or not head[:1].isdigit()) else printed
        ctx.month = month
        if m.group("xun"):
            return _xun(year, month, m.group("xun"), shown, ctx, lunar), pos + m.end()
        day = m.group("day")
        if day:
            when = _day(year, month, day, m.group("month2"), m.group("day2"), shown, lunar, ctx)
            hour = _HOUR.match(text[pos + m.end() :])
            if hour and hour.end():
                # The hour is part of the date as printed, not of the event: 酉正一刻，地动
                when = replace(when, printed=shown + hour.group(0).rstrip("，, ") if shown else "")
                return when, pos + m.end() + hour.end()
            return when, pos + m.end()
        start, end = month_span(year, month, month)
        used = pos + m.end()
        # 六月丁亥, 十一月己未夜: a day named by its 干支 cannot be placed without the
        # calendar of that year; it is kept in the printed date, the item stays a month.
        gz = re.match(rf"^{_GZ}日?", text[used:])
        if gz:
            hour = _HOUR.match(text[used + gz.end() :])
            extra = gz.group(0) + (hour.group(0).rstrip("，, ") if hour else "")
            shown = (shown or head) + extra
            used += gz.end() + (hour.end() if hour else 0)
        return When(start, end, DatePrecision.MONTH, year, month, shown, lunar), used
    if season:
        first, last = _SEASONS[season[0]][0], _SEASONS[season[-1]][1]
        start, end = month_span(year, first, last)
        return When(start, end, DatePrecision.SEASON, year, None, printed + text[:pos].rstrip("，, "),
                    ctx.is_lunar(year)), pos
    if printed:
        return None  # after a year only a month, season or nothing: 1987年3月, 1987年春
    m = _DAY_ONLY.match(text)
    if m and ctx.month:
        day, day2 = m.group("day") or m.group("d1"), m.group("day2") or m.group("d2")
        lunar = ctx.is_lunar(year)
        shown = m.group(0) if lunar or not text[:1].isdigit() else ""
        return _day(year, ctx.month, day, None, day2, shown, lunar, ctx), m.end()
    return None


def _day(year, month, day, month2, day2, printed, lunar, ctx) -> When:
    special = {"朔": 1, "望": 15, "既望": 16}
    if day == "晦":
        start, end = month_span(year, month, month)
        return When(start, end, DatePrecision.MONTH, year, month, printed, lunar)
    d = special.get(day) or _number(day)
    start = _iso(year, month, d) if d else None
    end = None
    if day2:
        m2 = _month_number(month2) if month2 else month
        d2 = _number(day2)
        end = _iso(year, m2, d2) if m2 and d2 else None
        if m2 and month2:
            ctx.month = m2
    if start is None and year is not None and year >= 1:
        # A lunar 二月三十日 has no Gregorian twin: keep the month. A solar 4月31日 is a
        # misprint: the month too, and the person loading is told.
        start, end = month_span(year, month, month)
        return When(start, end, DatePrecision.MONTH, year, month, printed, lunar, impossible=not lunar)
    return When(start, end, DatePrecision.DAY, year, month, printed, lunar)


def _xun(year, month, which, printed, ctx, lunar=None) -> When:
    first, last = _XUN[which]
    if lunar is None:
        lunar = ctx.is_lunar(year)
    if year is None or year < 1:
        return When(None, None, DatePrecision.XUN, year, month, printed, lunar)
    last = min(last, _last_day(year, month))
    return When(_iso(year, month, first), _iso(year, month, last), DatePrecision.XUN, year, month, printed, lunar)


# ---------------------------------------------------------------------------
# Headings


@dataclass(frozen=True)
class Heading:
    rank: int  # 0 a period or dynasty, 1 a year, 2 a month
    title: str
    year: int | None = None
    month: int | None = None
    dynasty: str | None = None
    printed: str = ""


def read_heading(text: str, ctx: DateContext | None = None) -> Heading | None:
    """Return the heading a whole line is, or None: 1987年, 民国27年（1938年）, 宋, 3月."""
    ctx = ctx or DateContext()
    markdown = bool(MARKDOWN.match(text))
    t = MARKDOWN.sub("", text).strip()
    key = re.sub(r"\s+", "", t)
    if not key or len(key) > 40:
        return None
    m = re.fullmatch(r"(\d{1,2}|[一二三四五六七八九十]{1,3}|正|冬|腊)月(?:份)?", key)
    month = _month_number(m.group(1)) if m else None
    if month and 1 <= month <= 12:
        return Heading(2, key, month=month)
    if eras.dynasties(key):
        return Heading(0, key, dynasty=key)
    if _YEAR_RANGE.match(key):
        return Heading(0, key)
    probe = DateContext(year=ctx.year, dynasty=ctx.dynasty, previous=ctx.previous, lunar_eras=ctx.lunar_eras)
    found = read_year(key, probe)
    if found and found[2] == len(key):
        year = found[0]
        if eras.digit_year(key[:-1]) is None and (_IMPLIED.fullmatch(key) or _GZ_YEAR.match(key)):
            return None  # 四十一年 alone is an item's start in a paragraph, not a heading
        # The printed year is kept unless it is a plain modern one (1987年).
        return Heading(1, key, year=year, printed="" if re.fullmatch(r"\d{3,4}年", key) else key)
    if markdown:
        return Heading(0, key)
    return None
