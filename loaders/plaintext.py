"""Any UTF-8 text as one volume: paragraphs grouped under the headings found in it.

The fallback for texts no other parser knows (``--kind text``). A heading is a short
line that does not read as a sentence: ``第X章 …`` / ``第X节 …``, a numbered
``一、…``, or any short line without sentence punctuation. Each heading opens a
level-1 section holding one entry of kind ``text``; text before the first heading
goes into an untitled one. Only an empty text is refused.
"""

from __future__ import annotations

import re

from .document import Document, Entry, EntryKind, LoaderError, Section
from .text import Line, Source, join_paragraphs

UNTITLED = "（无标题）"
_MAX_HEADING = 30
_NUMBERED = re.compile(r"^(?:第[一二三四五六七八九十百零〇\d]+[章节篇部分]|[一二三四五六七八九十]+、)")
# Punctuation found inside or at the end of sentences, not of headings.
_ARTEFACT = re.compile(r"\[bookmark: [^\]]*\]")  # word-processor anchors
_SENTENCE = re.compile(r"[。！？!?；;，,：:]")


def parse(sources: list[Source], *, year_covered: int | None = None) -> Document:
    """Return the text of the sources as sections of paragraphs under their headings."""
    sections: list[Section] = []
    runs: list[list[Line]] = []
    for source in sources:
        for line in source.lines():
            line = Line(line.file, line.number, _ARTEFACT.sub("", line.text).rstrip())
            text = re.sub(r"\s+", " ", line.text.strip())
            if not text:
                continue
            # Tab-indented lines are table cells or boxed text in office exports.
            if not line.text.startswith("\t") and is_heading(text):
                sections.append(Section(text, level=1, line=line.number, source_file=line.file))
                runs.append([line])
                continue
            if not sections:
                sections.append(Section(UNTITLED, level=1, line=line.number, source_file=line.file))
                runs.append([])
            runs[-1].append(line)
    if not sections:
        raise LoaderError(
            "no text found: the file holds only blank lines", file=sources[0].name if sources else ""
        )
    for section, run in zip(sections, runs, strict=True):
        untitled = section.title == UNTITLED
        body = run if untitled else run[1:]  # a titled run starts with its heading line
        if not body:
            continue
        entry = Entry(
            title=section.title,
            kind=EntryKind.TEXT,
            source_file=run[0].file,
            line_start=run[0].number,
            line_end=run[0].number,
            paragraphs=_paragraphs(body),
            untitled=untitled,
        )
        entry.end_at(run[-1])
        section.entries.append(entry)
    return Document(kind="text", sections=sections)


def _paragraphs(lines: list[Line]) -> list[str]:
    """Return the lines as paragraphs, re-joining those a page break cut.

    Tab-indented lines (cells of an exported table) are never joined: a cell does
    not continue in the next one.
    """
    out: list[str] = []
    run: list[tuple[str, int, int]] = []
    for line in lines:
        if line.text.startswith("\t"):
            out += [p for p, _, _ in join_paragraphs(run)] + [line.text.strip()]
            run = []
        else:
            run.append((line.text.strip(), line.number, line.number))
    return out + [p for p, _, _ in join_paragraphs(run)]


def is_heading(text: str) -> bool:
    """Whether a stripped line reads as a heading rather than a sentence."""
    if len(text) > _MAX_HEADING or len(re.findall(r"[\u4e00-\u9fff]", text)) < 2:
        return False
    if not re.match(r"[\u4e00-\u9fff（(“《【]", text) or re.search(r"\s(?:摄|供图)$", text):
        return False  # list items (- 主任 …), numbers, photo credits
    if _NUMBERED.match(text):
        return not text.endswith(("。", "；", ";"))
    return not _SENTENCE.search(text) and text[-1] not in "”’）)"
