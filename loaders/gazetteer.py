"""County gazetteers (县志/市志/区志) and their classical forebears (府志, 县志 of 清 and 民国).

A 志 is a book of parts under headings: modern ones 编/章/节/目 (or, in some
conversions, 卷/类/辑 written as markdown ``#`` lines), classical ones 卷 and …志 headings
told apart only by their indent. Around the parts stand 序 (prefaces, signed and dated
at the right margin), 凡例 (editorial rules, one item per ``一、``), 概述, a 大事记 and
附录. What is only this kind's:

* a 目录 (``目录``, ``…志目録``, or a ``序号 篇名`` table) is read as the book's outline:
  a 目录 section whose sections (卷 / 志 / 門 …) and items are marked not digitised;
* the 大事记 (大事志, 灾祥) is handed to ``loaders.chronicle.read_chronicle``; period
  headings (``公元1912年～公元1949年``) stay sections, year headings are the reader's;
* headings of a classical text are its short lines set at another indent than the body
  (``　　沿革`` over flush-left text, or a flush-left role over an indented name list);
* hard-wrapped lines (the width of the printed column) are re-joined into paragraphs,
  a paragraph starting at an indented line; right-aligned signatures stay paragraphs;
* 凡例 items are paragraphs of their own, also where two were run into one line.
"""

from __future__ import annotations

import re
from collections import Counter

from . import headings
from .chronicle import read_chronicle
from .document import Document, EntryKind, LoaderError, Section
from .furniture import Cleaned, clean_sources
from .plaintext import Node, make_entry, outline
from .text import Line, Source, is_hard_wrapped

_CHRONICLE = re.compile(r"^(?:\S{0,4}大事(?:[记記志]|年表|[纪紀]略|[纪紀]要)?(?:第\S+)?|\S{0,2}[灾災](?:祥|异|異)附?(?:志)?)$")
_FANLI = re.compile(r"^凡\s*例$")
# A single year heading (a chronicle's), not a period: 1949年, 公元前651年（晋献公二十六年）.
_YEAR_HEADING = re.compile(r"^(?:公元前?)?\d{1,4}年(?:[（(][^）)]*[）)])?$|^[一二三四五六七八九〇零]{4}年$")
_TOC_START = re.compile(r"^(?:\S{0,8}?[志鉴鑑])?\s*目\s*[録录錄](?:\s|$)|^●?\s*序[号號]\s+篇名")
_CONTAINER = re.compile(rf"^(?:[卷巻]\s*[{headings.NUMERALS}]+|[卷巻]之\S+|第[{headings.NUMERALS}\d]+[编編卷巻篇章])$")
_ZHI = re.compile(rf"^\S{{1,6}}志(?:第)?[{headings.NUMERALS}]+$")
_MARKER = re.compile(r"^●\s*(\S.{0,20})$")
_CELLS = re.compile(r"\s{2,}")
_SENTENCE = re.compile(r"[。！？；，：、]")


def parse(sources: list[Source], *, year_covered: int | None = None) -> Document:
    """Return the gazetteer's parts as sections; its 大事记 read as dated items."""
    if not sources:
        raise LoaderError("no files given")
    doc = Document(kind="gazetteer")
    cleaned = clean_sources(sources, doc.warn)
    lines = cleaned.lines
    toc_section, lines = _take_toc(lines)
    nodes = outline(lines, titles=False, found=_classical_headings(lines), extra=part_heading)
    if not nodes and toc_section is None:
        raise LoaderError("no text found: the file holds only blank lines", file=sources[0].name)
    doc.sections = _tree(nodes, cleaned, doc, year_covered)
    if toc_section is not None:
        # In book order: the 目录 after the title page, before the 序 that follows it.
        at = sum(1 for s in doc.sections if s.source_file == toc_section.source_file and (s.line or 0) < toc_section.line)
        doc.sections.insert(at, toc_section)
    doc.title = _book_title(sources, cleaned.lines)
    return doc


def _book_title(sources: list[Source], lines: list[Line]) -> str:
    """The book's title where the text prints it: 《某县志》 on the title page, or #+TITLE:."""
    m = re.search(r"^#\+TITLE:\s*(\S.*?)\s*$", sources[0].text[:2000], re.M)
    if m:
        return m.group(1)
    for ln in lines[:10]:
        m = re.match(r"^《([^》]{1,20})》", ln.text.strip())
        if m:
            return m.group(1)
    return ""


# The parts every 志 has, standing alone on their line: headings at the top level.
_PARTS = re.compile(r"^(?:序|序言|前言|凡例|概述|[总總]述|大事[记記]|大事年表|附[录錄録]|[编編]?[后後][记記]|跋)$")


def part_heading(text: str) -> headings.Heading | None:
    title = headings.tidy(text)
    return headings.Heading(title, headings.RANK_VOLUME, "part") if _PARTS.match(title) else None


# ---------------------------------------------------------------------------
# Classical headings: told by indent


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _classical_headings(lines: list[Line]) -> dict[int, headings.Heading] | None:
    """Return the headings of a text whose headings stand at another indent than its body.

    None when the text has markdown or 编/章/节 headings (``outline`` finds those) or no
    such indent: then the generic rules apply.
    """
    texts = [ln.text for ln in lines]
    if any(headings.markdown(t) for t in texts if not t[:1].isspace()):
        return None
    found: dict[int, headings.Heading] = {}
    for i, t in enumerate(texts):
        m = _MARKER.match(t.strip())
        if m:
            found[i] = headings.Heading(headings.tidy(m.group(1)), headings.RANK_CHAPTER, "marker")
        elif part := part_heading(t):
            found[i] = part
    long_indents = Counter(_indent(t) for t in texts if len(t.strip()) > 14)
    if not long_indents:
        return found if any(h.form == "marker" for h in found.values()) else None
    body = long_indents.most_common(1)[0][0]
    for i, t in enumerate(texts):
        s = t.strip()
        if i in found or not s or t.startswith("\t"):
            continue
        if headings.word_form(s) and not _SENTENCE.search(s):
            found[i] = headings.word_form(s)
            continue
        numbered = headings.numbered(s)
        if numbered is not None and not numbered.rest:
            found[i] = numbered  # 一、粮食作物 / （一）小麦 standing alone
            continue
        if _indent(t) == 1 and body == 0:
            s = _CELLS.split(s)[0]  # a title line: 某志巻一　　　　某朝　某某　撰
        short = len(s) <= 12 and not _SENTENCE.search(s) and not re.search(r"[(（)）\d]", s)
        if not short or _indent(t) == body:
            continue
        if body == 0 and _indent(t) in (1, 2):
            # Over flush-left text: one space of indent is a title line, two a heading.
            rank = headings.RANK_VOLUME if _indent(t) == 1 else headings.RANK_CHAPTER
            found[i] = headings.Heading(headings.tidy(s), rank, "indent")
        elif body > 0 and _indent(t) == 0 and len(s) <= 12:
            found[i] = headings.Heading(headings.tidy(s), headings.RANK_CHAPTER, "flush")
    if not any(h.form in ("indent", "flush") for h in found.values()):
        markers = {i: h for i, h in found.items() if h.form in ("marker", "part")}
        return markers if any(h.form == "marker" for h in markers.values()) else None
    if any(h.form in headings.WORD_FORMS for h in found.values()):
        # Beside 编/章/节, an unnumbered short line is a sub-heading of the one open.
        for i, h in found.items():
            if h.form in ("indent", "flush"):
                found[i] = headings.Heading(h.title, headings.RANK_TITLE, "title")
    return found


# ---------------------------------------------------------------------------
# The 目录


def _take_toc(lines: list[Line]) -> tuple[Section | None, list[Line]]:
    """Read a 目录 block into a section tree; return it and the lines with the block blanked."""
    start = next((i for i, ln in enumerate(lines) if _TOC_START.match(ln.text.strip())), None)
    if start is None:
        return None, lines
    rows: list[tuple[int, Line]] = []
    item_indent: int | None = None
    end = len(lines)
    for i in range(start + 1, len(lines)):
        t = lines[i].text
        s = t.strip()
        if not s:
            continue
        container = bool(_CONTAINER.match(headings.tidy(s)))
        if len(s) > 40 or _MARKER.match(s):
            end = i
            break
        if not container:
            if item_indent is None:
                item_indent = _indent(t)
            elif _indent(t) < item_indent:
                end = i  # back at the margin, and not a 卷: the book itself begins
                break
        rows.append((i, lines[i]))
    toc = Section("目录", 1, line=lines[start].number, source_file=lines[start].file, digitized=True)
    _read_toc(rows, toc)
    kept = [Line(ln.file, ln.number, "") if start <= i < end else ln for i, ln in enumerate(lines)]
    return toc, kept


def _read_toc(rows: list[tuple[int, Line]], toc: Section) -> None:
    """Hang TOC rows on ``toc``: 卷 lines, then …志 lines, then deeper indents, as levels."""
    items = [(i, ln) for i, ln in rows if not _CONTAINER.match(headings.tidy(ln.text.strip()))]
    indents = sorted({_indent(ln.text) for _, ln in items})
    counts = Counter(_indent(ln.text) for _, ln in items)
    # The deepest indent, when rare, holds the tails of cells wrapped onto a new line.
    wrap = indents[-1] if len(indents) > 2 and counts[indents[-1]] <= max(2, len(items) // 20) else None
    depth = {ind: n for n, ind in enumerate(x for x in indents if x != wrap)}
    stack: list[Section] = [toc]
    last: Section | None = None

    def hang(title: str, level: int, ln: Line):
        nonlocal last
        while stack[-1].level >= level:
            stack.pop()
        section = Section(title, level, line=ln.number, source_file=ln.file, digitized=False)
        stack[-1].children.append(section)
        stack.append(section)
        last = section

    gutter = _gutter([ln.text for _, ln in items])
    flat_zhi = len(items) == len(rows) and any(_ZHI.match(ln.text.strip()) for _, ln in rows)
    base = 2
    for _, ln in rows:
        s = ln.text.strip()
        tidy = headings.tidy(s)
        if _CONTAINER.match(tidy):
            hang(tidy, 2, ln)
            base = 3
            continue
        ind = _indent(ln.text)
        cells = _cells(ln.text, gutter)
        if ind == wrap:
            if len(cells[0]) <= 3 and last is not None:
                last.title += cells[0]  # the tail of a cell too long for its column
                cells = cells[1:]
            ind = indents[indents.index(wrap) - 1]
        level = base + depth.get(ind, 0)
        if len(depth) == 1 and flat_zhi:
            # A flat list (志 and 目 at one indent): …志N heads the items after it.
            level = base if _ZHI.match(s) else base + (1 if _has_zhi_before(stack) else 0)
        for cell in cells:
            hang(headings.tidy(cell) if len(cell) <= 12 else cell, level, ln)


def _gutter(texts: list[str]) -> int | None:
    """Return the column where a two-column TOC's right cells start, if it has one."""
    starts = Counter(m.end() for t in texts for m in [re.search(r"\S\s{2,}(?=\S)", t)] if m)
    if not starts:
        return None
    column, n = starts.most_common(1)[0]
    return column if n >= 3 else None


def _cells(text: str, gutter: int | None) -> list[str]:
    """Split a TOC line into its cells: at runs of spaces, or at the right column's edge."""
    if gutter and len(text) > gutter and text[gutter - 1] == " " and text[gutter] != " " and text[:gutter].strip():
        return [text[:gutter].strip(), text[gutter:].strip()]
    return [c for c in _CELLS.split(text.strip()) if c]


def _has_zhi_before(stack: list[Section]) -> bool:
    return any(_ZHI.match(s.title) for s in stack)


# ---------------------------------------------------------------------------
# The tree, with the 大事记 handed to the chronicle reader


def _tree(nodes: list[Node], cleaned: Cleaned, doc: Document, year: int | None) -> list[Section]:
    out_nodes: list[Node] = []
    chronicles: dict[int, list[Line]] = {}  # id(node) → the lines its reader gets
    k = 0
    while k < len(nodes):
        node = nodes[k]
        out_nodes.append(node)
        k += 1
        if not _CHRONICLE.match(node.title.replace(" ", "")):
            continue
        current = node
        chronicles[id(current)] = list(node.body)
        while k < len(nodes) and (nodes[k].level > node.level or _chronicle_heading(nodes[k].title)):
            sub = nodes[k]
            if sub.level == node.level + 1 and not _chronicle_heading(sub.title):
                current = sub  # a period: 公元1912年～公元1949年
                out_nodes.append(sub)
                chronicles[id(current)] = list(sub.body)
            else:
                chronicles[id(current)] += [sub.line] + sub.body
            k += 1
    wrapped = is_hard_wrapped([ln for n in nodes for ln in n.body])
    top: list[Section] = []
    stack: list[Section] = []
    ranks: list[int] = []
    for node in out_nodes:
        section = Section(node.title, node.level, line=node.line.number, source_file=node.line.file)
        if node.untitled:
            section.title = "（无标题）"
        while stack and ranks[-1] >= node.level:
            stack.pop()
            ranks.pop()
        # Levels count the headings actually open: 一、 under 第一节 is one below it
        # even where the text skips 目.
        section.level = stack[-1].level + 1 if stack else 1
        (stack[-1].children if stack else top).append(section)
        stack.append(section)
        ranks.append(node.level)
        section.page = cleaned.page(node.line)
        if id(node) in chronicles:
            if not any(ln.text.strip() for ln in chronicles[id(node)]):
                continue  # a 大事记 heading straight over its first period
            entries, subsections = read_chronicle(chronicles[id(node)], doc, year=year, level=node.level + 1)
            section.entries += entries
            section.children += subsections
            continue
        if _FANLI.match(node.title.replace(" ", "")):
            node.title = section.title = "凡例"
        entry = make_entry(node, cleaned, EntryKind.TEXT, wrapped)
        if entry is not None:
            if section.title == "凡例":
                entry.paragraphs = _fanli_items(entry.paragraphs)
            section.entries.append(entry)
    return top


def _chronicle_heading(title: str) -> bool:
    """A heading the chronicle reader reads itself: a year (1949年) or a dynasty (宋)."""
    return bool(_YEAR_HEADING.match(title)) or headings.is_dynasty(title)


def _fanli_items(paragraphs: list[str]) -> list[str]:
    """Split 凡例 paragraphs into items: 一、… or 一… after a full stop starts one."""
    items: list[str] = []
    for p in paragraphs:
        items += [part for part in re.split(rf"(?<=。)(?=一(?:、|[^{headings.NUMERALS}年月日个些切]))", p) if part]
    return items

