"""Parse a 年鉴 (local yearbook): the 目录 becomes the Section tree, the body fills it.

A yearbook is printed as 类目 (categories) → 分目 (sub-categories) → 条目 (entries,
marked 【标题】 in the body). The 目录 lists all three levels without marking which is
which, so the tree is built in two steps: the TOC gives the order and the pages, and
the body decides what each TOC line is (a plain heading line is a 分目, a 【标题】 is a
条目). Where the body text stops (these exports cover only the first part of a book),
a heuristic decides instead; see ``_place_undigitised``.

Special categories follow the conventions every 年鉴 shares: 特载 holds speeches, 大事记
holds one dated item per day, and 组织机构及领导成员 lists are read by their shape
(organisation line, then "title name（notes）" lines) wherever they appear.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from . import furniture, headings
from .chronicle import read_chronicle
from .document import Appointment, Caption, Document, Entry, EntryKind, LoaderError, LoadWarning, Section
from .headings import vertical_run
from .text import Line, Source, is_complete, join_paragraphs, squeeze

# ---------------------------------------------------------------------------
# Small text helpers

_CJK = re.compile(r"[\u3400-\u9fff]")
_SENTENCE_PUNCT = set("。，；！？!?；：:,")
_PAGE_CELL = re.compile(r"^[（(]?\s*(\d{1,4})\s*[）)]?$")
_PAGE_AT_END = re.compile(r"^(?P<title>.*?)[\s.…·•]*[（(]\s*(?P<page>\d{1,4})\s*[）)]$")
_LEADER = re.compile(r"^[\s.…·•\-—_]+$")
_LEADER_TAIL = re.compile(r"[\s.…·•]+$")


def _key(text: str) -> str:
    """Return the comparison key of a title: letters, digits and CJK only."""
    return re.sub(r"[^0-9A-Za-z\u3400-\u9fff]", "", text)


def _keep_spelling(obj, other: str) -> None:
    """Keep the TOC's or the body's spelling of a title on the section or entry titled with the other.

    The 目录 and the body do not always agree (推进队伍政治教育建设 / 【推进队伍政治建设】);
    a reader searching for either spelling, or an editor comparing them, needs both.
    """
    if other and _key(other) != _key(obj.title) and other not in obj.alt_titles:
        obj.alt_titles.append(other)


def _similar(a: str, b: str) -> float:
    a, b = _key(a), _key(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return SequenceMatcher(None, a, b).ratio()


def _tidy(text: str) -> str:
    """Squeeze a title, also the space printed between a number and a character: 1 月 → 1月."""
    return re.sub(r"(?<=\d) +(?=[^\x00-\x7f])|(?<=[^\x00-\x7f]) +(?=\d)", "", squeeze(text))


def _heading_like(text: str, limit: int = 30) -> bool:
    """Whether a line could be a heading: short, no sentence punctuation, not an item."""
    if not text or not _CJK.search(text) or len(_key(text)) > limit:
        return False
    if any(c in _SENTENCE_PUNCT for c in text) or text.startswith(("【", "（", "(", "——")):
        return False
    return not _DAY.match(text) and not _SAME_DAY.match(text)


# ---------------------------------------------------------------------------
# The 目录


@dataclass
class TocItem:
    title: str  # squeezed: 纪检监察
    raw: str  # as printed, leaders taken out: 纪检 监察, 在全区…的讲话 李朝锋
    page: int | None
    line: Line
    heading: bool = False  # a 类目 heading (printed without a page)


def _toc_bounds(lines: list[Line]) -> tuple[int, int]:
    """Return the indexes of the 目录 line and of the TOC's last line."""
    start = next((i for i, ln in enumerate(lines) if _key(ln.text) == "目录"), None)
    if start is None:
        raise LoaderError("no 目录 (table of contents) found", file=lines[0].file if lines else "")
    # The TOC ends at its last line with a page number: three page-less lines in a
    # row (a vertical 类目 heading, a speech title …) mean the body has begun.
    last_paged, gap = start, 0
    for i in range(start + 1, len(lines)):
        text = lines[i].text.strip()
        if not text:
            continue
        if _has_page(text):
            last_paged, gap = i, 0
        else:
            gap += 1
            if gap >= 3:
                break
    return start, last_paged


def _has_page(text: str) -> bool:
    cells = [c.strip() for c in text.split("\t")]
    return any(_PAGE_CELL.match(c) or _PAGE_AT_END.match(c) for c in cells if c and len(c) < 90)


def _read_toc(lines: list[Line], orphans: list[LoadWarning]) -> list[TocItem]:
    """Return the TOC lines as items in reading order.

    Lines come in blocks separated by blank lines. A block printed in two columns
    (four tab-separated cells: title, page, title, page) is read column by column, the
    left one first, as on the printed page. Titles broken over two lines (the first
    half ending in a tab, or the page alone on the next line after `.....`) are
    re-joined.
    """
    blocks: list[list[Line]] = [[]]
    for ln in lines:
        if ln.text.strip():
            blocks[-1].append(ln)
        elif blocks[-1]:
            blocks.append([])
    items: list[TocItem] = []
    for block in blocks:
        rows = [(ln, ln.text.split("\t")) for ln in block]
        two_columns = any(len(cells) > 2 and any(c.strip() for c in cells[2:]) for _, cells in rows)
        columns = [[(ln, cells[:2]) for ln, cells in rows]]
        if two_columns:
            columns.append([(ln, cells[2:]) for ln, cells in rows])
        for column in columns:
            items.extend(_read_column(column, len(block) == 1, orphans))
    return items


def _read_column(
    rows: list[tuple[Line, list[str]]], alone: bool, orphans: list[LoadWarning]
) -> list[TocItem]:
    """Read one column of a block; a page-less line alone in its block is a 类目 heading."""
    out: list[TocItem] = []
    pending: tuple[str, Line] | None = None

    def emit(raw: str, page: int | None, line: Line, heading: bool = False):
        raw = _LEADER_TAIL.sub("", raw.strip().removeprefix("- ").strip())
        out.append(TocItem(_tidy(raw), raw, page, line, heading))

    for line, cells in rows:
        tabbed = "\t" in line.text
        text, page = "", None
        for cell in (c.strip() for c in cells):
            if not cell or _LEADER.match(cell):
                continue
            m = _PAGE_CELL.match(cell) if tabbed else None
            if m:
                page = int(m.group(1))
                continue
            m = _PAGE_AT_END.match(cell)
            if m:
                text, page = text + m.group("title"), int(m.group("page"))
            else:
                text += cell
        if not text and page is None:
            continue
        if text and not _CJK.search(text) and page is None:
            continue  # a rule like -----------
        if pending and page is not None:
            emit(pending[0] + text, page, pending[1])
            pending = None
        elif page is not None and text:
            emit(text, page, line)
        elif page is not None:
            orphans.append(LoadWarning(line.file, line.number, f"TOC page {page} without a title left out"))
        elif not alone:
            # A line without a page: the first half of a title broken over two lines.
            pending = (pending[0] + text, pending[1]) if pending else (text, line)
        else:
            if pending:
                emit(pending[0], None, pending[1])
                pending = None
            emit(text, None, line, heading=True)
    if pending:
        emit(pending[0], None, pending[1])
    return out


# Back matter the 目录 lists after the last 类目; the 编辑说明 calls it 卷末附索引.
_BACK_MATTER = {"索引"}


@dataclass
class _Category:
    toc: TocItem
    items: list[TocItem] = field(default_factory=list)
    section: Section | None = None
    matched: dict[int, object] = field(default_factory=dict)  # item index → Section | Entry
    owner: dict[int, Section] = field(default_factory=dict)  # item index → its parent section
    found: bool = False
    pointer: int = 0
    back: list[TocItem] = field(default_factory=list)  # back matter listed after it (索引)

    @property
    def title(self) -> str:
        return self.toc.title


def _categories(items: list[TocItem], warnings: list[LoadWarning]) -> list[_Category]:
    cats: list[_Category] = []
    back: list[TocItem] | None = None
    for item in items:
        if item.heading:
            if item.title in _BACK_MATTER and cats:
                # Not a 类目: what it lists is kept as the last sections of the last one.
                warnings.append(
                    LoadWarning(
                        item.line.file,
                        item.line.number,
                        f"{item.title} is back matter, not a 类目; kept under {cats[-1].title}",
                    )
                )
                back = cats[-1].back
                back.append(item)
                continue
            back = None
            cats.append(_Category(item))
        elif back is not None:
            if back and back[-1].heading:
                back.pop()  # the heading, now that it lists something
            back.append(item)
        elif cats:
            cats[-1].items.append(item)
        else:
            warnings.append(
                LoadWarning(item.line.file, item.line.number, f"TOC line before any 类目: {item.raw}")
            )
    return cats


# ---------------------------------------------------------------------------
# Pre-pass over the body: captions, bylines, editorial quotations


_CREDITS = [
    re.compile(r"^(?:(?P<text>.*\S)\s+)?(?P<credit>[\u4e00-\u9fff·]{2,4})\s*摄$"),
    re.compile(r"^(?:(?P<text>.*\S)\s+)?(?P<credit>\S{2,15}?)供图$"),
    re.compile(r"^(?:(?P<text>.*\S)\s+)?(?P<credit>资料图片)$"),
]


def _credit(text: str) -> tuple[str, str] | None:
    for pattern in _CREDITS:
        m = pattern.match(text)
        if m:
            return (m.group("text") or "").strip(), m.group("credit")
    return None


def _names(text: str) -> list[str] | None:
    """Split a run of names padded for alignment (宋 阳 赫连康娅 尹 玥) into names.

    Two single characters in a row are one padded two-character name.
    """
    tokens = text.split()
    names: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if len(tok) == 1 and i + 1 < len(tokens) and len(tokens[i + 1]) == 1:
            tok, i = tok + tokens[i + 1], i + 1
        elif len(tok) == 1 and names and len(names[-1]) == 3:
            # A last character left over: the end of a four-character name broken
            # by the line (刘向轩 宇).
            names[-1] += tok
            i += 1
            continue
        if not re.fullmatch(r"[\u4e00-\u9fff·]{2,5}", tok):
            return None
        names.append(tok)
        i += 1
    return names or None


_BYLINE_ONE = re.compile(r"^[（(]([^()（）]+)[）)]$")
_BYLINE_OPEN = re.compile(r"^[（(]([^()（）]+)$")
_BYLINE_CLOSE = re.compile(r"^([^()（）]+)[）)]$")
# A byline set at the end of the section's last paragraph: …摄影活动。（邵开放）
_BYLINE_INLINE = re.compile(r"^(?P<text>.*[。！？”])\s*[（(](?P<names>[^()（）]+)[）)]$")
# Editorial marks printed the same way, which read as names by their length alone.
_NOT_NAMES = {"节选", "摘要", "摘录", "待续", "未完", "续完", "全文完", "有删节", "试行", "草案", "暂行"}


@dataclass
class _Marks:
    captions: dict[int, tuple[Caption, int]] = field(default_factory=dict)  # first idx → caption, last idx
    bylines: dict[int, tuple[list[str], int]] = field(default_factory=dict)  # first idx → names, last idx
    inline: dict[int, tuple[str, list[str]]] = field(default_factory=dict)  # idx → text without it, names
    dropped: set[int] = field(default_factory=set)


def _mark(body: list[Line], warnings: list[LoadWarning]) -> _Marks:
    """Find captions, bylines and quoted editorial rules before the body is read."""
    marks = _Marks()
    text = [ln.text.strip() for ln in body]
    nonblank = [i for i, t in enumerate(text) if t]
    position = {i: n for n, i in enumerate(nonblank)}

    for i in nonblank:
        t = text[i]
        if t.startswith("——摘自"):
            # An editorial rule quoted between sections (——摘自《…规定》), with the
            # passage it closes: not the text of any entry. Left out, and recorded in
            # Document.warnings so an editor can see what was skipped.
            n = position[i]
            first = nonblank[n - 1] if n else i
            marks.dropped.update({first, i})
            warnings.append(
                LoadWarning(body[i].file, body[i].number, f"editorial quotation left out: {t[2:]}")
            )
            continue
        m = _BYLINE_ONE.match(t)
        if m and _names(m.group(1)):
            marks.bylines[i] = (_names(m.group(1)), i)
            continue
        m = _BYLINE_OPEN.match(t)
        n = position[i]
        if m and n + 1 < len(nonblank):
            j = nonblank[n + 1]
            m2 = _BYLINE_CLOSE.match(text[j])
            if m2 and _names(m.group(1) + " " + m2.group(1)):
                marks.bylines[i] = (_names(m.group(1) + " " + m2.group(1)), j)
                continue
        m = _BYLINE_INLINE.match(t)
        if m and _names(m.group("names")) and not set(_names(m.group("names"))) & _NOT_NAMES:
            marks.inline[i] = (m.group("text"), _names(m.group("names")))
            continue
        credit = _credit(t) if len(t) < 120 else None
        if credit is None:
            continue
        # The caption's text is on the credit line and/or the one or two short lines
        # above it; a caption block is set off from the body by two blank lines.
        parts, first, cur = [credit[0]] if credit[0] else [], i, n
        while cur > 0 and len(parts) < 3:
            prev = nonblank[cur - 1]
            if first - prev > 2 or text[prev].startswith("【") or len(text[prev]) > 80:
                break
            if text[prev][-1] in "。；！？" or prev in marks.bylines or prev in marks.dropped:
                break
            parts.insert(0, text[prev])
            first, cur = prev, cur - 1
        caption = Caption("".join(parts), credit[1], body[first].number)
        marks.captions[first] = (caption, i)
    return marks


# ---------------------------------------------------------------------------
# 大事记, 特载 and leadership lists: line shapes

_DAY = re.compile(
    r"^(?:(?P<month>\d{1,2})\s*月\s*)?(?P<day>\d{1,2})\s*日?"
    r"(?:\s*[~～—－\-–至]+\s*(?:(?P<month2>\d{1,2})\s*月\s*)?(?P<day2>\d{1,2}))?\s*日\s*(?P<rest>.*)$"
)
_SAME_DAY = re.compile(r"^(?P<word>是日|同日|是月|本月)\s*(?P<rest>.*)$")
# (2020年4月29日,根据录音整理): what follows the date is a note on the text.
_SPEECH_DATE = re.compile(
    r"^[（(]\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?P<note>[^）)]*)[）)]$"
)
_OCCASION = re.compile(r"^——\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(.*)$")
_SPEAKER = re.compile(
    r"^(?P<title>[\u4e00-\u9fff、]{2,20})\s+(?P<name>[\u4e00-\u9fff](?:\s?[\u4e00-\u9fff]){1,2})$"
)

# Last characters of a post's title: 书记, 主任, 区长, 主席, 委员, 常委, 经理, 总监 …
_TITLE_END = set("记任长席员委理官师监事办")
_NOTE_MONTH = re.compile(r"^(\d{1,2})月(任|离)$")


@dataclass
class _PersonLine:
    title: str  # "" when the line holds names only
    people: list[tuple[str, list[str]]]  # (name, notes)
    vacant: bool = False


def _split_notes(token: str) -> tuple[str, list[str]]:
    notes = re.findall(r"（([^）]*)）", token)
    return re.sub(r"（[^）]*）", "", token), notes


def _title_like(text: str) -> bool:
    base = re.sub(r"（[^）]*）", "", text)
    return len(base) >= 2 and base[-1] in _TITLE_END


def _person_line(text: str) -> _PersonLine | None:
    """Read `副 主 任 梁 垚`, `区委常委 张书杰`, `何东亚（女，12 月任）`, `李 钢 李小冰`.

    Return None for a line that is not a title and/or names.
    """
    s = text.strip().replace("(", "（").replace(")", "）")
    s = re.sub(r"（[^）]*）", lambda m: re.sub(r"\s+", "", m.group()), s)
    s = re.sub(r"）(?=[\u4e00-\u9fff])", "） ", s)
    if not s or len(s) > 60 or any(c in "。；！？：:" for c in s) or not _CJK.search(s):
        return None
    raw = s.split()
    tokens: list[tuple[str, list[str]]] = []
    for tok in raw:
        base, notes = _split_notes(tok)
        if not base and tokens:  # a note standing apart: 李炳林 (1月离), 主 任 （空缺）
            tokens[-1] = (tokens[-1][0], tokens[-1][1] + notes)
        elif base:
            tokens.append((base, notes))
    if not tokens:
        return None
    for k in range(len(tokens), -1, -1):
        title_tokens, name_tokens = tokens[:k], tokens[k:]
        title = "".join(b + "".join(f"（{n}）" for n in ns) for b, ns in title_tokens)
        if k and not (_title_like(title) or (k == 1 and len(title_tokens[0][0]) >= 5 and name_tokens)):
            continue
        if k == len(tokens):
            notes = tokens[-1][1]
            if any(n == "空缺" for n in notes):
                bare = "".join(b for b, _ in title_tokens)
                return _PersonLine(squeeze(bare), [], vacant=True)
            if notes or not _title_like(title):
                continue
            return _PersonLine(squeeze(title), [])
        people = _pair_names(name_tokens)
        if people is not None:
            return _PersonLine(squeeze(title), people)
    return None


def _pair_names(tokens: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]] | None:
    people = []
    i = 0
    while i < len(tokens):
        base, notes = tokens[i]
        if len(base) == 1 and not notes and i + 1 < len(tokens) and len(tokens[i + 1][0]) == 1:
            base, notes, i = base + tokens[i + 1][0], tokens[i + 1][1], i + 1
        if not re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", base):
            return None
        people.append((base, notes))
        i += 1
    return people


def _appointment_notes(notes: list[str]) -> tuple[list[str], str, int | None, int | None]:
    """Sort a name's notes into personal ones (女, 回) and the 任/离 note (12月离)."""
    personal, note, start, end = [], [], None, None
    for group in notes:
        for part in re.split(r"[，,、;；]", group):
            part = re.sub(r"\s+", "", part)
            if not part:
                continue
            m = _NOTE_MONTH.match(part)
            if m:
                note.append(part)
                if m.group(2) == "任":
                    start = int(m.group(1))
                else:
                    end = int(m.group(1))
            elif len(part) == 1 or part.endswith("族"):
                personal.append(part)  # sex or nationality: 女, 回, 满
            else:
                note.append(part)  # 兼秘书长, 主持工作, 驻会
    return personal, "，".join(note), start, end


def _organisation(heading: str) -> str:
    name = squeeze(heading)
    for suffix in ("领导成员", "成员"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


# ---------------------------------------------------------------------------
# The body


@dataclass
class _Raw:
    """Paragraphs of an entry before page-broken ones are re-joined."""

    parts: list[tuple[str, int, int]] = field(default_factory=list)
    keep: set[int] = field(default_factory=set)  # sub-headings: never joined
    join: bool = True  # False for lists, whose lines are not sentences


class _Body:
    def __init__(self, body: list[Line], cats: list[_Category], year: int | None, doc: Document):
        self.lines = body
        self.text = [ln.text.strip() for ln in body]
        self.cats = cats
        self.year = year
        self.doc = doc
        self.marks = _mark(body, doc.warnings)
        for i, (text, _) in self.marks.inline.items():
            self.text[i] = text
        self.next_cat = 0
        self.cat: _Category | None = None
        self.section: Section | None = None
        self.entry: Entry | None = None
        self.last_entry: Entry | None = None
        self.unsigned: list[Entry] = []  # entries no byline has signed yet
        self.home: dict[int, Section] = {}  # entry → the section it was put in
        self.raw: dict[int, _Raw] = {}
        self.pending_captions: list[Caption] = []
        self.narrative: set[int] = set()  # entries of untitled narrative (综述, 专记 articles)
        self.titled: set[int] = set()  # entries of 【标题】 条目
        self.body_sections: list[tuple[_Category, float, Section, Section]] = []
        self.chronicle: list[int] = []  # the 大事记's lines, read at once by chronicle.py

    # -- navigation ---------------------------------------------------------

    def _skippable(self, i: int) -> bool:
        return not self.text[i] or i in self.marks.dropped

    def _next(self, i: int, n: int = 1) -> int | None:
        """Return the index of the n-th readable line after i (captions skipped)."""
        j = i + 1
        while j < len(self.text):
            if j in self.marks.captions:
                j = self.marks.captions[j][1] + 1
                continue
            if not self._skippable(j):
                n -= 1
                if n == 0:
                    return j
            j += 1
        return None

    def run(self):
        i = 0
        while i < len(self.text):
            if i in self.marks.captions:
                caption, last = self.marks.captions[i]
                self._caption(caption)
                i = last + 1
                continue
            if i in self.marks.bylines:
                names, last = self.marks.bylines[i]
                self._byline(names)
                i = last + 1
                continue
            if self._skippable(i):
                i += 1
                continue
            step = self._step(i)
            for j in range(i, step):
                if j in self.marks.inline:
                    self._byline(self.marks.inline[j][1])
            i = step
        self._read_chronicle()
        for caption in self.pending_captions:
            file = self.lines[0].file if self.lines else ""
            self.doc.warnings.append(
                LoadWarning(file, caption.line or None, f"caption with no entry to attach to: {caption.text}")
            )

    def _step(self, i: int) -> int:
        t = self.text[i]
        advanced = self._category_heading(i)
        if advanced is not None:
            return advanced
        if self.cat is None:
            if not _CJK.search(t):
                return i + 1  # a rule closing the TOC: ------
            self.doc.warn("text before any 类目 left out", self.lines[i])
            return i + 1
        if self.cat.title == "大事记":
            return self._chronicle(i)
        if self.cat.title == "特载" and self._speech_starts(i):
            return self._speech(i)
        if self._list_starts(i):
            return self._leadership(i)
        m = re.match(r"^【([^】]+)】\s*(.*)$", t)
        if m:
            self._titled_entry(i, _tidy(m.group(1)), m.group(2).strip())
            return i + 1
        if _heading_like(t):
            return self._heading(i)
        numbered_heading = _NUMBERED.match(t) and len(t) <= 50 and not re.search(r"[。！？；]", t)
        if self.entry is not None and numbered_heading:
            # A numbered heading inside a speech (四、抓好落实，切实把…): not to be
            # joined with the paragraph after it.
            self._add(self.entry, t, i, heading=True)
            return i + 1
        self._paragraph(i, t)
        return i + 1

    # -- 类目 -----------------------------------------------------------------

    def _category_heading(self, i: int) -> int | None:
        """Recognise a 类目 heading, printed across or down (区\\n情\\n概\\n况)."""
        candidates = self.cats[self.next_cat : self.next_cat + 2]
        if not candidates or not _heading_like(self.text[i]) or self._list_starts(i):
            # An organisation may share a 类目's name (中共魏都区委), but a 类目
            # heading is never followed by a title-and-name line.
            return None
        run = [self.text[i]]
        if len(_key(self.text[i])) <= 4:
            run, _ = vertical_run(
                self.text,
                i,
                piece=lambda t: _heading_like(t) and len(_key(t)) <= 4,
                stop=lambda j: j in self.marks.captions or j in self.marks.bylines or j in self.marks.dropped,
            )
        for n, cat in enumerate(candidates):
            score, k = max((_similar("".join(run[:k]), cat.title), -k) for k in range(1, len(run) + 1))
            if score >= 0.75:
                if n:
                    self.doc.warn(f"类目 {candidates[0].title} not found in the body", self.lines[i])
                self._open_category(self.next_cat + n, i)
                _keep_spelling(cat.section, _tidy("".join(run[:-k])))
                end = i
                for _ in range(-k - 1):
                    end = self._next(end)
                return end + 1
        return None

    def _open_category(self, n: int, i: int):
        self._read_chronicle()
        self._flush_unsigned()
        cat = self.cats[n]
        self.next_cat = n + 1
        cat.found = True
        cat.section.line = self.lines[i].number
        cat.section.source_file = self.lines[i].file
        self.cat, self.section, self.entry, self.last_entry = cat, cat.section, None, None

    # -- matching body lines to TOC items ------------------------------------

    def _match(self, title: str, window: int = 12, fuzzy: float = 0.8) -> int | None:
        """Return the index of the TOC item of this 类目 that a body title stands for.

        Search forward from the last match (exact first, then close spellings nearby),
        then a little backward: a heading can be printed a few lines before the last
        条目 of the previous 分目 when a page is laid out around it.
        """
        cat = self.cat
        items, p = cat.items, cat.pointer
        free = [k for k in range(p, min(len(items), p + window)) if k not in cat.matched]
        back = [k for k in range(max(0, p - 3), p) if k not in cat.matched]
        for k in free + back:
            if _key(items[k].title) == _key(title):
                return k
        for k in free[:3] + back:
            a, b = _key(items[k].title), _key(title)
            if _similar(a, b) >= fuzzy or (len(b) >= 6 and a.startswith(b)):
                return k
        return None

    def _claim(self, k: int, obj, parent: Section):
        cat = self.cat
        cat.matched[k] = obj
        cat.owner[k] = obj if isinstance(obj, Section) else parent
        cat.pointer = max(cat.pointer, k + 1)

    def _toc_parent(self, k: int) -> Section:
        """Return the section a TOC item sits in: that of the nearest matched item before it."""
        before = [j for j in self.cat.matched if j < k]
        return self.cat.owner[max(before)] if before else self.cat.section

    # -- entries ---------------------------------------------------------------

    def _new_entry(self, title: str, kind: str, i: int, section: Section, page: int | None) -> Entry:
        ln = self.lines[i]
        entry = Entry(
            title=title,
            kind=kind,
            source_file=ln.file,
            line_start=ln.number,
            line_end=ln.number,
            page=page if page is not None else section.page,
        )
        section.entries.append(entry)
        self.home[id(entry)] = section
        self.raw[id(entry)] = _Raw()
        self.entry = self.last_entry = entry
        self.unsigned.append(entry)
        if self.pending_captions:
            entry.captions.extend(self.pending_captions)
            self.pending_captions = []
        return entry

    def _add(self, entry: Entry, text: str, i: int, heading: bool = False):
        raw = self.raw[id(entry)]
        if heading:
            raw.keep.add(len(raw.parts))
        ln = self.lines[i]
        raw.parts.append((text, ln.number, ln.number))
        # Lines come in reading order: one in another file than the entry's last line
        # is in a later file of the volume.
        if ln.file != (entry.source_file_end or entry.source_file) or ln.number > entry.line_end:
            entry.end_at(ln)

    def _titled_entry(self, i: int, title: str, first: str):
        k = self._match(title)
        if k is not None:
            parent = self._toc_parent(k)
            entry = self._new_entry(title, EntryKind.ENTRY, i, parent, self.cat.items[k].page)
            _keep_spelling(entry, self.cat.items[k].title)
            self._claim(k, entry, parent)
            self.section = parent
        else:
            entry = self._new_entry(title, EntryKind.ENTRY, i, self.section, None)
        self.titled.add(id(entry))
        if first:
            self._add(entry, first, i)

    def _paragraph(self, i: int, text: str):
        if self.entry is None and self.last_entry is not None:
            last = self.raw[id(self.last_entry)].parts
            if last and not is_complete(last[-1][0]):
                # A heading set into the middle of a page-broken paragraph: the text
                # after it still belongs to the entry before it.
                self._add(self.last_entry, text, i)
                return
        if self.entry is None:
            entry = self._new_entry(self.section.title, EntryKind.ENTRY, i, self.section, None)
            entry.untitled = True
            self.narrative.add(id(entry))
        self._add(self.entry, text, i)

    def _heading(self, i: int) -> int:
        t = self.text[i]
        title = _tidy(t)
        k = self._match(title, fuzzy=0.8)
        nxt = self._next(i)
        nxt_text = self.text[nxt] if nxt is not None else ""
        starts_block = nxt is not None and (nxt_text.startswith("【") or self._list_starts(nxt))
        if k is not None:
            item = self.cat.items[k]
            following = self.cat.items[k + 1].title if k + 1 < len(self.cat.items) else ""
            continues = (
                self.entry is not None
                and not starts_block
                and self.raw[id(self.entry)].parts
                and not is_complete(self.raw[id(self.entry)].parts[-1][0])
            )
            if starts_block or following in _OVERVIEW or continues:
                section = Section(
                    item.title, 2, item.page, line=self.lines[i].number, source_file=self.lines[i].file
                )
                _keep_spelling(section, title)
                self._claim(k, section, self.cat.section)
                self.section, self.entry = section, None
                return i + 1
            parent = self._toc_parent(k)
            entry = self._new_entry(item.title, EntryKind.ENTRY, i, parent, item.page)
            _keep_spelling(entry, title)
            self.narrative.add(id(entry))
            self._claim(k, entry, parent)
            self.section = parent
            return i + 1
        if starts_block:
            # A 分目 the TOC does not list: kept where the body puts it.
            section = Section(title, 2, None, line=self.lines[i].number, source_file=self.lines[i].file)
            key = self.cat.pointer - 0.5
            self.body_sections.append((self.cat, key, section, self.cat.section))
            self.section, self.entry = section, None
            return i + 1
        if self.entry is not None:
            # A sub-heading inside a speech or an article, kept as its own paragraph;
            # a longer unnumbered line is more likely the first half of a paragraph
            # cut by a page break (…要坚持以党的建 / 设高质量…).
            sub = _NUMBERED.match(t) or len(_key(t)) <= 16
            self._add(self.entry, t, i, heading=bool(sub))
        else:
            entry = self._new_entry(title, EntryKind.ENTRY, i, self.section, None)
            self.narrative.add(id(entry))
        return i + 1

    # -- captions and bylines --------------------------------------------------

    def _caption(self, caption: Caption):
        target = self.entry or self.last_entry
        if target is None:
            self.pending_captions.append(caption)
        else:
            target.captions.append(caption)

    def _byline(self, names: list[str]):
        """Sign the entries of the section the byline closes (that of the last entry)."""
        section = self.home.get(id(self.last_entry))
        signed = [e for e in self.unsigned if self.home[id(e)] is section]
        if not signed:
            self.doc.warn(
                f"byline with no entries before it: {' '.join(names)}",
                file=self.lines[0].file if self.lines else "",
            )
        for entry in signed:
            entry.authors = list(names)
        self.unsigned = [e for e in self.unsigned if e not in signed]

    def _flush_unsigned(self):
        self.unsigned = []

    # -- 特载 -------------------------------------------------------------------

    def _speech_starts(self, i: int) -> bool:
        if not _heading_like(self.text[i], limit=45):
            return False
        for n in (1, 2):
            j = self._next(i, n)
            if j is None:
                return False
            t = self.text[j]
            if _SPEAKER.match(t) or _SPEECH_DATE.match(t) or _OCCASION.match(t):
                return True
        return False

    def _speech(self, i: int) -> int:
        title = _tidy(self.text[i])
        speaker = speaker_title = subtitle = ""
        date = None
        notes = []
        j = i
        for _ in range(3):
            n = self._next(j)
            if n is None:
                break
            t = self.text[n]
            m_sp, m_date, m_occ = _SPEAKER.match(t), _SPEECH_DATE.match(t), _OCCASION.match(t)
            if m_occ:
                subtitle = t.lstrip("—").strip()
                date = _iso(*map(int, m_occ.group(1, 2, 3)))
            elif m_date:
                date = _iso(*map(int, m_date.group(1, 2, 3)))
                note = m_date.group("note").strip(" ,，、;；")
                if note:
                    notes.append(note)
            elif m_sp and not speaker:
                speaker, speaker_title = squeeze(m_sp.group("name")), m_sp.group("title")
            else:
                break
            j = n
        k = self._match(title, fuzzy=0.7)
        page = None
        if k is not None:
            item = self.cat.items[k]
            page = item.page
            # The TOC prints the speaker after the title: 在全区领导干部会议上的讲话 李朝锋
            raw = re.sub(r"\s+" + r"\s*".join(speaker) + r"$", "", item.raw) if speaker else item.raw
            title = _tidy(raw)
        entry = self._new_entry(title, EntryKind.SPEECH, i, self.cat.section, page)
        if k is not None:
            _keep_spelling(entry, _tidy(self.text[i]))
            self._claim(k, entry, self.cat.section)
        entry.speaker, entry.speaker_title, entry.subtitle, entry.date, entry.notes = (
            speaker,
            speaker_title,
            subtitle,
            date,
            notes,
        )
        entry.end_at(self.lines[j])
        return j + 1

    # -- 大事记 ------------------------------------------------------------------

    def _chronicle(self, i: int) -> int:
        self.chronicle.append(i)
        return i + 1

    def _read_chronicle(self):
        """Read the 大事记 lines gathered so far with the shared reader, and hang its
        month sections where the TOC lists them."""
        if not self.chronicle:
            return
        lines: list[Line] = []
        for n, i in enumerate(self.chronicle):
            if n and i != self.chronicle[n - 1] + 1:
                lines.append(Line(self.lines[i].file, self.lines[i].number - 1, ""))
            lines.append(self.lines[i])
        self.chronicle = []
        loose, sections = read_chronicle(lines, self.doc, year=self.year, level=2)
        for entry in loose:
            self._own(entry, self.cat.section)
        for section in sections:
            k = self._match(section.title)
            if k is not None:
                section.page = self.cat.items[k].page
                self._claim(k, section, self.cat.section)
            else:
                self.body_sections.append((self.cat, self.cat.pointer - 0.5, section, self.cat.section))
            for s in section.walk():
                for entry in s.entries:
                    entry.page = s.page
                    self._own(entry, s)
        self.cat.section.entries.extend(loose)
        self.section, self.entry = self.cat.section, None

    def _own(self, entry: Entry, section: Section):
        """Give an entry the reader made the bookkeeping of one made here."""
        self.home[id(entry)] = section
        self.raw[id(entry)] = _Raw([(p, entry.line_start, entry.line_end) for p in entry.paragraphs], join=False)
        self.last_entry = entry

    # -- 领导成员 lists ------------------------------------------------------------

    def _list_starts(self, i: int) -> bool:
        """Whether an organisation's leadership list starts here (judged by shape)."""
        t = self.text[i]
        if not _heading_like(t) or self.text[i].startswith("【"):
            return False
        own = _person_line(t)
        if own is not None and (own.people or own.vacant):
            return False
        first, second = self._next(i), self._next(i, 2)
        p1 = _person_line(self.text[first]) if first is not None else None
        p2 = _person_line(self.text[second]) if second is not None else None
        if p1 is None or not p1.title:
            return False
        if not (p1.people or p1.vacant):
            # A title alone on its line, its holder's name on the next one.
            return p2 is not None and not p2.title and bool(p2.people)
        return squeeze(t).endswith("成员") or p2 is not None

    def _leadership(self, i: int) -> int:
        org_line = i
        entry = self._new_entry(squeeze(self.text[i]), EntryKind.ENTRY, i, self.section, None)
        self.raw[id(entry)].join = False
        self._add(entry, self.text[i], i)
        org = _organisation(self.text[i])
        title = ""
        j = i
        while True:
            n = self._next(j)
            if n is None or self._category_heading_ahead(n):
                break
            if n in self.marks.bylines or any(
                n in range(a, b + 1) for a, (_, b) in self.marks.captions.items()
            ):
                break
            t = self.text[n]
            if self._list_starts(n) or (squeeze(t).endswith("领导成员") and n != org_line):
                return n
            p = _person_line(t)
            if p is None:
                break
            if p.title:
                title = p.title
            for name, notes in p.people:
                personal, note, start, end = _appointment_notes(notes)
                self.doc.appointments.append(
                    Appointment(
                        organisation=org,
                        title=title,
                        person=name,
                        person_notes=personal,
                        note=note,
                        start_month=start,
                        end_month=end,
                        source_file=self.lines[n].file,
                        line=self.lines[n].number,
                    )
                )
            self._add(entry, t, n)
            j = n
        self.entry = None
        return j + 1

    def _category_heading_ahead(self, i: int) -> bool:
        candidates = self.cats[self.next_cat : self.next_cat + 2]
        t = self.text[i]
        if not candidates or not _heading_like(t):
            return False
        if self._list_starts(i):
            return False
        if len(_key(t)) <= 1:
            return True  # a vertical heading's first character
        return any(_similar(t, c.title) >= 0.75 for c in candidates)


_OVERVIEW = {"概况", "概述", "综述"}
_NUMBERED = re.compile(r"^(?:[（(]?[一二三四五六七八九十]+[、）)]|第[一二三四五六七八九十]+[，、])")
# A paragraph cut before a decimal (…第二产业增长 / 7.8%，…) is not a numbered point.
_DECIMAL_START = re.compile(r"^\d+[.．]\d")


def _iso(year: int, month: int, day: int) -> str | None:
    if not (1 <= month <= 12) or not (1 <= day <= calendar.monthrange(year, month)[1]):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _finish_paragraphs(raw: _Raw) -> list[str]:
    """Re-join page-broken paragraphs, never across a sub-heading."""
    if not raw.join:
        return [t for t, _, _ in raw.parts]
    out: list[str] = []
    run: list[tuple[str, int, int]] = []

    def flush():
        merged: list[tuple[str, int, int]] = []
        for text, first, last in run:
            if merged and not is_complete(merged[-1][0]) and _DECIMAL_START.match(text):
                merged[-1] = (merged[-1][0] + text, merged[-1][1], last)
            else:
                merged.append((text, first, last))
        out.extend(t for t, _, _ in join_paragraphs(merged))
        run.clear()

    for n, part in enumerate(raw.parts):
        if n in raw.keep:
            flush()
            out.append(part[0])
        else:
            run.append(part)
    flush()
    return out


# ---------------------------------------------------------------------------
# Building the tree


def _place_undigitised(cat: _Category):
    """Give every TOC item the body did not show a place in the tree, digitized=False.

    Without the body there is no telling a 分目 from a 条目, so: an item followed by 概况
    (概述, 综述) opens a 分目 (level 2); any other item is a 条目 of the 分目 open at that
    point (level 3), or of the 类目 itself (level 2) when none is open.
    """
    open_section: Section | None = None
    for k, item in enumerate(cat.items):
        if k in cat.matched:
            owner = cat.owner[k]
            open_section = owner if owner is not cat.section else None
            continue
        following = cat.items[k + 1].title if k + 1 < len(cat.items) else ""
        if following in _OVERVIEW and item.title not in _OVERVIEW:
            obj = Section(item.title, 2, item.page, digitized=False)
            cat.matched[k], cat.owner[k] = obj, obj
            open_section = obj
        else:
            parent = open_section or cat.section
            obj = Section(item.title, parent.level + 1, item.page, digitized=False)
            cat.matched[k], cat.owner[k] = obj, parent


def _assemble(cat: _Category, body_sections):
    """Hang the sections of one 类目 on the tree in TOC order."""
    placed: list[tuple[float, Section, Section]] = []
    for k in range(len(cat.items)):
        obj = cat.matched[k]
        if isinstance(obj, Section):
            parent = cat.owner[k] if cat.owner[k] is not obj else None
            if parent is None:
                parent = _toc_parent_of(cat, k)
            placed.append((k, obj, parent))
    for c, key, section, parent in body_sections:
        if c is cat:
            placed.append((key, section, parent))
    for _, section, parent in sorted(placed, key=lambda p: p[0]):
        parent.children.append(section)


def _toc_parent_of(cat: _Category, k: int) -> Section:
    """A 分目 hangs on its 类目; a deeper section on the 分目 open before it."""
    section = cat.matched[k]
    if section.level <= 2:
        return cat.section
    for j in range(k - 1, -1, -1):
        obj = cat.matched[j]
        if isinstance(obj, Section) and obj.level == section.level - 1:
            return obj
    return cat.section


# ---------------------------------------------------------------------------


def _front_matter_facts(front: list[Line]) -> tuple[str, int | None]:
    """Return the volume title and the year it records, from the pages before the 目录."""
    text = "\n".join(ln.text for ln in front)
    m = re.search(r"《([^》]*年鉴[（(]\s*(\d{4})\s*[）)])》", text)
    title = m.group(1) if m else ""
    span = re.search(r"(\d{4})\s*年\s*1\s*月\s*1\s*日\s*至\s*(\d{4})\s*年\s*12\s*月\s*31\s*日", text)
    if span:
        return title, int(span.group(1))
    # A yearbook records the year before the one on its cover.
    return title, int(m.group(2)) - 1 if m else None


# 类目 every 年鉴 prints under these names. Without a 目录 they, any 类目 printed down
# the page (区/情/概/况), a markdown text's top headings and a heading standing over a
# 分目 or a 综述 open the categories.
_CONVENTIONAL = {"特载", "专记", "大事记", "附录", "索引"}


def _body_categories(lines: list[Line]) -> tuple[int, list[TocItem]]:
    """Return where the body starts and its 类目 headings, for a yearbook without a 目录."""
    texts = [ln.text.strip() for ln in lines]
    marked = [headings.markdown(t) for t in texts]
    top = min((h.rank for h in marked if h), default=None)
    items: list[TocItem] = []
    i = 0
    while i < len(texts):
        vertical = headings.vertical_heading(texts, i)
        if vertical:
            title, last = vertical
        elif marked[i] and marked[i].rank == top:
            title, last = _tidy(marked[i].title), i
        elif _key(texts[i]) in _CONVENTIONAL or (top is None and _opens_category(texts, i)):
            title, last = _tidy(texts[i]), i
        else:
            i += 1
            continue
        items.append(TocItem(title, title, None, lines[i], heading=True))
        i = last + 1
    start = next((n for n, ln in enumerate(lines) if items and ln is items[0].line), len(lines))
    return start, items


def _opens_category(texts: list[str], i: int) -> bool:
    """A 类目 printed across the page: a short heading over its 综述, or over a 分目 heading
    whose first line is a 【条目】 (a 分目 itself stands right over its 【条目】)."""
    if not _heading_like(texts[i]) or len(_key(texts[i])) > 10 or texts[i].startswith("【"):
        return False
    following = [j for j in range(i + 1, min(len(texts), i + 8)) if texts[j]][:2]
    if not following:
        return False
    first = texts[following[0]]
    if _key(first) in _OVERVIEW:
        return True
    return (
        len(following) == 2
        and _heading_like(first)
        and not first.startswith("【")
        and texts[following[1]].startswith("【")
    )


def parse(sources: list[Source], *, year_covered: int | None = None) -> Document:
    """Return the Document of a yearbook given its files in reading order.

    ``year_covered`` dates the 大事记 when the front matter does not name the year.
    Without a 目录, the 类目 are the body's own headings (see ``_body_categories``).
    """
    if not sources:
        raise LoaderError("no files given")
    lines = [ln for source in sources for ln in source.lines()]
    try:
        start, end = _toc_bounds(lines)
        front = lines[:start]
    except LoaderError:
        start = None
        end, toc_items = _body_categories(lines)
        if not toc_items:
            raise LoaderError(
                "no 目录 (table of contents) found, and no 类目 headings in the body", file=sources[0].name
            ) from None
        front, end = lines[:end], end - 1
    title, year = _front_matter_facts(front)
    year = year or year_covered
    doc = Document(kind="yearbook", title=title)
    if year is None:
        doc.warn(
            "the year the volume records was not found; 大事记 items are left undated", file=sources[0].name
        )

    if start is not None:
        items = _read_toc(lines[start + 1 : end + 1], doc.warnings)
    else:
        items = toc_items
        doc.warn("no 目录: the 类目 are the body's own headings", file=sources[0].name)
    cats = _categories(items, doc.warnings)
    if not cats:
        raise LoaderError("the 目录 lists no 类目", file=lines[start].file, line=lines[start].number)
    for cat in cats:
        cat.section = Section(cat.title, 1, None, digitized=False)
    # Furniture only after the 目录: a TOC's page numbers are not page furniture.
    clean_from = end + 1 if start is not None else 0
    cleaned = furniture.clean(lines[clean_from:], doc.warn)
    body = _Body(cleaned.lines[end + 1 - clean_from :], cats, year, doc)
    body.run()

    for cat in cats:
        cat.section.digitized = cat.found
        _place_undigitised(cat)
        _assemble(cat, body.body_sections)
        cat.section.page = next((it.page for it in cat.items if it.page is not None), None)
        for item in cat.back:
            cat.section.children.append(Section(item.title, 2, item.page, digitized=False))

    for entry in (e for cat in cats for s in cat.section.walk() for e in s.entries):
        entry.paragraphs = _finish_paragraphs(body.raw[id(entry)])
    for cat in cats:
        _settle_kinds(cat, body)
    doc.sections = [cat.section for cat in cats]
    _printed_pages(doc, cleaned)
    return doc


def _printed_pages(doc: Document, cleaned: furniture.Cleaned) -> None:
    """Give entries and sections without a TOC page the page printed over their first line."""
    for section in doc.walk():
        if section.page is None and section.line is not None:
            section.page = cleaned.pages.get((section.source_file, section.line))
        for entry in section.entries:
            if entry.page is None:
                entry.page = cleaned.pages.get((entry.source_file, entry.line_start))


def _settle_kinds(cat: _Category, body: _Body):
    """Call untitled narrative an article in a 类目 made of nothing else (专记 and the like)."""
    entries = [e for s in cat.section.walk() for e in s.entries]
    if cat.section.children or any(id(e) in body.titled for e in entries):
        return
    for entry in entries:
        if id(entry) in body.narrative:
            entry.kind = EntryKind.ARTICLE
