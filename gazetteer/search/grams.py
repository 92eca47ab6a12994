"""The character n-gram field: every exact string of an entry is findable.

The word field finds whole words (and the sub-words jieba knows), so a string inside a
longer word or across two words (颍汝 in 颍汝干渠, 区政府 in 魏都区政府) is missed. This
field indexes every line of the text, normalised as ``query.normalize`` does (folded,
spaces next to Chinese removed), as overlapping bigrams at consecutive positions, like
Lucene's CJK analyzer and Elasticsearch's ``cjk_bigram``. A string of n ≥ 2 characters is
then the phrase of its n − 1 bigrams: exactly the entries whose normalised line contains
it. A one-character query looks in a second, smaller field (``CHARS``): each distinct
character of the entry once, without positions. (The prefix query for the character
over the bigrams would need no field of its own, but for a common character it opens
thousands of posting lists: seconds at 30× the corpus.)

Pure Python; no Django.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator

from whoosh import query as wq
from whoosh.analysis import CompositeAnalyzer, Token, Tokenizer
from whoosh.fields import TEXT, FieldType
from whoosh.formats import Existence, Positions
from whoosh.system import _INT_SIZE, pack_uint

from .analysis import fold, remove_spans, space_runs

_BIG_ENDIAN = sys.byteorder == "big"


def normalize_line(line: str) -> str:
    """Return one line folded, without the spaces next to Chinese, other spaces single."""
    folded = fold(line)
    text = remove_spans(folded, space_runs(folded))[0]
    return " ".join(text.split())


def grams(text: str) -> Iterator[tuple[str, int]]:
    """Yield (gram, position) for ``text``: the bigrams of each line (a line of one
    character: that character).

    Lines never share a gram, and a gap in the positions keeps a phrase from running
    from one line into the next.
    """
    base = 0
    for line in text.split("\n"):
        s = normalize_line(line)
        n = len(s)
        if not n:
            continue
        if n == 1:
            yield s, base
        for i in range(n - 1):
            yield s[i : i + 2], base + i
        base += n + 1


class GramTokenizer(Tokenizer):
    """A Whoosh tokenizer for ``grams()``; in mode="query" the value is one normalised string."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):  # fmt: skip
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.boost = 1.0
        t.stopped = False
        for gram, pos in grams(value) if tokenize else [(normalize_line(value), 0)]:
            t.text = gram
            if positions:
                t.pos = start_pos + pos
            yield t


def GramAnalyzer() -> CompositeAnalyzer:
    return CompositeAnalyzer(GramTokenizer())


class GramPositions(Positions):
    """Whoosh's Positions format with the positions stored as an array of unsigned 32-bit
    little-endian integers after a marker byte, instead of pickled gaps: decoding them
    is one C call, where unpickling was most of the time of matching a string at 30×
    the corpus (one decode per candidate entry per bigram).

    Values of indexes written before (a pickle, which always starts with b"\x80") are
    still read: the index directory's schema is not what the archive opens it with.
    Whoosh's own matchers read both through ``decode_positions`` like any format.
    """

    MARK = b"A"

    def encode(self, poslist):
        positions = array("I", poslist)
        if _BIG_ENDIAN:
            positions.byteswap()
        return pack_uint(len(positions)) + self.MARK + positions.tobytes()

    def decode_positions(self, valuestring):
        if valuestring[_INT_SIZE : _INT_SIZE + 1] != self.MARK:
            return super().decode_positions(valuestring)
        positions = array("I")
        positions.frombytes(valuestring[_INT_SIZE + 1 :])
        if _BIG_ENDIAN:
            positions.byteswap()
        return positions


class GRAMS(TEXT):
    """The n-gram field type: positions kept (phrases), no field lengths (not scored).

    Matches here only decide *whether* an entry has the string; ranking comes from the
    word fields. ``index()`` builds the postings directly instead of through Whoosh's
    token objects: there are twice as many grams as words, and this halves their cost.
    """

    def __init__(self):
        super().__init__(analyzer=GramAnalyzer(), phrase=True, stored=False)
        self.format = GramPositions(field_boost=self.format.field_boost)
        self.scorable = False  # TEXT sets it True: no length column, never scored

    def index(self, value, **kwargs):
        positions: dict[str, list[int]] = {}
        for gram, pos in grams(value):
            if gram in positions:
                positions[gram].append(pos)
            else:
                positions[gram] = [pos]
        encode = self.format.encode
        return [(g.encode("utf-8"), len(p), float(len(p)), encode(p)) for g, p in positions.items()]


class CHARS(FieldType):
    """The one-character field type: each distinct character of the text, no positions."""

    def __init__(self):
        self.format = Existence()
        self.analyzer = GramAnalyzer()
        self.scorable = False
        self.stored = False
        self.unique = False
        self.vector = None

    def index(self, value, **kwargs):
        chars = {c for line in value.split("\n") for c in normalize_line(line) if not c.isspace()}
        encode = self.format.encode
        return [(c.encode("utf-8"), 1, 1.0, encode(1)) for c in chars]


def char_field(gram_field: str) -> str:
    """Return the name of the CHARS field that goes with a GRAMS field."""
    return f"{gram_field}_chars"


def gram_query(fieldname: str, string: str, boost: float = 1.0) -> wq.Query | None:
    """Return the query for entries whose normalised text contains ``string`` (normalised)."""
    n = len(string)
    if not n:
        return None
    if n == 1:
        return wq.Term(char_field(fieldname), string, boost=boost)
    if n == 2:
        return wq.Term(fieldname, string, boost=boost)
    return wq.Phrase(fieldname, [string[i : i + 2] for i in range(n - 1)], boost=boost)
