"""Any UTF-8 text as one volume: paragraphs grouped under the headings found in it.

The fallback for texts no other parser knows (``--kind text``), and the outline
builder the gazetteer kind shares. Headings come from ``loaders.headings``: markdown
``#`` lines (then nothing else is a heading), ``第X编/章/节``, ``卷X``, ``一、``/``（一）``,
and short title-like lines. A title-like line that stands in a run of such lines (a
committee list, a slogan, a poem) is text, not a heading. The forms' ranks give the
section levels; a title-like line opens a section one level below the open one.
Each section holds one entry of kind ``text`` with the paragraphs under its heading;
text before the first heading goes into an untitled one. Only an empty text is
refused. Page and web furniture is taken out first (``loaders.furniture``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import headings
from .document import Document, Entry, EntryKind, LoaderError, Section
from .furniture import Cleaned, clean_sources
from .text import Line, Source, is_hard_wrapped, join_paragraphs, join_wrapped

UNTITLED = "（无标题）"
_ARTEFACT = re.compile(r"\[bookmark: [^\]]*\]")  # word-processor anchors
# A run-in heading is text too: its paragraph continues after the heading sentence.
_LIST_LINE = re.compile(r"[\u4e00-\u9fff）)]\s+[\u4e00-\u9fff（(]")


def parse(sources: list[Source], *, year_covered: int | None = None) -> Document:
    """Return the text of the sources as sections of paragraphs under their headings."""
    doc = Document(kind="text")
    cleaned = clean_sources(sources, doc.warn)
    nodes = outline(cleaned.lines)
    if not nodes:
        raise LoaderError(
            "no text found: the file holds only blank lines", file=sources[0].name if sources else ""
        )
    doc.sections = assemble(nodes, cleaned, EntryKind.TEXT)
    return doc


def is_heading(text: str) -> bool:
    """Whether a stripped line reads as a heading rather than a sentence."""
    return headings.is_title_like(text)


@dataclass
class Node:
    """A heading (or the untitled start) and the lines under it, before the tree is built."""

    title: str
    level: int
    line: Line
    body: list[Line] = field(default_factory=list)
    untitled: bool = False
    rest: str = ""  # a run-in heading's first paragraph
    form: str = ""


def outline(
    lines: list[Line], *, titles: bool = True, found: dict | None = None, extra=None
) -> list[Node]:
    """Return the headings of ``lines`` in order, each with the body lines under it.

    ``found``: headings the caller already knows (line index → Heading), used instead of
    looking for them (a classical text's headings are told by their indent).
    ``extra(text)``: a Heading for a line the kind knows as one (a 志's 凡例, 大事记), or None.
    """
    lines = [Line(ln.file, ln.number, _ARTEFACT.sub("", ln.text).rstrip()) for ln in lines]
    text = [ln.text.strip() for ln in lines]
    markdown = {i: h for i, t in enumerate(text) if (h := headings.markdown(t)) and not lines[i].text[:1].isspace()}
    if found is not None:
        pass
    elif markdown:
        found = markdown
    else:
        found = {}
        for i, t in enumerate(text):
            if not t or lines[i].text.startswith("\t"):
                continue  # tab-indented lines are table cells or boxed text
            h = (extra(t) if extra else None) or headings.word_form(t) or headings.numbered(t)
            if h is not None and h.rest:
                h = None  # a numbered point whose paragraph runs on: an item, not a heading
            if h is None and titles and _standalone_title(text, i):
                h = headings.Heading(headings.tidy(t), headings.RANK_TITLE, "title")
            if h is not None:
                found[i] = h
    levels = headings.assign_levels([h.rank for h in found.values() if h.form != "title"])
    return _nodes(lines, text, found, levels)


def _nodes(lines: list[Line], text: list[str], found: dict, levels: dict[int, int]) -> list[Node]:
    nodes: list[Node] = []
    for i, ln in enumerate(lines):
        h = found.get(i)
        if h is not None:
            if h.form == "title":
                # One below the structured heading open here (or at the top).
                open_levels = [n.level for n in nodes if n.form != "title" and not n.untitled]
                level = open_levels[-1] + 1 if open_levels else 1
            else:
                level = levels[h.rank]
            nodes.append(Node(h.title, level, ln, rest=h.rest, form=h.form))
        elif text[i]:
            if not nodes:
                nodes.append(Node(UNTITLED, 1, ln, untitled=True))
            nodes[-1].body.append(ln)
        elif nodes:
            nodes[-1].body.append(ln)  # blank lines mark paragraphs in wrapped text
    return nodes


def _standalone_title(text: list[str], i: int) -> bool:
    """A title-like line set apart: not one of a run of short lines (a slogan, a poem),
    not a list line whose fields are padded apart (主　任　张大明)."""
    t = text[i]
    if not headings.is_title_like(t) or _LIST_LINE.search(t):
        return False
    for j in (i - 1, i + 1):
        if 0 <= j < len(text) and text[j]:
            other = text[j]
            structured = headings.word_form(other) or headings.numbered(other) or headings.markdown(other)
            if not structured and headings.is_title_like(other) and not _LIST_LINE.search(other):
                return False
    return True


def assemble(nodes: list[Node], cleaned: Cleaned | None, kind: str) -> list[Section]:
    """Build the section tree from ``nodes``; each section's text becomes one entry."""
    wrapped = is_hard_wrapped([ln for n in nodes for ln in n.body])
    top: list[Section] = []
    stack: list[Section] = []
    ranks: list[int] = []
    for node in nodes:
        section = Section(node.title, node.level, line=node.line.number, source_file=node.line.file)
        while stack and ranks[-1] >= node.level:
            stack.pop()
            ranks.pop()
        # Levels count the headings actually open: 一、 under 第一节 is one below it
        # even where the text skips 目.
        section.level = stack[-1].level + 1 if stack else 1
        (stack[-1].children if stack else top).append(section)
        stack.append(section)
        ranks.append(node.level)
        entry = make_entry(node, cleaned, kind, wrapped)
        if entry is not None:
            section.entries.append(entry)
    return top


def make_entry(node: Node, cleaned: Cleaned | None, kind: str, wrapped: bool) -> Entry | None:
    """Return the entry of the text under a heading, or None when there is none."""
    body = [ln for ln in node.body if ln.text.strip()]
    if not body and not node.rest:
        return None
    span = [node.line] + body if not node.untitled else body
    paragraphs = ([node.rest] if node.rest else []) + (paragraphs_of(node.body, wrapped) if body else [])
    entry = Entry(
        title=node.title,
        kind=kind,
        source_file=span[0].file,
        line_start=span[0].number,
        line_end=span[-1].number,
        paragraphs=paragraphs,
        untitled=node.untitled,
        page=cleaned.page(span[0]) if cleaned else None,
    )
    entry.end_at(span[-1])
    return entry


def paragraphs_of(lines: list[Line], wrapped: bool = False) -> list[str]:
    """Return the lines as paragraphs, re-joining those a page break or a wrap cut.

    Tab-indented lines (cells of an exported table) are never joined: a cell does
    not continue in the next one.
    """
    out: list[str] = []
    run: list[Line] = []

    def flush():
        if wrapped:
            out.extend(p for p, _, _ in join_wrapped(run))
        else:
            out.extend(p for p, _, _ in join_paragraphs([(ln.text.strip(), ln.number, ln.number) for ln in run if ln.text.strip()]))
        run.clear()

    for line in lines:
        # A cell of an exported table, or a line set at the right margin or centred (a
        # signature, a date, a part number): a paragraph of its own, never joined.
        # So is a line of a list whose fields are set apart by spaces (官职　姓名　籍贯).
        stripped = line.text.strip()
        apart = (
            line.text.startswith("\t")
            or (len(line.text) - len(line.text.lstrip(" ")) >= 8 and len(stripped) <= 20)
            or (bool(_LIST_LINE.search(stripped)) and not re.search(r"[。，；！？]", stripped) and len(stripped) <= 40)
        )
        if apart and stripped:
            flush()
            out.append(line.text.strip())
        else:
            run.append(line)
    flush()
    return out
