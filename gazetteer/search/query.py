"""Turn what a reader types into a Whoosh query object, never into a parser error.

The language is the one Chinese search boxes use:

    刑事案件 审结              both words required (ASCII or full-width spaces)
    "区委常委会第102次会议"     an exact phrase; also “…”, 「…」, 『…』
    许昌 OR 长葛               either word
    地震 -许昌                 without a word (or -"a phrase")

Everything else (parentheses, colons, field syntax, wildcards, backslashes) is taken
literally: it is punctuation to the analyzer, so it separates words. Nothing reaches
Whoosh's QueryParser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from whoosh import query as wq

from .analysis import fold, remove_spans, segment, space_runs
from .grams import gram_query

MAX_QUERY_LENGTH = 200
# The most words (and quoted phrases) one search looks for; the rest are left out with
# a notice. Each word is a phrase over its tokens and its grams: Whoosh's cost grows
# faster than linearly with them (100 words took 10 s before this cap).
MAX_WORDS = 8
# The score of a match in the speaker or author field, whatever the entry's length:
# a person's speeches and bylined entries come first for his name.
NAME_SCORE = 100.0

# How a word that segments into several tokens is matched: "phrase" requires the tokens
# side by side (like a substring search); "and" only requires all of them somewhere.
# Measured on the dev queries and on random corpus substrings (see the report and
# tests/search/test_query.py): "phrase" loses no recall and keeps 教育质量市长奖 from
# matching every text that mentions 教育, 质量 and 市长 anywhere.
WORD_MODE = "phrase"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_OPEN_QUOTES = '"“「『＂'
_CLOSE_QUOTES = '"”」』＂'
_NEGATE = "-－"
# Inside a word, anything but letters, digits and the joiners of "PM2.5" splits it.
_WORD_SPLIT = re.compile(r"[^\w.%+#&\-]+|_+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class ParsedQuery:
    """A parsed search box: the Whoosh query and what the result page needs to know."""

    query: wq.Query
    terms: frozenset[str]  # folded strings to highlight
    phrases: tuple[str, ...]  # quoted phrases, as typed; check hits with contains_phrase()
    excluded: tuple[str, ...]  # words and phrases after "-", folded
    text: str  # the query as searched (after cutting)
    truncated: bool = False  # the query was longer than MAX_QUERY_LENGTH and was cut
    empty: bool = False  # nothing to search for: show the search form, not "no results"
    words: int = 0  # words and phrases searched for, after collapsing repeats
    dropped: int = 0  # words and phrases left out past MAX_WORDS
    rank: wq.Query | None = None  # with a grams field: what scores the matches of ``query``


def normalize(text: str) -> str:
    """Return ``text`` folded, with spaces next to CJK removed and other spaces single.

    This is the form in which stored text and phrases are compared: the corpus writes
    both "2020年受理刑事案件718件" and "2020 年受理刑事案件 718 件".
    """
    folded = fold(text)
    return _SPACES.sub(" ", remove_spans(folded, space_runs(folded))[0]).strip()


def normalize_with_map(text: str):
    """Return (normalised text, offset map or None) for highlighting in ``text``.

    Unlike ``normalize`` the result keeps every other character where it was, so that
    offsets found in it can be mapped back to ``text``.
    """
    folded = fold(text)
    return remove_spans(folded, space_runs(folded))


def contains_phrase(text: str, phrase: str) -> bool:
    """Return whether ``text`` contains ``phrase`` once both are folded and normalised."""
    needle = normalize(phrase)
    return bool(needle) and needle in normalize(text)


def _lex(text: str) -> list[tuple[str, str, bool]]:
    """Split the query into ("word" | "phrase" | "or", text, negated) items."""
    items: list[tuple[str, str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        negated = c in _NEGATE and i + 1 < n and not text[i + 1].isspace()
        j = i + 1 if negated else i
        if text[j] in _OPEN_QUOTES:
            end = min((k for k in (text.find(q, j + 1) for q in _CLOSE_QUOTES) if k >= 0), default=n)
            items.append(("phrase", text[j + 1 : end], negated))
            i = end + 1
            continue
        end = j
        while end < n and not text[end].isspace() and text[end] not in _OPEN_QUOTES:
            end += 1
        word = text[j:end]
        if word in ("OR", "|") and not negated:
            items.append(("or", word, False))
        elif word != "AND" or negated:
            items.append(("word", word, negated))
        i = end
    return items


def _tokens(text: str) -> list[str]:
    return [s.text for s in segment(text, subwords=False)]


def _field_query(fieldname: str, tokens: list[str], phrase: bool, boost: float) -> wq.Query:
    if len(tokens) == 1:
        return wq.Term(fieldname, tokens[0], boost=boost)
    if phrase:
        return wq.Phrase(fieldname, tokens, boost=boost)
    return wq.And([wq.Term(fieldname, t) for t in tokens], boost=boost)


def _rank_query(fieldname: str, tokens: list[str], boost: float) -> wq.Query:
    if len(tokens) == 1:
        return wq.Term(fieldname, tokens[0], boost=boost)
    return wq.Or([wq.Term(fieldname, t) for t in dict.fromkeys(tokens)], boost=boost)


def _clause(
    parts: list[list[str]],
    phrase: bool,
    fieldnames: Iterable[str],
    boosts: Mapping[str, float],
    shown: list[str] = (),
    grams: str | None = None,
    names: Iterable[str] = (),
) -> wq.Query:
    """Return the query for one typed item (all its parts required) over all fields.

    With a ``grams`` field, return (match, rank): a part matches where its normalised
    string occurs (grams.py), and ``rank`` scores: whole-word matches from the word fields,
    a part equal to a ``names`` field (speaker, author) NAME_SCORE; a match only inside
    a longer word scores nothing and so comes after them.
    """
    per_part, ranks = [], []
    for tokens, norm in zip(parts, shown or [None] * len(parts), strict=True):
        if not grams:
            per_part.append(wq.Or([_field_query(f, tokens, phrase, boosts.get(f, 1.0)) for f in fieldnames]))
            continue
        per_part.append(gram_query(grams, norm))
        # Every match has the string itself (the n-grams): the word fields only rank, by
        # the sum of its tokens' scores (they keep no positions for a phrase: reading
        # positions was most of scoring a common word).
        words = wq.Or([_rank_query(f, tokens, boosts.get(f, 1.0)) for f in fieldnames])
        ranks += [words] + [wq.ConstantScoreQuery(wq.Term(f, norm), NAME_SCORE) for f in names]
    match = per_part[0] if len(per_part) == 1 else wq.And(per_part)
    return (match, wq.Or(ranks)) if grams else match


def parse_query(
    text: str,
    fieldnames: Iterable[str] = ("title", "text"),
    boosts: Mapping[str, float] | None = None,
    *,
    grams: str | None = None,
    names: Iterable[str] = (),
    max_words: int = MAX_WORDS,
) -> ParsedQuery:
    """Parse what a reader typed into a ParsedQuery; never raise on any input string.

    Every field in ``fieldnames`` must be indexed with ``ChineseAnalyzer()`` and keep
    positions (``TEXT(phrase=True)``, Whoosh's default), since words become phrases.
    ``grams`` names a ``grams.GRAMS`` field: then every word matches as an exact string
    (see ``_clause``). A word typed twice is searched once; past ``max_words`` words and
    phrases the rest are dropped (``dropped`` says how many).
    """
    names = tuple(names)
    fieldnames = tuple(fieldnames)
    boosts = {"title": 3.0} if boosts is None else boosts
    text = _CONTROL.sub(" ", text or "").strip()
    truncated = len(text) > MAX_QUERY_LENGTH
    if truncated:
        text = text[:MAX_QUERY_LENGTH].rstrip()

    groups: list[list[wq.Query]] = []  # all required; the clauses of a group joined by OR
    negative: list[wq.Query] = []
    terms: set[str] = set()
    phrases: list[str] = []
    excluded: list[str] = []
    pending_or = False
    ranks: list[wq.Query] = []
    seen: set[tuple[str, str, bool]] = set()
    dropped = 0
    for kind, raw, negated in _lex(text):
        if kind == "or":
            pending_or = bool(groups)
            continue
        key = (kind, normalize(raw), negated)
        if key in seen:
            # 的 的 的 …: a repeat adds nothing but cost.
            pending_or = False
            continue
        if len(seen) >= max_words:
            dropped += 1
            continue
        seen.add(key)
        pieces = [raw] if kind == "phrase" else _WORD_SPLIT.split(raw)
        analysed = [(_tokens(p), normalize(p)) for p in pieces if p]
        parts = [tokens for tokens, _ in analysed if tokens]
        shown = [norm for tokens, norm in analysed if tokens]
        if not parts:
            pending_or = False
            continue
        # Phrases are matched as phrases; a word that segments into several tokens too,
        # unless WORD_MODE says otherwise.
        clause = _clause(
            parts, kind == "phrase" or WORD_MODE == "phrase", fieldnames, boosts, shown, grams, names
        )
        if grams:
            clause, rank = clause
            if not negated:
                ranks.append(rank)
        if negated:
            negative.append(clause)
            excluded.extend(shown)
            pending_or = False
            continue
        terms.update(shown)
        if kind == "phrase":
            phrases.append(raw.strip())
        elif WORD_MODE == "and":
            # Words matched token by token: highlight the tokens too, but single
            # characters only where the word is one.
            terms.update(t for p in parts for t in p if len(t) > 1 or len(p) == 1)
        if pending_or:
            groups[-1].append(clause)
        else:
            groups.append([clause])
        pending_or = False

    clauses = [g[0] if len(g) == 1 else wq.Or(g) for g in groups]
    if not clauses:
        return ParsedQuery(
            wq.NullQuery, frozenset(), (), tuple(excluded), text, truncated=truncated, empty=True,
            dropped=dropped,
        )  # fmt: skip
    query = clauses[0] if len(clauses) == 1 else wq.And(clauses)
    if negative:
        query = wq.AndNot(query, negative[0] if len(negative) == 1 else wq.Or(negative))
    return ParsedQuery(
        query, frozenset(terms), tuple(phrases), tuple(excluded), text, truncated,
        words=len(seen), dropped=dropped, rank=wq.Or(ranks) if ranks else None,
    )  # fmt: skip
