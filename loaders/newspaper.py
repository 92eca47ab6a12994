"""A newspaper page: articles with headlines, bylines, captions and source tags.

An article starts with a block of one to three short lines followed by a byline
(``本报记者 许廷合 通讯员 王若晖``) or by a paragraph opening with a dateline
(``本报讯(记者 …)``, ``12月16日,``, ``日前,``). One line is the headline; two lines
are a headline broken over two lines of the column (re-joined); three are kicker,
headline and subtitle.

A paragraph ending with ``许廷合 摄`` (or followed by a line holding only the credit)
is a photo caption: it is taken out of the text it interrupts, whose halves are
re-joined. A caption with its own dateline and a ``图为…`` description, or standing
after the last article closed with its source tag ``(魏宣)``, is a photo-news item:
an article of its own, titled with its first clause (marked untitled, as that title
is made up).

Dates: an article's date is the first ``12月17日`` in its opening paragraph. The year
is not printed with the datelines; it comes from the ``year`` argument, or else from
the year the text itself names most often (``2022年``). Document.date stays None: the
page's own date is not in the text (the manifest gives the issue's month).
"""

from __future__ import annotations

import re
from collections import Counter

from .document import Caption, Document, Entry, EntryKind, LoaderError, Section
from .furniture import clean_sources
from .text import Line, Source, is_complete, join_paragraphs, squeeze

SECTION_TITLE = "版面"

_CJK = "\u4e00-\u9fff"
_NAME = rf"[{_CJK}·]{{2,4}}"
_ROLE = r"(?:本报)?(?:记者|通讯员|特约记者|实习生)"
# 本报记者 许廷合 通讯员 王若晖
_BYLINE = re.compile(rf"^(?:{_ROLE}\s*{_NAME}(?:\s+{_NAME})*\s*)+$")
# 本报讯(记者 许廷合 通讯员 丁姜岚)12月17日上午,…
_LEAD_BYLINE = re.compile(r"^本报讯\s*[(（](?P<names>[^)）]{2,40})[)）]\s*")
_DATELINE = re.compile(r"^(?:本报讯|\d{1,2}月\d{1,2}日|日前|近日|连日来|本月)")
_DATE = re.compile(r"(?P<m>\d{1,2})月(?P<d>\d{1,2})日")
_YEAR = re.compile(r"((?:19|20)\d\d)年")
# 12月17日,…会议召开。侯聪 摄   (the credit may also stand on a line of its own)
_CREDIT = re.compile(rf"(?:^|(?<=[。！？”）)\s]))\s*(?P<credit>{_NAME}(?:\s+{_NAME})*)\s*(?:摄|供图)$")
_CREDIT_LINE = re.compile(rf"^(?P<credit>{_NAME}(?:\s+{_NAME})*)\s*(?:摄|供图)$")
# (魏宣): the agency a short item came from, at its end
_SOURCE_TAG = re.compile(rf"[(（](?P<tag>[{_CJK}]{{2,4}})[)）]$")
_MAX_HEADLINE = 40


def parse(sources: list[Source], year: int | None = None, *, year_covered: int | None = None) -> Document:
    """Return the page as one section of articles; ``year`` (else the text's, else
    ``year_covered``) dates the datelines."""
    noticed = Document(kind="newspaper")  # furniture warnings, until the document is made
    lines = [line for line in clean_sources(sources, noticed.warn).lines if line.text.strip()]
    name = sources[0].name if sources else ""
    year = year or _year_named_most(lines) or year_covered
    articles = _articles(lines)
    if not articles:
        raise LoaderError(
            "no article found: expected a headline followed by a byline or a dateline", file=name
        )
    for article in articles:
        article.date = _date(article, year)
    section = Section(SECTION_TITLE, level=1, entries=articles, line=lines[0].number, source_file=name)
    doc = Document(kind="newspaper", sections=[section], warnings=noticed.warnings)
    if not year:
        doc.warn("no year in the text: article dates left empty", lines[0])
    return doc


class _Article:
    """An article being read: its entry, its text lines, and whether it has ended."""

    def __init__(self, entry: Entry):
        self.entry = entry
        self.lines: list[tuple[str, int, int]] = []
        self.closed = False


def _articles(lines: list[Line]) -> list[Entry]:
    out: list[_Article] = []
    current: _Article | None = None
    orphan: list[Line] = []  # text before the first headline
    i = 0
    while i < len(lines):
        text = lines[i].text.strip()
        headline = _headline_block(lines, i) if _may_start(current) else 0
        if headline:
            current = _Article(_headed_entry(lines[i : i + headline]))
            out.append(current)
            i += headline
            continue
        credit, used = _caption_credit(lines, i)
        if credit:
            caption = _CREDIT.sub("", text).strip() if used == 1 else text
            if _DATELINE.match(caption) and ("图为" in caption or current is None or current.closed):
                # A photo-news item: the caption is the story.
                current = _Article(_photo_entry(lines[i], caption, credit, lines[i + used - 1]))
                current.closed = True
                out.append(current)
            elif current is not None:
                current.entry.captions.append(Caption(caption, credit, lines[i].number))
                current.entry.end_at(lines[i + used - 1])
            else:
                orphan.append(lines[i])
            i += used
            continue
        if current is None:
            orphan.append(lines[i])
        else:
            _add_text(current, lines[i])
        i += 1
    entries = [article.entry for article in out]
    if orphan and entries:
        # The page opens inside an article whose headline is on another page: keep it.
        lead = Entry("（标题缺失）", EntryKind.ARTICLE, orphan[0].file, orphan[0].number, orphan[0].number)
        lead.end_at(orphan[-1])
        lead.paragraphs = [p for p, _, _ in join_paragraphs(_text_lines(orphan))]
        lead.untitled = True
        entries.insert(0, lead)
    for article in out:
        if not article.entry.untitled:
            article.entry.paragraphs = [p for p, _, _ in join_paragraphs(article.lines)]
    return entries


def _may_start(current: _Article | None) -> bool:
    """Whether a new article may start here: at the top, or after a finished sentence."""
    if current is None or current.closed:
        return True
    return bool(current.lines) and is_complete(current.lines[-1][0])


def _headline_block(lines: list[Line], i: int) -> int:
    """Return how many lines from ``i`` are a headline block, or 0."""
    run = 0
    while run < 4 and i + run < len(lines) and _headline_like(lines[i + run].text):
        run += 1
    for size in range(run, 0, -1):
        after = lines[i + size].text.strip() if i + size < len(lines) else ""
        if _BYLINE.match(after) or _DATELINE.match(after):
            return size
    return 0


def _headline_like(text: str) -> bool:
    text = text.strip()
    return (
        0 < len(text) <= _MAX_HEADLINE
        # A headline may end in a closing quote (寨河变“幸福河”), never in a full stop.
        and text.rstrip("”’」』）)》")[-1:] not in set("。！？!?；;：:，,、")
        and not _BYLINE.match(text)
        and not _CREDIT_LINE.match(text)
        and not _SOURCE_TAG.fullmatch(text)
    )


def _headed_entry(block: list[Line]) -> Entry:
    texts = [line.text.strip() for line in block]
    kicker = subtitle = ""
    if len(texts) >= 3:
        kicker, texts, subtitle = texts[0], texts[1:-1], texts[-1]
    entry = Entry(
        title="".join(texts),
        kind=EntryKind.ARTICLE,
        source_file=block[0].file,
        line_start=block[0].number,
        line_end=block[0].number,
        subtitle=subtitle,
        kicker=kicker,
    )
    entry.end_at(block[-1])
    return entry


def _photo_entry(line: Line, caption: str, credit: str, last: Line) -> Entry:
    # Title: the first clause after the dateline, e.g. 魏都区举行…募捐仪式.
    clauses = [c for c in re.split(r"[,，。]", caption) if c and not _DATE.fullmatch(c.strip())]
    entry = Entry(
        title=clauses[0] if clauses else caption[:30],
        kind=EntryKind.ARTICLE,
        source_file=line.file,
        line_start=line.number,
        line_end=line.number,
        paragraphs=[caption],
        authors=credit.split("、"),
        captions=[Caption(caption, credit, line.number)],
        untitled=True,
    )
    entry.end_at(last)
    return entry


def _caption_credit(lines: list[Line], i: int) -> tuple[str, int]:
    """Return (photographers, lines used) if line ``i`` is a photo caption, else ("", 0).

    Several photographers are joined with 、 (Caption.credit is one string).
    """
    text = lines[i].text.strip()
    if _CREDIT_LINE.match(text):
        return "", 0  # a credit alone belongs to the caption before it
    if (match := _CREDIT.search(text)) and match.start() > 0:
        return "、".join(_names(match["credit"])), 1
    if i + 1 < len(lines) and (match := _CREDIT_LINE.match(lines[i + 1].text.strip())):
        return "、".join(_names(match["credit"])), 2
    return "", 0


def _add_text(article: _Article, line: Line) -> None:
    text = line.text.strip()
    entry = article.entry
    entry.end_at(line)
    if not article.lines and not entry.authors and _BYLINE.match(text):
        entry.authors = _names(re.sub(_ROLE, " ", text))
        return
    if not article.lines and (lead := _LEAD_BYLINE.match(text)):
        entry.authors = _names(re.sub(_ROLE, " ", lead["names"]))
        text = text[lead.end() :]
    if tag := _SOURCE_TAG.search(text):
        # (魏宣) ends an article, alone on its line or after the last sentence.
        entry.source_tag = tag["tag"]
        text = text[: tag.start()].rstrip()
        article.closed = True
    if text:
        article.lines.append((text, line.number, line.number))


def _names(text: str) -> list[str]:
    """Return the names in a byline, each with alignment padding removed."""
    return [squeeze(name) for name in text.split() if name.strip()]


def _text_lines(lines: list[Line]) -> list[tuple[str, int, int]]:
    return [(line.text.strip(), line.number, line.number) for line in lines]


def _year_named_most(lines: list[Line]) -> int | None:
    years = Counter(int(y) for line in lines for y in _YEAR.findall(line.text))
    return years.most_common(1)[0][0] if years else None


def _date(entry: Entry, year: int | None) -> str | None:
    opening = entry.paragraphs[0] if entry.paragraphs else ""
    match = _DATE.search(opening)
    if not match or not year:
        return None
    month, day = int(match["m"]), int(match["d"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"
