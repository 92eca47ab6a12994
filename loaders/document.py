"""The plain data every parser returns.

A parser turns source text into a ``Document``: a tree of ``Section`` objects whose
leaves are ``Entry`` objects, plus the lists (appointments) that are not part of the
reading order. Nothing here knows about Django; ``gazetteer/store.py`` turns a
Document into rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class LoaderError(Exception):
    """Input a loader cannot use. The message names the file, and the line where known."""

    def __init__(self, message: str, *, file: str = "", line: int | None = None):
        self.file = file
        self.line = line
        self.reason = message
        where = file
        if file and line is not None:
            where = f"{file}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


@dataclass(frozen=True)
class LoadWarning:
    """Something a loader noticed and could not settle: shown to the person loading."""

    file: str
    line: int | None
    message: str

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.file and self.line else self.file
        return f"{where} — {self.message}" if where else self.message


class DatePrecision:
    """How much of an entry's date the text gives: 1987年3月 is a month, not 1987-03-01."""

    DAY = "day"
    XUN = "xun"  # 上旬 / 中旬 / 下旬: date .. date_end span the ten days
    MONTH = "month"
    SEASON = "season"  # 春 / 夏 / 秋 / 冬
    YEAR = "year"  # 是年 / 本年 / 年内, or an item under a year heading with no month


class EntryKind:
    ENTRY = "entry"  # a 【标题】 条目, or untitled narrative such as 综述
    SPEECH = "speech"  # 特载, a speech or work report
    CHRONICLE = "chronicle"  # one dated 大事记 item
    ARTICLE = "article"  # a newspaper article, or a 专记 essay
    CHAPTER = "chapter"  # a plan's 前言 / 节 text
    TEXT = "text"  # paragraphs of an unstructured text


@dataclass
class Caption:
    """A photo caption, taken out of the body text it interrupted."""

    text: str
    credit: str = ""  # the photographer or supplier: 卜丽君 (摄), 组织部 (供图), 资料图片
    line: int = 0


@dataclass
class Table:
    caption: str
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class Entry:
    title: str
    kind: str
    source_file: str
    line_start: int
    line_end: int
    paragraphs: list[str] = field(default_factory=list)
    page: int | None = None  # printed page, where the TOC gives one
    date: str | None = None  # ISO yyyy-mm-dd; the first day of a range or of a 是月 item
    date_end: str | None = None  # last day of a range (16—19日) or month (是月); else None
    # DatePrecision of ``date``; None when undated. date..date_end always span the
    # whole period the text names (a month item: its first and last day).
    date_precision: str | None = None
    date_printed: str = ""  # the date as printed, where it is not a plain modern one: 民国27年（1938年）3月
    lunar: bool = False  # month and day are of the Chinese calendar, kept as printed
    # The Gregorian year of a dated item, also where ``date`` cannot hold it: years
    # before the common era are negative and historical (公元前651年 is -651).
    year: int | None = None
    # The file of ``line_end`` when the entry runs on into the next file of the volume.
    source_file_end: str = ""
    notes: list[str] = field(default_factory=list)  # footnotes, 根据录音整理 and other notes on the text
    speaker: str = ""
    speaker_title: str = ""  # as printed: 区委书记, 市长
    subtitle: str = ""  # kicker / subtitle / the occasion line of a speech
    authors: list[str] = field(default_factory=list)  # bylines, normalised names
    source_tag: str = ""  # a newspaper's (魏宣)
    captions: list[Caption] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    untitled: bool = False  # the title was lost in the source; ``title`` is made up
    kicker: str = ""  # a newspaper headline's kicker (引题), printed above it
    alt_titles: list[str] = field(default_factory=list)  # other spellings: the TOC's where the body differs

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    def end_at(self, line) -> None:
        """Make ``line`` (a ``text.Line``) the entry's last line, naming its file if it is another."""
        self.line_end = line.number
        self.source_file_end = line.file if line.file != self.source_file else ""


@dataclass
class Section:
    title: str
    level: int  # 1 = 类目 / 章, 2 = 分目 / month of a 大事记, …
    page: int | None = None
    digitized: bool = True  # False: listed in the TOC but its pages are not in the text
    entries: list[Entry] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)
    line: int | None = None  # where its heading stands in the body
    source_file: str = ""
    alt_titles: list[str] = field(
        default_factory=list
    )  # other spellings, e.g. the TOC's where the body differs

    def walk(self):
        """Yield this section and every section below it, in book order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass
class Appointment:
    """One person listed under one title in one organisation's leadership list."""

    organisation: str
    title: str  # as printed, padding removed: 副区长
    person: str  # normalised: 刘 明 → 刘明
    person_notes: list[str] = field(default_factory=list)  # 女, 回
    note: str = ""  # 12月离; 1月任，12月离
    start_month: int | None = None  # 任 (took office) in that month of the covered year
    end_month: int | None = None  # 离 (left office)
    source_file: str = ""
    line: int = 0


@dataclass
class Document:
    kind: str  # yearbook, speeches, plan, newspaper, text
    title: str = ""
    sections: list[Section] = field(default_factory=list)
    appointments: list[Appointment] = field(default_factory=list)
    date: str | None = None  # a newspaper issue's date, ISO
    warnings: list[LoadWarning] = field(default_factory=list)
    detected: str = ""  # with kind "auto": why this kind was chosen

    def warn(self, message: str, line=None, *, file: str = "") -> None:
        """Record a warning at a ``text.Line`` (or a file and no line)."""
        if line is not None:
            self.warnings.append(LoadWarning(line.file, line.number, message))
        else:
            self.warnings.append(LoadWarning(file, None, message))

    def walk(self):
        """Yield every section in book order."""
        for section in self.sections:
            yield from section.walk()

    def entries(self):
        """Yield every entry in book order."""
        for section in self.walk():
            yield from section.entries
