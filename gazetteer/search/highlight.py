"""Snippets and highlighting for Chinese text, as safe HTML.

Haystack's Whoosh highlighter re-analyses stored text with a StemmingAnalyzer and finds
nothing in Chinese; Whoosh's own re-segments every hit with jieba (slow). Here the query's
folded terms are found by plain string search in the folded text instead: ``fold()``
keeps every character where it was, so a match's offsets are offsets in the original.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape

from . import unfold
from .query import ParsedQuery, normalize, normalize_with_map

# A snippet prefers to start just after one of these when one is close to its start.
_BREAKS = "。！？；\n!?;"


class Terms:
    """The folded terms of a query and the expression that finds them, made once for
    every part of every hit of a page (each made them again: 80 times a search).

    ``prefilter`` finds, in the unfolded text, every place a term can be once folded
    (``unfold.prefilter``): a text it finds nothing in is not folded at all.
    """

    __slots__ = ("pattern", "prefilter")

    def __init__(self, terms: Iterable[str] | ParsedQuery | str):
        if isinstance(terms, ParsedQuery):
            terms = terms.terms
        elif isinstance(terms, str):
            terms = [terms]
        # Longer terms first: the alternation then prefers them where matches overlap.
        wanted = sorted({t for t in (normalize(t) for t in terms) if t}, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, wanted))) if wanted else None
        self.prefilter = unfold.prefilter(wanted)


def find_matches(text: str, terms: Terms | Iterable[str] | ParsedQuery | str) -> list[tuple[int, int, str]]:
    """Return (start, end, term) of every match of ``terms`` in ``text``, left to right.

    Longer terms win where matches overlap; offsets are in ``text``.
    """
    terms = terms if isinstance(terms, Terms) else Terms(terms)
    pattern = terms.pattern
    if pattern is None or not text:
        return []
    if terms.prefilter is not None and terms.prefilter.search(text) is None:
        return []  # no term can be there once folded: not worth folding
    folded, spaces = normalize_with_map(text)
    out = []
    for m in pattern.finditer(folded):
        s, e = m.span()
        if spaces:
            s, e = spaces.start(s), spaces.end(e)
        out.append((s, e, m.group()))
    return out


def _marked(text: str, matches: list[tuple[int, int, str]], start: int, end: int) -> str:
    out, at = [], start
    for s, e, _ in matches:
        if s < start or e > end:
            continue
        out.append(escape(text[at:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        at = e
    out.append(escape(text[at:end]))
    return "".join(out)


def highlight(text: str, terms: Terms | Iterable[str] | ParsedQuery | str) -> str:
    """Return the whole of ``text`` as escaped HTML with ``<mark>`` around each match."""
    return _marked(text, find_matches(text, terms), 0, len(text))


def _best_window(matches: list[tuple[int, int, str]], length: int) -> tuple[int, int]:
    """Return (first, last) match indexes of the window with most distinct terms, then most matches."""
    best, best_score = (0, 0), (-1, -1)
    counts: dict[str, int] = {}
    j = 0
    for i, (s, _, _) in enumerate(matches):
        while j < len(matches) and (j <= i or matches[j][1] - s <= length):
            counts[matches[j][2]] = counts.get(matches[j][2], 0) + 1
            j += 1
        score = (len(counts), j - i)
        if score > best_score:
            best, best_score = (i, j - 1), score
        term = matches[i][2]
        counts[term] -= 1
        if not counts[term]:
            del counts[term]
    return best


def snippet(
    text: str,
    terms: Terms | Iterable[str] | ParsedQuery | str,
    *,
    length: int = 120,
    matched_only: bool = False,
) -> str:
    """Return about ``length`` characters of ``text`` around its best matches, as safe HTML.

    The window with the most distinct terms (then the most matches) is chosen and the
    matches in it marked; "…" shows where text was left out. Without a match, the start
    of the text is returned, or "" with ``matched_only``.
    """
    text = text.strip()
    matches = find_matches(text, terms)
    if matched_only and not matches:
        return ""
    if len(text) <= length:
        return _marked(text, matches, 0, len(text))
    if not matches:
        start = hi = 0
    else:
        first, last = _best_window(matches, length)
        lo, hi = matches[first][0], matches[last][1]
        # Centre the matches in the window, or start at a sentence break close before them.
        start = max(0, lo - max(0, length - (hi - lo)) // 2)
        lead = max(start, lo - length // 3)
        brk = max(text.rfind(c, lead, lo) for c in _BREAKS)
        if brk >= 0 and brk + 1 + length >= hi:
            start = brk + 1
        start = min(start, max(0, len(text) - length))
    # A single match longer than the window is shown whole.
    end = min(len(text), max(start + length, hi))
    # Never cut a match in two.
    for s, e, _ in matches:
        if s < end < e:
            end = s
        if s < start < e:
            start = e
    body = _marked(text, matches, start, end).strip()
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")
