"""Headings in any of the forms Chinese local texts print them, and their levels.

A heading is recognised from one line: markdown ``#``…``######``; ``第X编/卷/章/类/节/辑/目``
(and the classical ``卷X``); numbered ``一、`` and ``（一）``; a title-like short line. Each
form has a rank (编 and 卷 above 章 and 类, above 节 and 辑, above 目, above ``一、``,
above ``（一）``); ``assign_levels`` turns the ranks a document uses into levels 1, 2, …
so a text that starts at 章 has its 章 at level 1.

A 类目 printed down the page, one character a line (区/情/概/况), is read by
``vertical_run``. Flush-left dynasty headings (宋, 元, 明) belong to the chronicle reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMERALS = "一二三四五六七八九十百千零〇两兩"
_NUM = rf"[{NUMERALS}\d]+"

# Ranks: smaller is higher. Markdown levels use their own ranks (1–6), which are never
# mixed with the word forms in one document (a markdown text's 第一卷 is a # line).
RANK_VOLUME = 11  # 第X编, 第X卷, 卷X
RANK_CHAPTER = 12  # 第X章, 第X类
RANK_SECTION = 13  # 第X节, 第X辑
RANK_ITEM = 14  # 第X目
RANK_NUMBERED = 15  # 一、
RANK_PAREN = 16  # （一）
RANK_TITLE = 17  # a short title-like line

_MARKDOWN = re.compile(r"^(#{1,6})\s*(\S.*?)\s*#*$")
_WORD_FORM = re.compile(rf"^第\s*{_NUM}\s*(?P<word>部分|[编編卷巻章类類节節辑輯目篇部])")
_JUAN = re.compile(rf"^[卷巻]\s*(?:{_NUM}|之{_NUM})(?:\s|$|[上中下])")
# Traditional characters of the division words, read as their simplified forms.
_SIMPLIFIED = str.maketrans("編巻類節輯", "编卷类节辑")
_NUMBERED = re.compile(rf"^[{NUMERALS}]+\s*、")
_PAREN = re.compile(rf"^[（(]\s*[{NUMERALS}]+\s*[）)]")
_WORD_RANK = {
    "编": RANK_VOLUME,
    "卷": RANK_VOLUME,
    "篇": RANK_VOLUME,
    "部": RANK_VOLUME,
    "部分": RANK_VOLUME,
    "章": RANK_CHAPTER,
    "类": RANK_CHAPTER,
    "节": RANK_SECTION,
    "辑": RANK_SECTION,
    "目": RANK_ITEM,
}
WORD_FORMS = set(_WORD_RANK) | {"卷"}
_SENTENCE = re.compile(r"[。！？!?；;，,：:]")
_SENTENCE_END = re.compile(r"[。！？!?；;]")
MAX_TITLE = 30


@dataclass(frozen=True)
class Heading:
    title: str  # as printed, markdown marks and padding taken out
    rank: int  # see RANK_*; 1–6 for markdown
    form: str  # markdown, 编 卷 章 类 节 辑 目 篇 部, numbered, paren, title
    rest: str = ""  # a run-in heading's paragraph text after its heading sentence


def tidy(text: str) -> str:
    """Collapse the padding inside a heading: 卷　一 → 卷一, 卷　十一 → 卷十一, 第三编　经　济 → 第三编 经济."""
    tokens = re.sub(r"\s+", " ", text.strip()).split(" ")
    out: list[str] = []
    glue = False  # the previous token was one character spread out by padding
    for token in tokens:
        if out and glue and (len(token) == 1 or re.fullmatch(rf"[{NUMERALS}]+", token)):
            out[-1] += token
        else:
            out.append(token)
        glue = len(token) == 1
    return " ".join(out)


def markdown(text: str) -> Heading | None:
    m = _MARKDOWN.match(text.strip())
    if not m:
        return None
    return Heading(tidy(m.group(2)), len(m.group(1)), "markdown")


def numbered(text: str) -> Heading | None:
    """Read ``一、…`` and ``（一）…``, standalone or run into their paragraph.

    A run-in heading is the first sentence of a paragraph: ``（一）经济运行总体平稳。过去一年…``
    gives the heading ``（一）经济运行总体平稳`` and the rest as text. A standalone one is a
    short line that does not end a sentence.
    """
    text = text.strip()
    paren = _PAREN.match(text)
    if not paren and not _NUMBERED.match(text):
        return None
    rank, form = (RANK_PAREN, "paren") if paren else (RANK_NUMBERED, "numbered")
    m = _SENTENCE_END.search(text)
    if m is None:
        if len(text) > 2 * MAX_TITLE:
            return None
        return Heading(text, rank, form)
    head, rest = text[: m.start()], text[m.end() :].strip()
    if not rest or len(head) > 2 * MAX_TITLE:
        # A numbered sentence on its own (一、…。) is a list item, not a heading.
        return None
    return Heading(head, rank, form, rest)


def word_form(text: str) -> Heading | None:
    """Read 第X编/卷/章/类/节/辑/目 and 卷X headings (not a sentence that starts with one)."""
    plain = re.sub(r"\s+", " ", text.strip())
    if len(plain) > MAX_TITLE + 10 or _SENTENCE_END.search(plain):
        return None
    m = _WORD_FORM.match(plain)
    if m:
        word = m.group("word").translate(_SIMPLIFIED)
        return Heading(tidy(plain), _WORD_RANK[word], word)
    if _JUAN.match(plain + " "):
        return Heading(tidy(plain), RANK_VOLUME, "卷")
    return None


def is_title_like(text: str, limit: int = MAX_TITLE) -> bool:
    """Whether a stripped line reads as a title rather than a sentence or a list line."""
    if len(text) > limit or len(re.findall(r"[\u4e00-\u9fff]", text)) < 2:
        return False
    if not re.match(r"[\u4e00-\u9fff（(“《【]", text) or re.search(r"\s(?:摄|供图)$", text):
        return False  # list items (- 主任 …), numbers, photo credits
    if _NUMBERED.match(text) or word_form(text):
        return not text.endswith(("。", "；", ";"))
    return not _SENTENCE.search(text) and text[-1] not in "”’）)"


def classify(text: str, *, titles: bool = False) -> Heading | None:
    """Return the heading a line is, or None; ``titles``: also short title-like lines."""
    text = text.strip()
    if not text:
        return None
    found = markdown(text) or word_form(text) or numbered(text)
    if found:
        return found
    if titles and is_title_like(text):
        return Heading(tidy(text), RANK_TITLE, "title")
    return None


# Dynasty headings of a classical chronicle (宋 / 明 / 中华民国): the chronicle reader's.
_DYNASTY = re.compile(r"^(?:汉|东汉|西汉|魏|晋|隋|唐|五代|宋|南宋|北宋|元|明|清|陈|梁|齐|周|南唐|中华民国|民国)$")


def is_dynasty(text: str) -> bool:
    return bool(_DYNASTY.match(text.strip()))


def assign_levels(ranks: list[int]) -> dict[int, int]:
    """Map the ranks a document uses to levels 1, 2, …, highest rank first."""
    return {rank: level for level, rank in enumerate(sorted(set(ranks)), 1)}


def is_vertical_piece(text: str) -> bool:
    """One to four characters of a heading printed down the page (区 / 情 / 概 / 况)."""
    key = re.sub(r"[^\u3400-\u9fff]", "", text)
    return 0 < len(key) <= 4 and key == text.strip().replace(" ", "")


def vertical_run(texts: list[str], i: int, *, piece=is_vertical_piece, stop=None) -> tuple[list[str], int]:
    """Return the pieces of a heading printed down the page from ``texts[i]`` and its last index.

    Pieces are one to four characters a line, with a blank line at most between them;
    ``stop(j)`` ends the run at line j (a caption or a byline the caller knows of).
    """
    run, last = [texts[i]], i
    j = i + 1
    while j < len(texts) and j - last <= 2:
        t = texts[j]
        if stop is not None and stop(j):
            break
        if t:
            if not piece(t):
                break
            run.append(t)
            last = j
        j += 1
    return run, last


def vertical_heading(texts: list[str], i: int) -> tuple[str, int] | None:
    """Return (title, last index) where a 类目 is printed one character a line, else None.

    Two characters or more, each alone on its line: 区/情/概/况 → 区情概况.
    """
    one = lambda t: len(t.strip()) == 1 and bool(re.match(r"[\u3400-\u9fff]", t.strip()))  # noqa: E731
    if not one(texts[i]):
        return None
    run, last = vertical_run(texts, i, piece=one)
    if len(run) < 2:
        return None
    return "".join(t.strip() for t in run), last
