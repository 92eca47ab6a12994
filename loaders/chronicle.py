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

How a printed date is read is ``loaders/dates.py``; the era table is ``loaders/eras.py``.
This module makes paragraphs, items, sections and titles of them.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from . import eras
from .dates import (
    MARKDOWN,
    SEPARATOR,
    DateContext,
    Heading,
    When,
    month_span,
    read_date,
    read_heading,
    read_year,
    year_when,
)
from .document import DatePrecision, Document, Entry, EntryKind, LoaderError, Section
from .furniture import clean_sources, page_number
from .text import Line, Source, join_paragraphs

# A line that is only a number: a page number furniture.py did not take (the caller
# may not have cleaned its lines). Never glued into an item.
_BARE_NUMBER = re.compile(r"^\d{1,4}$")
_NOTE_HEAD = re.compile(r"^[【\[](?P<what>注|校|按|注释|校记|附注)[】\]]\s*")
_NOTE_ITEM = re.compile(r"^\d{1,2}\s*[.．、]\s*\S")


# ---------------------------------------------------------------------------
# Items


@dataclass
class _Para:
    text: str
    first: Line
    last: Line
    indented: bool
    after_blank: bool = False  # a blank line stands before it


def _paragraphs(lines: list[Line], wrapped: bool) -> list[_Para]:
    """Group lines into paragraphs: a blank line ends one; so does an indented line in a
    text whose paragraphs are indented (``wrapped``), where flush lines continue it."""
    out: list = []
    for line in lines:
        raw = line.text.rstrip()
        text = raw.strip()
        if not text or _BARE_NUMBER.match(text) or page_number(text) is not None:
            if not text:
                out.append(None)  # a paragraph break
            continue
        indented = raw[:1] in (" ", "\t")
        prev = out[-1] if out else None
        heading = not indented and read_heading(raw) is not None
        if wrapped and not indented and isinstance(prev, _Para) and not heading:
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
        self.ctx = DateContext(year=year, lunar_eras=lunar_eras)
        self.default_year = year
        self.loose: list[Entry] = []
        self.top: list[Section] = []
        self.stack: list[tuple[Heading, Section]] = []
        self.entry: Entry | None = None
        self.parts: dict[int, list[tuple[str, int, int]]] = {}
        # An open 【注】/【校】 block: the entry its notes go to, and whether its lines are
        # notes even when they are not numbered (after a bare 【校】 heading line).
        self.notes: Entry | None = None
        self.notes_unnumbered = False
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
        ctx.under_year = heading.rank >= 1
        if heading.rank == 0:
            if heading.dynasty:
                ctx.dynasty = heading.dynasty
                # A dynasty of one era (中华民国) names it: 二年 under it is 民国二年.
                only = {(e.dynasty, e.first) for e in eras.eras() if e.dynasty in eras.dynasties(heading.dynasty)}
                ctx.era = eras.resolve(heading.dynasty) if len(only) == 1 else None
            ctx.month = None
        elif heading.rank == 1:
            ctx.year, ctx.month = heading.year, None
            ctx.year_printed, ctx.heading_year = heading.printed, heading.year
            ctx.lunar_era = False
            read_year(heading.title, ctx)  # the era and the lunar flag the heading names
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
        heading = read_heading(text if not MARKDOWN.match(para.first.text) else para.first.text, self.ctx)
        if heading is not None and para.first is para.last:
            self._open(heading, para)
            return
        m = _NOTE_HEAD.match(text)
        if para.after_blank:
            self.notes = None  # a note block ends at a blank line
        if m or (self.notes is not None and (_NOTE_ITEM.match(text) or self.notes_unnumbered)):
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
        rest = para.text[skip:].strip()
        if opens:
            home = self._home()
            self.notes = self.entry or (home[-1] if home else None) or self._preamble(para)
            self.notes_unnumbered = not rest
        if rest:
            self.notes.notes.append(rest)
        self._stretch(self.notes, para)

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
                # The first words under a year or month heading have no date of their own.
                self._new_item(para, self._inherited(), text, inherit=True)
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
        """The date of an item that prints none: its heading's, or the year of the item above."""
        ctx, prev = self.ctx, self.ctx.previous
        top = self.stack[-1][0].rank if self.stack else None
        if top == 2 and ctx.month:
            start, end = month_span(ctx.year, ctx.month, ctx.month)
            return When(start, end, DatePrecision.MONTH, ctx.year, ctx.month, "", ctx.is_lunar(ctx.year))
        if top == 1 or prev is None:
            return year_when(ctx.year, ctx.year_printed if top == 1 else "")
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
        if when.impossible:
            self.doc.warn(f"impossible date in {para.text[:20]}", para.first)
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
                # Titled from the re-joined text: a page break can cut the first clause.
                joined, head = entry.paragraphs[0], parts[0][0]
                tail = joined[len(head) :] if joined.startswith(head) else ""
                entry.title = item_title(self._rest[id(entry)] + tail)

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
    r"|.*(?:牵头|主办|承办|协办|研究决定)|经(?!济|营|理|贸|销|费|纬|典|验|常).*|应.*邀请?"
    r"|为(?:了|迎接|庆祝|纪念|进一步|加快|推进|深入|全面|切实|贯彻|落实|做好|确保|推动|提高|加强).*"
    r"|根据.*|按照.*|据.*|随着.*|受.*委托)$"
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
    text = SEPARATOR.sub("", text.strip())
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


# A 凡例 that says the 民国 years are counted in Chinese months: 民国以来，仍用夏建纪月.
_REPUBLIC_LUNAR = re.compile(r"民国以来[^。]{0,12}(?:夏建|夏历|农历|阴历|旧历)")


def lunar_eras_of(sources: list[Source], lunar_eras: Collection[str] = ()) -> tuple[str, ...]:
    """The eras whose months and days are lunar: those given, else 民国 when a 凡例 says so."""
    if lunar_eras:
        return tuple(lunar_eras)
    if any(_REPUBLIC_LUNAR.search(source.text) for source in sources):
        return ("民国",)
    return ()


def parse(sources: list[Source], *, year_covered: int | None = None, lunar_eras: Collection[str] = ()) -> Document:
    """Return the Document of a text that is a 大事记 alone: one section 大事记 holding it all.

    The section takes the text's own title line when it has one (大事志第三, 灾祥附);
    the chronicle's years come from its headings and items, else ``year_covered``.
    """
    if not sources:
        raise LoaderError("no files given")
    lunar_eras = lunar_eras_of(sources, lunar_eras)
    doc = Document(kind="chronicle")
    # Page numbers, `# source:` comments and web furniture are blanked, pages kept.
    cleaned = clean_sources(sources, doc.warn)
    lines = cleaned.lines
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
        named = re.search(r"(\d{4})\s*年", title)
        if year_covered is None and named:
            year_covered = int(named.group(1))  # 青石县2019年大事记
    else:
        section_line = lines[start]
    loose, sections = read_chronicle(lines[start:], doc, year=year_covered, level=2, lunar_eras=lunar_eras)
    top = Section(title, 1, line=section_line.number, source_file=section_line.file, entries=loose,
                  children=sections)
    doc.sections = [top]
    for section in top.walk():
        section.page = cleaned.pages.get((section.source_file, section.line))
        for entry in section.entries:
            entry.page = cleaned.pages.get((entry.source_file, entry.line_start))
    if not any(e.kind == EntryKind.CHRONICLE for e in doc.entries()):
        raise LoaderError("no dated 大事记 item found", file=sources[0].name)
    return doc
