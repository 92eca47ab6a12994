"""Page and web furniture: what a printer, an e-book converter or a web page put
around the text, recognised so that no parser glues it into an entry.

Printed page numbers (``P. 20``, ``- 20 -``, ``第20页``, a bare number line between
pages, Kanripo's ``<pb:…>`` page breaks) are not text but they are worth keeping:
they become the page of the lines they head (or, printed at the foot of the page
when text comes before the first of them, of the lines above them). Everything else is dropped:
running heads, navigation bars, ``来源：``/``发布时间`` lines, ``字号`` bars, share and
print buttons, ``# source:`` comments and mandoku ``#+`` headers. A trailing ``¶``
(mandoku's line mark) is taken off the line it ends.

Dropped lines become blank lines, so line numbers (and therefore citations) stay
those of the file; every parser already skips blank lines. Text that a converter
interleaved from two columns cannot be put back in order from the text alone: it is
reported as a warning and left as it is.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .text import Line, Source

# Printed page numbers standing alone on a line.
_PAGE_FORMS = [
    re.compile(r"^[Pp]\s*\.?\s*(\d{1,4})$"),  # P. 20, P20, p.20
    re.compile(r"^[-—–－]\s*(\d{1,4})\s*[-—–－]$"),  # - 20 -, — 20 —
    re.compile(r"^第\s*(\d{1,4})\s*[页頁](?:\s*[,，/]?\s*共\s*\d{1,4}\s*[页頁])?$"),  # 第20页, 第20页 共300页
    re.compile(r"^(\d{1,4})\s*/\s*\d{1,4}$"),  # 20 / 300, a PDF viewer's pager
    re.compile(r"^·\s*(\d{1,4})\s*·$"),  # ·20·
]
_HEAD_FORM = re.compile(r"^(?:[Pp]\s*\.?\s*\d|第\s*\d+\s*[页頁]|<pb:)")
_BARE_NUMBER = re.compile(r"^(\d{1,4})$")
# Kanripo / mandoku page break: <pb:KR2k0014_WYG_001-1a>; the leaf number is the page.
_PAGE_BREAK = re.compile(r"^<pb:[^>]*?(\d+)([ab]?)>$")

_COMMENT = re.compile(r"^#\s*source\s*:|^#\+[A-Z_]+\s*:|^#\s*-\*-.*-\*-\s*$")
_SOURCE_LINE = re.compile(
    r"^(?:信息|文章|稿件|新闻)?来源\s*[:：]|^(?:发布|更新|发稿)(?:时间|日期)\s*[:：]|^(?:作者|编辑|责任编辑|责编)\s*[:：].{0,20}$"
)
# A date line of a web page: 2023-05-12 09:30 or 2023年05月12日 10:20:01, maybe with 来源.
_DATE_LINE = re.compile(
    r"^(?:(?:发布)?时间\s*[:：]\s*)?(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{4}年\d{1,2}月\d{1,2}日\s*\d{1,2}:\d{2}(?::\d{2})?)"
    # Only web words may follow: an ISO date that opens a sentence is a chronicle item.
    r"(?:\s+(?:来源|作者|编辑|浏览|点击|阅读|字号|发布)\S*.{0,40})?$"
)
_TOOL_BAR = re.compile(
    r"字号\s*[:：]?\s*【?\s*大\s*中\s*小|【\s*字体\s*[:：]|分享到|打印本页|关闭窗口|【\s*打印\s*】|【\s*关闭\s*】"
    r"|^(?:返回顶部|收藏本页|加入收藏|设为首页|[【\[]?(?:打印|关闭)[】\]]?)$|^扫一扫"
    r"|^(?:上一篇|下一篇|浏览次数|阅读次数|点击数|访问量)\s*[:：]|版权所有|ICP备|网站标识码|^主办单位\s*[:：]"
    r"|^(?:当前位置|您的位置|你的位置|您现在的位置)\s*[:：]"
)
_NAV_WORD = re.compile(r"^[\u4e00-\u9fff]{2,6}$")
_PILCROW = re.compile(r"¶\s*$")


@dataclass
class Cleaned:
    """Lines with their furniture blanked out, and the printed page of each kept line."""

    lines: list[Line]
    pages: dict[tuple[str, int], int] = field(default_factory=dict)  # (file, line) → page
    dropped: list[tuple[Line, str]] = field(default_factory=list)  # furniture line, what it was

    def page(self, line: Line | None) -> int | None:
        if line is None:
            return None
        return self.pages.get((line.file, line.number))


def page_number(text: str) -> int | None:
    """Return the page a line prints when it is nothing but a page number (or a ``<pb:>``)."""
    text = text.strip()
    for pattern in _PAGE_FORMS:
        m = pattern.match(text)
        if m:
            return int(m.group(1))
    m = _PAGE_BREAK.match(text)
    return int(m.group(1)) if m else None


def furniture_kind(text: str) -> str | None:
    """Return what a stripped line is if it is furniture other than a page number, else None."""
    if not text:
        return None
    if _COMMENT.match(text):
        return "comment"
    if _TOOL_BAR.search(text):
        return "web tool bar"
    if _SOURCE_LINE.match(text) and len(text) <= 80:
        return "source line"
    if _DATE_LINE.match(text):
        return "date line"
    if is_navigation_bar(text):
        return "navigation bar"
    return None


def is_navigation_bar(text: str) -> bool:
    """A row of short menu words: 首页 要闻 政务公开 办事服务 互动交流."""
    words = [w for w in re.split(r"[\s|｜丨·•/>]+", text) if w]
    if len(words) < 4 or not all(_NAV_WORD.match(w) for w in words):
        return False
    return "首页" in words or "网站首页" in words or len(words) >= 6


def clean(lines: list[Line], warn=None) -> Cleaned:
    """Blank out the furniture of ``lines`` (one file or several) and map their pages.

    ``warn(message, line)`` is called for text that looks interleaved from two columns.
    """
    texts = [_PILCROW.sub("", ln.text).rstrip() for ln in lines]
    out = [Line(ln.file, ln.number, t) for ln, t in zip(lines, texts, strict=True)]
    result = Cleaned(out)
    page_at: dict[int, int] = {}
    for i, ln in enumerate(out):
        text = ln.text.strip()
        if ln.text.startswith("\t"):
            continue  # a table cell of an office export, never furniture
        page = page_number(text)
        if page is None and _BARE_NUMBER.match(text) and _between_pages(out, i, page_at):
            page = int(text)
        if page is not None:
            page_at[i] = page
            result.dropped.append((lines[i], "page number"))
            continue
        what = furniture_kind(text)
        if what:
            result.dropped.append((lines[i], what))
            page_at.setdefault(i, -1)  # not a page, but blanked below
    heads = _running_heads(out, page_at)
    for i, ln in enumerate(out):
        if ln.text.strip() in heads and i not in page_at and _near_page(i, page_at):
            result.dropped.append((lines[i], "running head"))
            page_at[i] = -1
    for i in page_at:
        out[i] = Line(out[i].file, out[i].number, "")
    # A page number heads its page (a <pb:>, a flipbook's P. 20) or stands at its foot
    # (- 20 - under the text). Told apart by the start of the text: when text comes
    # before the first number, numbers are footers and name the page above them.
    markers = [i for i, p in page_at.items() if p >= 0]
    first_text = next((i for i, ln in enumerate(out) if ln.text.strip() and i not in page_at), None)
    footers = bool(markers) and first_text is not None and first_text < min(markers)
    # P. 20, 第20页 and <pb:> are what e-book and flipbook exports put at a page's head.
    footers = footers and not any(_HEAD_FORM.match(_PILCROW.sub("", lines[i].text).strip()) for i in markers)
    order = range(len(out) - 1, -1, -1) if footers else range(len(out))
    page, file = None, None
    for i in order:
        ln = out[i]
        if ln.file != file:
            page, file = None, ln.file
        if page_at.get(i, -1) >= 0:
            page = page_at[i]
        elif page is not None and ln.text.strip():
            result.pages[ln.file, ln.number] = page
    if warn is not None:
        at = interleaved_columns(out)
        if at is not None:
            warn("text looks interleaved from two printed columns; read it against the original", at)
    result.dropped.sort(key=lambda d: (d[0].file, d[0].number))
    return result


def clean_sources(sources: list[Source], warn=None) -> Cleaned:
    return clean([ln for s in sources for ln in s.lines()], warn)


def _between_pages(lines: list[Line], i: int, page_at: dict[int, int]) -> bool:
    """Whether a bare number line is a page number: set off by blank lines, or next in a run."""
    number = int(lines[i].text.strip())
    last = max((p for j, p in page_at.items() if p >= 0 and j < i), default=None)
    if last is not None and 0 < number - last <= 2:
        return True
    before = lines[i - 1].text.strip() if i > 0 else ""
    after = lines[i + 1].text.strip() if i + 1 < len(lines) else ""
    return not before and not after and 0 < number


def _near_page(i: int, page_at: dict[int, int], reach: int = 2) -> bool:
    return any(page_at.get(j, -1) >= 0 for j in range(i - reach, i + reach + 1) if j != i)


def _running_heads(lines: list[Line], page_at: dict[int, int]) -> set[str]:
    """Return the short lines printed again beside three page numbers or more."""
    seen: Counter[str] = Counter()
    for j, ln in enumerate(lines):
        t = ln.text.strip()
        if t and len(t) <= 30 and j not in page_at and _near_page(j, page_at):
            seen[t] += 1
    return {t for t, n in seen.items() if n >= 3}


_HALVES = re.compile(r"^(?P<a>\S.{7,}?[\u4e00-\u9fff，、])\s{3,}(?P<b>[\u4e00-\u9fff].{7,})$")


def interleaved_columns(lines: list[Line], run: int = 5) -> Line | None:
    """Return the first line of a run of lines that each hold two columns of prose side by side."""
    count, first = 0, None
    for ln in lines:
        m = _HALVES.match(ln.text.strip())
        prose = m and all(len(re.findall(r"[\u4e00-\u9fff]", m[k])) >= 8 for k in "ab")
        if prose:
            count, first = count + 1, first or ln
            if count >= run:
                return first
        elif ln.text.strip():
            count, first = 0, None
    return None


def strip_sources(sources: list[Source], warn=None) -> tuple[list[Source], Cleaned]:
    """Return the sources with their furniture blanked (same line numbers), and the pages."""
    cleaned = clean_sources(sources, warn)
    stripped, at = [], 0
    for source in sources:
        count = source.text.count("\n") + 1
        text = "\n".join(ln.text for ln in cleaned.lines[at : at + count])
        stripped.append(Source(source.name, text, source.encoding))
        at += count
    return stripped, cleaned
