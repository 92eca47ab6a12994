"""Five-year plan outlines (规划纲要) exported from a word processor.

Structure: 前言, then 第X章 (level-1 sections) with their 第X节 (also written 第1节)
as entries of kind ``chapter``. Text under a 章 before its first 节 is an entry of its
own, titled with the 章 heading. The export left ``[bookmark: _Toc…]`` anchors in
the text and footnotes as ``[0: …]`` at the end of their paragraph; the anchors are
dropped, footnotes become notes (``Entry.notes``) of the entry they annotate.

Tables were exported one cell per line: each cell starts with a tab, a line without
a tab continues the cell above (``“十三五”`` / ``完成情况``), an empty cell is a line
holding only a tab, and a blank line ends a row. ``text.normalise`` strips trailing
whitespace, so an empty cell and a row end both arrive as blank lines; rows are then
told apart by the cells that start them (a serial number, a group heading
``一、经济发展``, a note ``注：``) and by the width of the body rows. When the tabs do
survive, they are used as they are.

Rebuilt tables are grids: every row has as many cells as the widest body row. A
merged cell keeps its text in its first column and leaves the columns it spans
empty: an indicator without a category spans the two name columns, a group row the
whole width. Notes under a table (``注：…``) become paragraphs after it.
"""

from __future__ import annotations

import re
from collections import Counter

from .document import Document, Entry, EntryKind, LoaderError, Section, Table
from .furniture import strip_sources
from .text import Line, Source, squeeze

# Word-processor anchors: [bookmark: _Toc9549], and a footnote's reference mark.
_BOOKMARK = re.compile(r"\[bookmark: [^\]]*\]|\[footnoteRef:\d+\]")
_FOOTNOTE = re.compile(r"^(?P<text>.*?)\s*\[\d+:\s*(?P<note>[^\]]+)\]$")
_NUM = "一二三四五六七八九十百零〇"
_PREFACE = re.compile(r"^前\s*言$")
_CHAPTER = re.compile(rf"^第[{_NUM}\d]+章(?:\s|$)")
_SUBSECTION = re.compile(rf"^第[{_NUM}\d]+节(?:\s|$)")
_CAPTION = re.compile(r"^表\s*\d+\s*[:：]")
_SERIAL = re.compile(r"^\d{1,3}$")
_GROUP = re.compile(rf"^[{_NUM}]+、\S")
_NOTE = re.compile(r"^(?:注|备注)\s*[:：]")
_NAME_HEADER = re.compile(r"^指\s*标")

# Token kinds of a table region.
_CELL, _EMPTY, _BLANK = "cell", "empty", "blank"


def parse(sources: list[Source], *, year_covered: int | None = None) -> Document:
    """Return the plan's 前言 and 章 as sections, their 节 as entries, tables attached."""
    sections: list[Section] = []
    doc = Document(kind="plan")
    sources, _ = strip_sources(sources, doc.warn)
    for source in sources:
        _parse_source(source, sections)
    if not any(_CHAPTER.match(s.title) or s.title == "前言" for s in sections):
        name = sources[0].name if sources else ""
        raise LoaderError("no chapter found: expected headings like 前言, 第一章 … and 第一节 …", file=name)
    doc.sections = sections
    return doc


def _parse_source(source: Source, sections: list[Section]) -> None:
    lines = [Line(line.file, line.number, _BOOKMARK.sub("", line.text).rstrip()) for line in source.lines()]
    entry: Entry | None = sections[-1].entries[-1] if sections and sections[-1].entries else None
    k = 0
    while k < len(lines):
        line = lines[k]
        text = heading_text(line.text)
        if _PREFACE.match(text) or _CHAPTER.match(text):
            title = "前言" if _PREFACE.match(text) else text
            sections.append(Section(title, level=1, line=line.number, source_file=line.file))
            entry = None
            if title == "前言":
                entry = _new_entry(sections[-1], title, line)
        elif _SUBSECTION.match(text):
            if not sections:
                sections.append(_untitled_section(line))
            entry = _new_entry(sections[-1], text, line)
        elif line.text.startswith("\t") and _CAPTION.match(line.text.strip()):
            end = _table_end(lines, k + 1)
            table, notes = build_table(squeeze(line.text), lines[k + 1 : end])
            entry = entry or _lead_entry(sections, line)
            entry.tables.append(table)
            entry.paragraphs += notes
            entry.end_at(lines[end - 1])
            k = end
            continue
        elif text:
            entry = entry or _lead_entry(sections, line)
            footnote = _FOOTNOTE.match(text)
            entry.paragraphs.append(footnote["text"] if footnote else text)
            if footnote:
                entry.notes.append(footnote["note"].strip())
            entry.end_at(line)
        k += 1


def heading_text(text: str) -> str:
    """Return a line stripped, with runs of spaces (padding in headings) made one."""
    return re.sub(r"\s+", " ", text.strip())


def _new_entry(section: Section, title: str, line: Line, untitled: bool = False) -> Entry:
    entry = Entry(title, EntryKind.CHAPTER, line.file, line.number, line.number, untitled=untitled)
    section.entries.append(entry)
    return entry


def _untitled_section(line: Line) -> Section:
    # Text before any heading: a fragment whose heading is not in the file.
    return Section("（标题缺失）", level=1, line=line.number, source_file=line.file)


def _lead_entry(sections: list[Section], line: Line) -> Entry:
    """Return a new entry for text under a 章 before its first 节 (titled with the 章)."""
    if not sections:
        sections.append(_untitled_section(line))
    section = sections[-1]
    return _new_entry(section, section.title, line, untitled=section.title == "（标题缺失）")


def _table_end(lines: list[Line], k: int) -> int:
    """Return the index of the first line after the table region starting at ``k``."""
    previous_blank = True
    while k < len(lines):
        text = lines[k].text
        stripped = heading_text(text)
        if _CHAPTER.match(stripped) or _SUBSECTION.match(stripped) or _PREFACE.match(stripped):
            break
        if text.strip() and not text.startswith("\t") and previous_blank:
            break  # body text again: a cell's continuation line never follows a blank
        previous_blank = not text.strip()
        k += 1
    while k > 0 and lines[k - 1].text == "":
        k -= 1  # trailing blank lines are page layout, not rows
    return k


def build_table(caption: str, lines: list[Line]) -> tuple[Table, list[str]]:
    """Rebuild a table from its one-cell-per-line export; return it and its notes."""
    tokens = _tokens(lines)
    exact = any(kind == _EMPTY for kind, _ in tokens)
    rows = _rows_exact(tokens) if exact else _rows_from_blanks(tokens)
    header: list[list[str]] = []
    body: list[tuple[str, list[str]]] = []
    notes: list[str] = []
    for row in rows:
        first = next((c for c in row if c), "")
        if _NOTE.match(first):
            notes += [heading_text(part) for c in row for part in c.split("\n") if part.strip()]
        elif _GROUP.match(row[0]):
            body.append(("group", [row[0]]))
        elif _SERIAL.match(row[0]) or (body and not row[0]):
            body.append(("body", row))
        elif not body:
            header.append(row)
        else:
            body.append(("body", row))
    return Table(caption, _grid(header, body)), notes


def _tokens(lines: list[Line]) -> list[tuple[str, str]]:
    """Return (kind, text) per cell or blank line; continuation lines join their cell."""
    tokens: list[tuple[str, str]] = []
    for line in lines:
        text = line.text
        if text.startswith("\t") and not text.strip():
            tokens.append((_EMPTY, ""))
        elif not text.strip():
            tokens.append((_BLANK, ""))
        elif text.startswith("\t") or not tokens or tokens[-1][0] != _CELL:
            tokens.append((_CELL, text.strip()))
        else:
            # A line break inside a cell: “十三五” / 完成情况. Notes keep their lines.
            joiner = "\n" if _NOTE.match(tokens[-1][1]) else ""
            tokens[-1] = (_CELL, tokens[-1][1] + joiner + text.strip())
    while tokens and tokens[0][0] == _BLANK:
        tokens.pop(0)
    return [(kind, squeeze(text) if "\n" not in text else text) for kind, text in tokens]


def _starts_row(token: tuple[str, str]) -> bool:
    kind, text = token
    return kind == _CELL and bool(_SERIAL.match(text) or _GROUP.match(text) or _NOTE.match(text))


def _rows_exact(tokens: list[tuple[str, str]]) -> list[list[str]]:
    """Split rows at blank lines when empty cells are still marked by their tab."""
    rows: list[list[str]] = [[]]
    for kind, text in tokens:
        if kind == _BLANK:
            if rows[-1]:
                rows.append([])
        else:
            rows[-1].append(text)
    rows = [row for row in rows if row]
    base = _base_width([len(r) for r in rows if _SERIAL.match(r[0])])
    merged: list[list[str]] = []
    for row in rows:
        # A page break inside a row leaves a blank line in it: 7, 研究与试验…, '', '', ''
        # then '', '', 预期性. Put the halves back together.
        if (
            merged
            and base
            and _SERIAL.match(merged[-1][0])
            and len(merged[-1]) < base
            and not row[0]
            and len(merged[-1]) + len(row) <= base + 1
        ):
            merged[-1] += row
        else:
            merged.append(row)
    return merged


def _rows_from_blanks(tokens: list[tuple[str, str]]) -> list[list[str]]:
    """Split rows when empty cells and row ends are both blank lines.

    Between two cells that start rows, the last blank line is the row end and the
    ones before it are empty cells. A stretch holding several rows (an indicator
    with sub-indicators on rows of their own) is cut into rows of equal width.
    """
    starts = [i for i, token in enumerate(tokens) if _starts_row(token)] or [len(tokens)]
    segments = [tokens[: starts[0]]] + [
        tokens[a:b] for a, b in zip(starts, starts[1:] + [len(tokens)], strict=True)
    ]
    while len(segments[-1]) > 1 and segments[-1][-1][0] == _BLANK and segments[-1][-2][0] == _BLANK:
        segments[-1].pop()  # blank lines after the last row of the region
    for segment in segments:
        if segment and segment[-1][0] == _BLANK:
            segment.pop()  # the row end
    header, *rest = segments
    rows = _split_header(header) if header else []
    base = _base_width([len(s) for s in rest if s and _SERIAL.match(s[0][1])])
    for segment in rest:
        cells = [text for _, text in segment]
        if not cells:
            continue
        width = _equal_width(len(cells), base) if _SERIAL.match(cells[0]) else 0
        if not width:
            rows.append(cells)
            continue
        for start in range(0, len(cells), width + 1):
            rows.append(cells[start : start + width])
    return rows


def _split_header(tokens: list[tuple[str, str]]) -> list[list[str]]:
    """Return the header rows: the first is all labels; blanks start the second."""
    cells = [text for _, text in tokens]
    if _BLANK not in [kind for kind, _ in tokens]:
        return [cells]
    cut = [kind for kind, _ in tokens].index(_BLANK)
    rows = [cells[:cut], cells[cut + 1 :]]
    return [row for row in rows if row]


def _base_width(widths: list[int]) -> int:
    return Counter(widths).most_common(1)[0][0] if widths else 0


def _equal_width(count: int, base: int) -> int:
    """Return the width w of the rows a stretch of ``count`` cells holds, or 0 for one row.

    r rows of w cells with r - 1 row ends between them: count = r * w + r - 1. A row
    is as wide as the body rows, or one wider (its name split into category and
    indicator).
    """
    if not base or count <= base + 1:
        return 0
    for rows in range(2, count + 2):
        if (count + 1) % rows == 0 and (count + 1) // rows - 1 in (base, base + 1):
            return (count + 1) // rows - 1
    return 0


def _grid(header: list[list[str]], body: list[tuple[str, list[str]]]) -> list[list[str]]:
    """Return all rows padded to one width, merged cells placed in their first column."""
    width = max([len(row) for kind, row in body if kind == "body"] + [len(r) for r in header] + [1])
    rows: list[list[str]] = []
    if len(header) == 2 and len(header[0]) < len(header[1]):
        header = [_spread_over(header[0], header[1]), header[1]]
    for row in header:
        at = next((i for i, cell in enumerate(row) if _NAME_HEADER.match(cell)), 1 if len(header) > 1 else 0)
        rows.append(_widen(row, width, at))
    for kind, row in body:
        if kind == "group":
            rows.append(row + [""] * (width - 1))
        elif not row[0]:
            # A sub-indicator row: its first cells continue the row above vertically,
            # and any missing cells are empty cells at its end lost with the blanks.
            rows.append(row + [""] * (width - len(row)))
        else:
            rows.append(_widen(row, width, 1))
    return rows


def _widen(row: list[str], width: int, at: int) -> list[str]:
    """Let the cell at ``at`` span the missing columns (an indicator without category)."""
    missing = width - len(row)
    if missing <= 0:
        return row
    at = min(at, len(row) - 1)
    return row[: at + 1] + [""] * missing + row[at + 1 :]


def _spread_over(upper: list[str], lower: list[str]) -> list[str]:
    """Spread an upper header row over the lower one it heads.

    Upper cells above an empty lower cell span one column (the lower cell is their
    vertical continuation); the upper cells above the run of lower labels share it
    evenly: “十三五”目标 over 2020年 / 年均增长.
    """
    lead = 0
    while lead < min(len(upper), len(lower)) and not lower[lead]:
        lead += 1
    trail = 0
    while trail < min(len(upper), len(lower)) - lead and not lower[len(lower) - 1 - trail]:
        trail += 1
    middle_upper = upper[lead : len(upper) - trail]
    middle_lower = len(lower) - lead - trail
    if not middle_upper or middle_lower % len(middle_upper):
        return upper
    span = middle_lower // len(middle_upper)
    spread = upper[:lead]
    for cell in middle_upper:
        spread += [cell] + [""] * (span - 1)
    return spread + upper[len(upper) - trail :]
