"""大事记 (chronicles): one reader for every kind that prints one.

A chronicle is a run of dated items under year, period (dynasty) and month headings.
``read_chronicle`` reads the lines after the chronicle's own heading and returns its
items and heading sections; every item is an ``Entry(kind="chronicle")`` whose
``date``..``date_end`` span the whole period the text names, at the precision it
names it (see ``DatePrecision``):

* day: ``3日``, ``3月5日``; ranges ``16—19日``, ``15日~16日``, ``3月28日—4月2日``;
  ``是日``/``同日``/``△`` take the date of the item before.
* xun: ``上旬`` days 1–10, ``中旬`` 11–20, ``下旬`` 21 to the month's end (月初/月中/月底
  likewise).
* month: a ``1月`` heading's items without a day, ``11月，…``, ``是月``/``该月``/``本月``:
  the month's first to last day.
* season: 春 = months 1–3, 夏 4–6, 秋 7–9, 冬 10–12, the months of the Chinese
  calendar's seasons (春正月, 秋九月); 夏秋 spans both.
* year: ``是年``/``本年``/``年内``, an undated item under a year heading: 1 January to
  31 December.

Years come from headings in every printed form (``1987年``, ``#### 1987年``,
``一九八七年``, ``民国27年（1938年）``, ``1948年（民国37年）``, ``公元前651年（晋献公二十六年）``),
from era years (``清乾隆十七年``, ``四十一年`` after an era, ``咸丰丙辰六年``) and 干支
years (``乙酉``: the first such year from the previous item's on) at the start of an
item, and else from ``year=`` (the covered year of a yearbook). Where the date is not
a plain modern one the printed form is kept in ``date_printed``. Before 1912 months
and days are of the Chinese calendar and are kept as printed (``lunar=True``), as they
are for the eras named in ``lunar_eras`` (a 凡例 may say 民国以来，仍用夏建纪月). Years
before the common era cannot be held by an ISO date: such items keep ``date`` None
and carry the year in ``Entry.year`` (negative, historical: 公元前651年 is -651).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Collection
from dataclasses import dataclass, replace

from . import eras
from .document import DatePrecision, Document, Entry, EntryKind, LoaderError, Section
from .furniture import clean_sources
from .text import Line, Source, join_paragraphs

_CN = eras.NUMERAL
_NUM = rf"(?:\d{{1,2}}|[{_CN}]{{1,3}})"  # a month or day number, Arabic or Chinese
_DASH = r"\s*(?:[~～—－\-–至到]+|——)\s*"
_GZ = rf"[{eras.STEMS}][{eras.BRANCHES}戍已]"

# A line that is only a printed page number: furniture.py owns page furniture; these
# are skipped here only so that a page number is never glued into an item.
_PAGE_NUMBER = re.compile(r"^\s*(?:[Pp]\.?\s*\d{1,4}|[-—－]\s*\d{1,4}\s*[-—－]|第\s*\d{1,4}\s*页|\d{1,4})\s*$")
_MARKDOWN = re.compile(r"^\s*#{1,6}\s+")

_SAME_DAY = re.compile(r"^(?:是日|同日|当日|当天|△|▲)\s*[，,、：:]?\s*")
_SAME_MONTH = re.compile(r"^(?:是月|该月|本月|当月)\s*[，,、：:]?\s*")
_SAME_YEAR = re.compile(r"^(?:是年|本年|年内|是岁|全年|当年)\s*[，,、：:]?\s*")
_SEASONS = {"春": (1, 3), "夏": (4, 6), "秋": (7, 9), "冬": (10, 12)}
# A season opens an item however it goes on (夏秋白喉流行, 春二月, 冬，…), except in the
# few words where it is not a season: 春节 is a day, 夏邑 a county.
_SEASON = re.compile(r"^(?:是)?(?P<s>[春夏秋冬]{1,2})(?:季|天)?(?!节|联|晚|运|邑|至|分)")
_XUN = {"上旬": (1, 10), "中旬": (11, 20), "下旬": (21, 31), "初": (1, 10), "中": (11, 20), "底": (21, 31),
        "末": (21, 31)}
_MONTH_NAMES = {"正": 1, "冬": 11, "腊": 12}
_MONTH = rf"(?P<leap>闰)?(?P<month>\d{{1,2}}|[{_CN}]{{1,3}}|正|冬|腊)\s*月"
# month [day [— [month] day]] [日] [上旬…]
_MONTH_DAY = re.compile(
    rf"^{_MONTH}(?:\s*(?P<day>初?{_NUM}|朔|望|既望|晦)\s*日?"
    rf"(?:{_DASH}(?:(?P<month2>\d{{1,2}}|[{_CN}]{{1,3}})\s*月\s*)?(?P<day2>初?{_NUM})\s*日?)?"
    rf"|\s*(?P<xun>上旬|中旬|下旬|初|中|底|末)(?![\u4e00-\u9fff]{{0,1}}日))?"
)
_DAY_ONLY = re.compile(
    rf"^(?P<day>\d{{1,2}}|初{_NUM})\s*日(?:{_DASH}(?P<day2>\d{{1,2}}|初?{_NUM})\s*日?)?"
    rf"|^(?P<d1>\d{{1,2}}){_DASH}(?P<d2>\d{{1,2}})\s*日"
)
_XUN_ONLY = re.compile(r"^(?P<xun>上旬|中旬|下旬)")
_VAGUE_ERA = re.compile(r"^(?P<what>.+?)(?P<how>中|间|初|末)(?=[，,、；;。\s]|$)")
_MODERN_YEAR = re.compile(r"^(?:(?P<bc>公元前|前)|(?P<ad>公元))?(?P<y>\d{1,4})\s*年")
_DIGIT_YEAR = re.compile(r"^(?P<y>[〇零○一二三四五六七八九]{4})年")
_IMPLIED = re.compile(rf"^(?P<n>元|[{_CN}]{{1,4}}|\d{{1,2}})年")
_GZ_YEAR = re.compile(rf"^(?P<gz>{_GZ})(?:年|岁)?(?=[，,、\s春夏秋冬正一二三四五六七八九十冬腊闰])")
_PAREN = re.compile(r"^\s*[（(](?P<inner>[^）)]{1,30})[）)]")
_ERA_INSIDE = re.compile(r"[\u4e00-\u9fff]+(?:元|[〇零○一二三四五六七八九十廿卅百]+|\d+)年")
_SEP = re.compile(r"^[\s，,、：:]+")
_LUNAR_SAID = re.compile(r"农历|阴历|夏历|旧历")
_SOLAR_SAID = re.compile(r"阳历|公历|新历")

# Headings: a line that is nothing but a year, a period or a month.
_YEAR_RANGE = re.compile(r"^(?:公元前?)?\d{1,4}年?\s*[～~—－\-–至]+\s*(?:公元前?)?\d{1,4}年?$")
_NOTE_HEAD = re.compile(r"^[【\[](?P<what>注|校|按|注释|校记|附注)[】\]]\s*")
_NOTE_ITEM = re.compile(r"^\d{1,2}\s*[.．、]\s*\S")


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


def _iso(year: int | None, month: int, day: int) -> str | None:
    if year is None or year < 1 or not 1 <= month <= 12:
        return None
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1] if year >= 1 else 31


def _month_span(year: int | None, first: int, last: int) -> tuple[str | None, str | None]:
    if year is None or year < 1:
        return None, None
    return _iso(year, first, 1), _iso(year, last, _last_day(year, last))


def year_when(year: int | None, printed: str = "") -> When:
    start, end = _month_span(year, 1, 12)
    return When(start, end, DatePrecision.YEAR, year, None, printed)


def _number(text: str) -> int | None:
    text = text.removeprefix("初")
    return eras.chinese_number(text)


def _month_number(text: str) -> int | None:
    return _MONTH_NAMES.get(text) or eras.chinese_number(text)


@dataclass
class _Context:
    """What an item's date is read against: the headings and the items before it."""

    year: int | None = None
    month: int | None = None
    dynasty: str | None = None
    era: eras.Era | None = None
    previous: When | None = None
    year_printed: str = ""  # the printed year of a heading, kept on its items
    lunar_eras: Collection[str] = ()
    lunar_era: bool = False  # the year was given in one of ``lunar_eras``

    def is_lunar(self, year: int | None) -> bool:
        return year is not None and (year < 1912 or self.lunar_era)


def read_date(text: str, ctx: _Context) -> tuple[When, int] | None:
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
        start, end = _month_span(ctx.year, ctx.month, ctx.month)
        printed = ctx.previous.printed if ctx.previous and ctx.previous.printed else ""
        return When(start, end, DatePrecision.MONTH, ctx.year, ctx.month, printed, ctx.is_lunar(ctx.year)), m.end()
    m = _SAME_YEAR.match(text)
    if m:
        return year_when(ctx.year, ctx.year_printed), m.end()

    vague = _vague_era(text, ctx)
    if vague:
        return vague
    pos, year, printed, explicit_year = 0, ctx.year, "", False
    found = _year_at(text, ctx)
    if found:
        year, printed, pos = found
        explicit_year = True
        # an era year may be followed by its 干支: 德祐二年，丙子夏五月
        m = re.match(rf"^[，,]?\s*{_GZ}(?:年|岁)?", text[pos:])
        if m and not _MONTH_DAY.match(text[pos + m.end() - 2 :]):
            printed += text[pos : pos + m.end()].lstrip("，, ")
            pos += m.end()
    rest = text[pos:]
    m = _SEP.match(rest) if explicit_year else None
    skip = m.end() if m else 0
    when = _month_and_day(rest[skip:], ctx, year, printed)
    if when is not None:
        w, used = when
        return w, pos + skip + used
    if explicit_year:
        return year_when(year, printed), pos
    m = _XUN_ONLY.match(text)
    if m and ctx.month:
        return _xun(ctx.year, ctx.month, m.group("xun"), "", ctx), m.end()
    return None


def _vague_era(text: str, ctx: _Context) -> tuple[When, int] | None:
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


def _year_at(text: str, ctx: _Context) -> tuple[int | None, str, int] | None:
    """Read a year at the start: 1987年, 公元前651年, 一九八七年, 清乾隆十七年, 四十一年, 乙酉."""
    m = _MODERN_YEAR.match(text)
    paren = _PAREN.match(text[m.end():]) if m else None
    if m and (m.group("bc") or m.group("ad") or len(m.group("y")) >= 3 or (paren and _ERA_INSIDE.search(paren.group(0)))):
        y = int(m.group("y"))
        year = -y if m.group("bc") else y
        end = m.end()
        printed = ""
        if paren:
            printed = m.group(0) + paren.group(0).strip()
            end += paren.end()
            inner = eras.match_era_year(paren.group("inner"), near=year)
            if inner and inner.era.dynasty == "民国":
                ctx.lunar_era = inner.era.dynasty in ctx.lunar_eras
        elif year < 1:
            printed = m.group(0)
        ctx.era = None if year >= 1912 else ctx.era
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
    if m and ctx.era is not None:
        n = eras.chinese_number(m.group("n"))
        if n and ctx.era.first + n - 1 <= ctx.era.last + 1:
            year = ctx.era.year(n)
            return year, ctx.era.name + m.group(0), m.end()
    m = _GZ_YEAR.match(text)
    if m and near is not None:
        year = eras.year_of_ganzhi(m.group("gz"), near)
        if year is not None:
            return year, m.group(0), m.end()
    return None


def _month_and_day(text: str, ctx: _Context, year: int | None, printed: str) -> tuple[When, int] | None:
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
            return _day(year, month, day, m.group("month2"), m.group("day2"), shown, lunar, ctx), pos + m.end()
        start, end = _month_span(year, month, month)
        return When(start, end, DatePrecision.MONTH, year, month, shown, lunar), pos + m.end()
    if season:
        first, last = _SEASONS[season[0]][0], _SEASONS[season[-1]][1]
        start, end = _month_span(year, first, last)
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
        start, end = _month_span(year, month, month)
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
        # A lunar 二月三十日 has no Gregorian twin: keep the month.
        start, end = _month_span(year, month, month)
        return When(start, end, DatePrecision.MONTH, year, month, printed, lunar)
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


def read_heading(text: str, ctx: _Context | None = None) -> Heading | None:
    """Return the heading a whole line is, or None: 1987年, 民国27年（1938年）, 宋, 3月."""
    ctx = ctx or _Context()
    markdown = bool(_MARKDOWN.match(text))
    t = _MARKDOWN.sub("", text).strip()
    key = re.sub(r"\s+", "", t)
    if not key or len(key) > 40:
        return None
    m = re.fullmatch(r"(\d{1,2})月", key)
    if m and 1 <= int(m.group(1)) <= 12:
        return Heading(2, key, month=int(m.group(1)))
    if eras.dynasties(key):
        return Heading(0, key, dynasty=key)
    if _YEAR_RANGE.match(key):
        return Heading(0, key)
    probe = _Context(year=ctx.year, dynasty=ctx.dynasty, previous=ctx.previous, lunar_eras=ctx.lunar_eras)
    found = _year_at(key, probe)
    if found and found[2] == len(key):
        year, printed, _ = found
        if _IMPLIED.fullmatch(key) or _GZ_YEAR.match(key):
            return None  # 四十一年 alone is an item's start in a paragraph, not a heading
        return Heading(1, key, year=year, printed=printed if printed != key or year is None or year < 1 else
                       (key if not key[:1].isdigit() else ""))
    if markdown:
        return Heading(0, key)
    return None


# ---------------------------------------------------------------------------
# Items


@dataclass
class _Para:
    text: str
    first: Line
    last: Line
    indented: bool
    after_blank: bool = False  # a blank line stands before it


def _paragraphs(lines: list[Line], wrapped: bool) -> list[_Para | Heading | Line]:
    """Group lines into paragraphs; keep heading lines as they are (returned as Line)."""
    out: list = []
    for line in lines:
        raw = line.text.rstrip()
        text = raw.strip()
        if not text or _PAGE_NUMBER.match(text):
            if not text:
                out.append(None)  # a paragraph break
            continue
        indented = raw[:1] in (" ", "\t")
        prev = out[-1] if out else None
        if wrapped and not indented and isinstance(prev, _Para) and not _MARKDOWN.match(raw):
            prev.text += text
            prev.last = line
            continue
        out.append(_Para(text, line, line, indented, prev is None))
    return [p for p in out if p is not None]


def read_chronicle(
    lines: list[Line],
    doc: Document,
    *,
    year: int | None = None,
    level: int = 2,
    lunar_eras: Collection[str] = (),
) -> tuple[list[Entry], list[Section]]:
    """Read the lines of a 大事记 (everything after its own heading) and return
    (items before any year/period/month heading, the heading sections with their items).

    ``year`` is the year covered when no heading gives one. Year and period headings
    make sections at ``level``, a month under a year one level below (a month heading
    without a year above it is at ``level``). ``lunar_eras`` names the eras whose
    months the text counts by the Chinese calendar (民国 for a 县志 whose 凡例 says so).
    """
    nonblank = [ln for ln in lines if ln.text.strip()]
    indented = sum(1 for ln in nonblank if ln.text[:1] in (" ", "\t"))
    # Paragraphs marked by indentation (a 县志): a flush line continues the paragraph
    # above it (hard-wrapped text), and every paragraph is an item of its own. Flush
    # text (a yearbook): every line is a paragraph, and an undated one is the rest of
    # the item above it.
    indent_layout = bool(nonblank) and indented >= 0.3 * len(nonblank)
    reader = _Reader(doc, year, level, indent_layout, tuple(lunar_eras))
    for para in _paragraphs(lines, indent_layout):
        reader.feed(para)
    reader.finish()
    return reader.loose, reader.top


class _Reader:
    def __init__(self, doc: Document, year: int | None, level: int, indent_layout: bool, lunar_eras):
        self.doc = doc
        self.level = level
        self.indent_layout = indent_layout
        self.ctx = _Context(year=year, lunar_eras=lunar_eras)
        self.default_year = year
        self.loose: list[Entry] = []
        self.top: list[Section] = []
        self.stack: list[tuple[Heading, Section]] = []
        self.entry: Entry | None = None
        self.parts: dict[int, list[tuple[str, int, int]]] = {}
        self.notes: list | None = None  # an open 【注】 block: the entry it annotates
        self.aside: Entry | None = None  # an undated block after a sub-heading (a list)
        self.warned_undated = False
        self._rest: dict[int, str] = {}  # entry → its first paragraph after the date

    # -- structure --------------------------------------------------------------

    def _open(self, heading: Heading, para: _Para) -> None:
        while self.stack and self.stack[-1][0].rank >= heading.rank:
            self.stack.pop()
        depth = len(self.stack)
        section = Section(heading.title, self.level + depth, line=para.first.number, source_file=para.first.file)
        if self.stack:
            self.stack[-1][1].children.append(section)
        else:
            self.top.append(section)
        self.stack.append((heading, section))
        ctx = self.ctx
        if heading.rank == 0:
            if heading.dynasty:
                ctx.dynasty = heading.dynasty
                ctx.era = None
            ctx.month = None
        elif heading.rank == 1:
            ctx.year, ctx.month = heading.year, None
            ctx.year_printed = heading.printed
            ctx.lunar_era = False
            found = _year_at(heading.title, _Context(lunar_eras=ctx.lunar_eras))
            if found:
                _year_at(heading.title, ctx)  # sets the era and lunar flag the heading names
            ctx.previous = year_when(heading.year, heading.printed)
        else:
            ctx.month = heading.month
        self.entry = None
        self.aside = None
        self.notes = None

    def _home(self) -> list[Entry]:
        return self.stack[-1][1].entries if self.stack else self.loose

    def _under_month(self) -> bool:
        return bool(self.stack) and self.stack[-1][0].rank == 2

    # -- items --------------------------------------------------------------------

    def feed(self, para: _Para) -> None:
        text = para.text
        heading = read_heading(text if not _MARKDOWN.match(para.first.text) else para.first.text, self.ctx)
        if heading is not None and para.first is para.last:
            self._open(heading, para)
            return
        m = _NOTE_HEAD.match(text)
        if para.after_blank:
            self.notes = None  # a note block ends at a blank line
        if m or (self.notes is not None and (_NOTE_ITEM.match(text) or self.notes[1])):
            self._note(para, bool(m), m.end() if m else 0)
            return
        self.notes = None
        found = read_date(text, self.ctx)
        if found is None:
            self._undated(para)
            return
        when, start = found
        self.aside = None
        self._new_item(para, when, text[start:])

    def _note(self, para: _Para, opens: bool, skip: int) -> None:
        """A 【注】/【校】 block: notes on the item above, never items themselves."""
        target = self.entry or (self._home()[-1] if self._home() else None)
        rest = para.text[skip:].strip()
        if opens:
            # Lines after 【校】 are the note itself even when they are not numbered.
            self.notes = [target, not rest]
        if target is None:
            target = self._preamble(para)
            self.notes[0] = target
        if rest:
            target.notes.append(rest)
            if opens:
                self.notes[1] = False
        self._stretch(target, para)

    def _undated(self, para: _Para) -> None:
        text = para.text
        listish = "  " in text.strip() or _short_heading(text)
        after_item = self.entry is not None and self.entry.kind == EntryKind.CHRONICLE
        if self.aside is not None or (listish and self.indent_layout and after_item):
            # A list or a sub-heading amid the items (火墙共九座 and the wards it lists),
            # and the undated paragraphs after it: one entry beside the items.
            if self.aside is None:
                self.aside = self._make(para, EntryKind.ENTRY, _short(text))
                self.aside.untitled = False
            self.parts[id(self.aside)].append((text, para.first.number, para.last.number))
            self._stretch(self.aside, para)
            return
        if self.entry is None or self.entry.kind != EntryKind.CHRONICLE:
            if self.entry is not None:  # more of the preamble
                self.parts[id(self.entry)].append((text, para.first.number, para.last.number))
                self._stretch(self.entry, para)
                return
            if self.stack and self.stack[-1][0].rank >= 1:
                self._new_item(para, self.ctx.previous or year_when(self.ctx.year), text, inherit=True)
                return
            self._preamble(para, text)
            return
        if self.indent_layout and not self._under_month():
            # A paragraph of its own with no date: an item of the year above.
            self._new_item(para, self._inherited(), text, inherit=True)
            return
        self.parts[id(self.entry)].append((text, para.first.number, para.last.number))
        self._stretch(self.entry, para)

    def _inherited(self) -> When:
        prev = self.ctx.previous
        if prev is None:
            return year_when(self.ctx.year)
        # The year is the item above's; the date is not printed on this one.
        return year_when(prev.year if prev.year is not None else self.ctx.year)

    def _preamble(self, para: _Para, text: str | None = None) -> Entry:
        entry = self._make(para, EntryKind.ENTRY, "说明")
        entry.untitled = True
        if text:
            self.parts[id(entry)].append((text, para.first.number, para.last.number))
        return entry

    def _make(self, para: _Para, kind: str, title: str) -> Entry:
        entry = Entry(title=title, kind=kind, source_file=para.first.file, line_start=para.first.number,
                      line_end=para.first.number)
        self._stretch(entry, para)
        self._home().append(entry)
        self.parts[id(entry)] = []
        self.entry = entry
        return entry

    def _new_item(self, para: _Para, when: When, rest: str, *, inherit: bool = False) -> None:
        ctx = self.ctx
        if when.year is None and not self.warned_undated:
            self.doc.warn("大事记 item without a year: give the covered year (--year-covered)", para.first)
            self.warned_undated = True
        entry = self._make(para, EntryKind.CHRONICLE, "")
        entry.date, entry.date_end = when.date, when.date_end
        entry.date_precision = when.precision if when.year is not None else None
        entry.date_printed = when.printed
        entry.lunar = when.lunar
        entry.year = when.year
        self.parts[id(entry)].append((para.text, para.first.number, para.last.number))
        self._rest[id(entry)] = rest
        if when.year is not None:
            ctx.year = when.year
        if not inherit:
            ctx.previous = when
            if when.month:
                ctx.month = when.month
        elif ctx.previous is None:
            ctx.previous = when

    def _stretch(self, entry: Entry, para: _Para) -> None:
        last = para.last
        if last.file == entry.source_file:
            entry.line_end = max(entry.line_end, last.number)
            entry.source_file_end = ""
        else:
            entry.source_file_end = last.file
            entry.line_end = last.number

    def finish(self) -> None:
        for entry in self._all():
            parts = self.parts.get(id(entry), [])
            entry.paragraphs = [t for t, _, _ in join_paragraphs(parts)] if entry.kind == EntryKind.CHRONICLE else [
                t for t, _, _ in parts]
            if entry.kind == EntryKind.CHRONICLE:
                first = entry.paragraphs[0] if entry.paragraphs else ""
                rest = self._rest.get(id(entry), first)
                # Titled from the re-joined text: a page break can cut the first clause.
                own = first[len(first) - len(first.lstrip()) :]
                head = parts[0][0] if parts else ""
                rest = rest + own[len(head):] if own.startswith(head) else rest
                entry.title = item_title(rest)

    def _all(self):
        yield from self.loose
        for section in self.top:
            for s in section.walk():
                yield from s.entries


def _short_heading(text: str) -> bool:
    """A short line with no sentence punctuation amid the items: a sub-heading of a list."""
    t = text.strip()
    return len(t) <= 12 and not re.search(r"[，。、；：！？,.;:]", t)


def _short(text: str, limit: int = 20) -> str:
    t = re.sub(r"\s+", " ", text.strip())
    return t if len(t) <= limit else t[:limit]


# ---------------------------------------------------------------------------
# Titles

# Clauses that set the scene of an event rather than tell it: 在…之际, 由…牵头, 经…审核,
# 应…邀请, 为…. The event is the clause after them.
_FRAME = re.compile(
    r"^(?:在.*(?:之际|前夕|期间|之时|时|上|中|后|下)|由.*(?:牵头|主办|带队|组织|主持|承办|协办)"
    r"|.*(?:牵头|主办|承办|协办|研究决定)|经.*|应.*邀请?|为了?.*|根据.*|按照.*|据.*|随着.*|受.*委托)$"
)
# A clause that is only who: a title and a name (区委常委、区委办公室主任程中山), or a
# party (…一行30余人, …学习小组). The event follows in the next clause.
_TITLES = r"(?:书记|主任|部长|市长|区长|县长|省长|主席|局长|院长|校长|董事长|总经理|组长|委员|常委|处长|厅长|镇长|乡长|司令员|政委|军长|秘书长|馆长)"
_WHO = re.compile(rf"^[^，,]*{_TITLES}[\u4e00-\u9fff·]{{2,4}}(?:等)?$|^[^，,]*(?:一行\d*余?人?|\d+余?人|小组|团)$")
_VERBS = re.compile(r"会见|召开|出席|主持|到|赴|率|带领|带队|调研|视察|考察|参加|举行|看望|慰问|宣布|签署|深入")


def item_title(text: str, limit: int = 40) -> str:
    """Return an item's event as its title: the first sentence, or its main clause.

    A long first sentence is cut to one clause, not blindly the first: scene-setting
    clauses (在第42个植树节来临之际, 由区委组织部牵头) are passed over, and a clause that
    only names who (许昌学院党委组织部副部长王彦) is kept with the clause that says what
    they did.
    """
    text = _SEP.sub("", text.strip())
    sentence = re.split(r"[。；！？]", text, maxsplit=1)[0].strip()
    if len(sentence) <= limit:
        return sentence
    clauses = [c.strip() for c in re.split(r"[，,]", sentence) if c.strip()]
    i = 0
    while i < len(clauses) - 1 and _FRAME.match(clauses[i]):
        i += 1
    title = clauses[i]
    j = i
    while j < len(clauses) - 1 and _WHO.match(clauses[j]) and not _VERBS.search(clauses[j]):
        j += 1
        title += "，" + clauses[j]
    if j > i and len(title) > 2 * limit and len(clauses[j]) >= 6:
        title = clauses[j]  # who is too long a list to keep: what they did
    elif i == j and not 6 <= len(title) <= limit:
        # No better clause: the first words, as far as a title goes.
        title = sentence[:limit] if i == 0 else title[:limit]
    return title[: 2 * limit]


# ---------------------------------------------------------------------------
# The ``chronicle`` kind: a text that is a 大事记 alone


_TITLE_LINE = re.compile(r"^(?:#{1,6}\s*)?(?P<t>[^，。；：:,]{0,30}(?:大事记|大事志|大事年表|纪事|纪年|灾祥|灾异)[^，。；]{0,12})$")


def parse(sources: list[Source], *, year_covered: int | None = None, lunar_eras: Collection[str] = ()) -> Document:
    """Return the Document of a text that is a 大事记 alone: one section 大事记 holding it all.

    The section takes the text's own title line when it has one (大事志第三, 灾祥附);
    the chronicle's years come from its headings and items, else ``year_covered``.
    """
    if not sources:
        raise LoaderError("no files given")
    doc = Document(kind="chronicle")
    # Page numbers, running heads, `# source:` comments and web bars are not the book's.
    lines = clean_sources(sources, doc.warn).lines
    start = next((i for i, ln in enumerate(lines) if ln.text.strip()), None)
    if start is None:
        raise LoaderError("file is empty", file=sources[0].name)
    title = "大事记"
    m = _TITLE_LINE.match(lines[start].text.strip())
    heading = read_heading(lines[start].text)
    if m and (heading is None or (heading.rank == 0 and not heading.dynasty)):
        title = re.sub(r"\s+", "", m.group("t"))
        doc.title = title
        section_line, start = lines[start], start + 1
    else:
        section_line = lines[start]
    loose, sections = read_chronicle(lines[start:], doc, year=year_covered, level=2, lunar_eras=lunar_eras)
    top = Section(title, 1, line=section_line.number, source_file=section_line.file, entries=loose,
                  children=sections)
    doc.sections = [top]
    if not any(e.kind == EntryKind.CHRONICLE for e in doc.entries()):
        raise LoaderError("no dated 大事记 item found", file=sources[0].name)
    return doc
