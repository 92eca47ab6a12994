"""Matching and scoring read from the posting lists a block at a time.

Whoosh walks a query's matches through a tree of matcher objects, several Python calls
per posting and per position: at 30× the corpus a four-character string over the
n-gram field (three bigrams, 2,400 matches) took 89 ms to match, and scoring 5,500
matches of 许昌 75 ms. Most of a search's time. Here the same answers come from the
posting lists read whole (Whoosh 3's blocks are unpickled in C):

- ``matches()``: the documents of a query made of exact strings (``grams.gram_query``)
  joined by And / Or / AndNot: sets of document numbers intersected and united in C;
  a string of n ≥ 3 characters is found by a covering subset of its bigrams (every
  second one and the last), the rarest read first, and the positions of only the
  documents that have all of them are compared.
- ``scores()``: the BM25F score of the ranking query (``query.parse_query``'s
  ``rank``) for given documents, as Whoosh computes it: term postings summed with
  the weighting's own formula and the index's stored field lengths; constant scores
  added; any other kind of clause (a phrase of words) scored by Whoosh's matcher.

Both answer ``None`` for a query they do not know, and the caller falls back to
Whoosh. ``tests/search/test_postings.py`` compares both with Whoosh's answers.

Positions are decoded as ``grams.GramPositions`` writes them (arrays, one C call), or
from the pickled gaps of indexes written before it.

This reads Whoosh 3 codec internals (the pinned whoosh 2.7.4, a finished project):
``_blocks`` (a term's posting blocks), ``_field_lengths`` (the length column) and
``_deleted_docs`` are the places that do, and the tests fail if they change.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Iterable, Iterator
from itertools import accumulate
from pickle import loads

from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.collectors import TimeLimit
from whoosh.formats import Positions
from whoosh.scoring import BM25F
from whoosh.system import _INT_SIZE
from whoosh.util.numeric import byte_to_length

from .grams import _BIG_ENDIAN, GramPositions, char_field

# Document numbers checked between two looks at the clock.
_CLOCK_EVERY = 256
_LENGTHS = [byte_to_length(b) for b in range(256)]


class Postings:
    """The leaf readers of one searcher and what is worth keeping with them (field
    lengths for scoring, deleted documents). Made once per searcher."""

    def __init__(self, searcher):
        self.searcher = searcher
        self.leaves = [(sub.reader(), offset) for sub, offset in searcher.leaf_searchers()]
        self.subsearchers = [sub for sub, _ in searcher.leaf_searchers()]
        self._deleted = [frozenset(_deleted_docs(reader)) for reader, _ in self.leaves]
        self._lengths: dict[tuple[int, str], list[int] | None] = {}

    # --- reading ------------------------------------------------------------------

    def _blocks(self, leaf: int, fieldname: str, text: str, values: bool) -> Iterator[tuple]:
        """Yield (ids, weights, values) of each block of a term's postings in one leaf."""
        reader = self.leaves[leaf][0]
        field = reader.schema[fieldname]
        tbytes = field.to_bytes(text)
        if (fieldname, tbytes) not in reader:
            return
        m = reader._terms.matcher(fieldname, tbytes, field.format)
        while m.is_active():
            m._read_ids()
            if values:
                m._read_weights()
                m._read_values()
            yield m._ids, m._weights, m._values
            if m._lastblock:
                return
            m._next_block()

    def docs(self, fieldname: str, text: str) -> set[int]:
        """Return the (top-level) numbers of the live documents with a term."""
        out: set[int] = set()
        for leaf, (_, offset) in enumerate(self.leaves):
            ids: list[int] = []
            for block_ids, _, _ in self._blocks(leaf, fieldname, text, values=False):
                ids.extend(block_ids)
            deleted = self._deleted[leaf]
            if deleted:
                out.update(d + offset for d in ids if d not in deleted)
            elif offset:
                out.update(d + offset for d in ids)
            else:
                out.update(ids)
        return out

    def values(self, fieldname: str, text: str, wanted: set[int] | None = None) -> dict[int, bytes]:
        """Return {top-level document number: posting value} of a term's live postings
        (only of the ``wanted`` documents, if given)."""
        out: dict[int, bytes] = {}
        for leaf, (_, offset) in enumerate(self.leaves):
            deleted = self._deleted[leaf]
            for ids, _, vals in self._blocks(leaf, fieldname, text, values=True):
                if wanted is None and not deleted and not offset:
                    out.update(zip(ids, vals, strict=True))
                    continue
                for d, v in zip(ids, vals, strict=True):
                    d += offset
                    if (wanted is None or d in wanted) and d - offset not in deleted:
                        out[d] = v
        return out

    def doc_frequency(self, fieldname: str, text: str) -> int:
        return self.searcher.doc_frequency(fieldname, text)

    # --- exact strings ------------------------------------------------------------

    def string_docs(self, fieldname: str, string: str, deadline: float | None = None) -> set[int]:
        """Return the documents whose n-gram field ``fieldname`` has ``string`` (normalised),
        exactly as ``grams.gram_query(fieldname, string)`` matches."""
        n = len(string)
        if n == 0:
            return set()
        if n == 1:
            return self.docs(char_field(fieldname), string)
        if n == 2:
            return self.docs(fieldname, string)
        # Bigrams at offsets 0, 2, 4, … and n-2 cover every character of the string.
        offsets = sorted(set(range(0, n - 1, 2)) | {n - 2})
        grams = {off: string[off : off + 2] for off in offsets}
        order = sorted(offsets, key=lambda off: self.doc_frequency(fieldname, grams[off]))
        # Each bigram's postings are read once (a block is unpickled whole, positions and
        # all): the documents that have every one are the candidates.
        positions: dict[int, dict[int, bytes]] = {}
        candidates: set[int] | None = None
        for off in order:
            positions[off] = self.values(fieldname, grams[off], candidates)
            candidates = set(positions[off]) if candidates is None else candidates.intersection(positions[off])
            _check(deadline)
            if not candidates:
                return set()
        # Compare the positions of the candidates only: a start p of the first bigram
        # where every other one is at p + its offset.
        first, rest = positions[0], [(off, positions[off]) for off in offsets[1:]]
        decode = _decoder(self.searcher.schema[fieldname].format)
        out = set()
        for k, d in enumerate(candidates):
            if k % _CLOCK_EVERY == 0:
                _check(deadline)
            # Shifted to where the string would start: a start every set shares.
            starts = set(decode(first[d]))
            for off, values in rest:
                starts.intersection_update([p - off for p in decode(values[d])])
                if not starts:
                    break
            else:
                out.add(d)
        return out

    def matches(self, query: wq.Query, gram_field: str, deadline: float | None = None) -> set[int] | None:
        """Return the documents ``query`` matches, if it is made of exact strings over
        ``gram_field`` (Term and Phrase of its bigrams, Term of its characters) joined by
        And, Or and AndNot; else None. Raises TimeLimit past the deadline."""
        chars = char_field(gram_field)
        _check(deadline)
        if isinstance(query, wq.Term) and query.fieldname in (gram_field, chars):
            return self.string_docs(gram_field, query.text, deadline)
        if isinstance(query, wq.Phrase) and query.fieldname == gram_field and _consecutive(query):
            words = query.words
            return self.string_docs(gram_field, words[0] + "".join(w[1:] for w in words[1:]), deadline)
        if isinstance(query, wq.AndNot):
            positive = self.matches(query.a, gram_field, deadline)
            if positive is None or not positive:
                return positive
            negative = self.matches(query.b, gram_field, deadline)
            return None if negative is None else positive - negative
        if isinstance(query, (wq.And, wq.Or)) and type(query) in (wq.And, wq.Or):
            parts = []
            for sub in query.subqueries:
                docs = self.matches(sub, gram_field, deadline)
                if docs is None:
                    return None
                parts.append(docs)
                if isinstance(query, wq.And) and not docs:
                    return set()
            if not parts:
                return set()
            return set.intersection(*parts) if isinstance(query, wq.And) else set.union(*parts)
        if query is wq.NullQuery:
            return set()
        return None

    # --- scores -------------------------------------------------------------------

    def scores(self, rank: wq.Query, docs: Iterable[int], deadline: float | None = None) -> dict[int, float] | None:
        """Return {document: score} of ``rank`` for the ``docs`` it matches, as Whoosh
        scores it with the searcher's BM25F weighting; None if the weighting is another."""
        weighting = self.searcher.weighting
        if type(weighting) is not BM25F:
            return None
        wanted = set(docs)
        out: dict[int, float] = {}
        self._score(rank, wanted, out, weighting, 1.0, deadline)
        return out

    def _score(self, q, wanted, out, weighting, boost, deadline):
        _check(deadline)
        if type(q) is wq.Or and q.scale is None:
            # Whoosh sums the scores of the clauses that match; a boost applies to two
            # or more clauses (one is matched as itself).
            subs = q.subqueries
            inner = boost * q.boost if len(subs) > 1 else boost
            for sub in subs:
                self._score(sub, wanted, out, weighting, inner, deadline)
        elif isinstance(q, wq.ConstantScoreQuery):
            value = q.score * boost
            for d in self._whoosh_docs(q.child, wanted):
                out[d] = out.get(d, 0.0) + value
        elif type(q) is wq.Term and q.fieldname in self.searcher.schema:
            self._score_term(q, wanted, out, weighting, boost * q.boost)
        else:
            self._score_whoosh(q, wanted, out, boost, deadline)

    def _score_term(self, q, wanted, out, weighting, boost):
        fieldname, text = q.fieldname, q.text
        searcher = self.searcher
        field = searcher.schema[fieldname]
        if not field.scorable:
            self._score_whoosh(q, wanted, out, boost, None)
            return
        B = weighting._field_B.get(fieldname, weighting.B)
        K1 = weighting.K1
        idf = searcher.idf(fieldname, text)
        avgfl = searcher.avg_field_length(fieldname) or 1
        # whoosh.scoring.bm25, written out with its constants hoisted (same operations
        # in the same order, so the same floats).
        k1_plus_1, one_minus_b = K1 + 1, 1 - B
        for leaf, (_, offset) in enumerate(self.leaves):
            lengths = self._field_lengths(leaf, fieldname) or _Ones()
            deleted = self._deleted[leaf]
            get = out.get
            for ids, weights, _ in self._blocks(leaf, fieldname, text, values=True):
                for d, tf in zip(ids, weights, strict=True):
                    top = d + offset
                    if top in wanted and d not in deleted:
                        score = idf * ((tf * k1_plus_1) / (tf + K1 * (one_minus_b + B * lengths[d] / avgfl)))
                        out[top] = get(top, 0.0) + score * boost

    def warm(self, fieldnames: Iterable[str]) -> None:
        """Read the field lengths of the scored fields now (once per searcher), not
        during the first search."""
        for leaf in range(len(self.leaves)):
            for name in fieldnames:
                self._field_lengths(leaf, name)

    def _field_lengths(self, leaf: int, fieldname: str) -> list[int] | None:
        """Return the stored (byte-rounded) length of a field for each document of a leaf,
        as the scorer's ``doc_field_length(docnum, field, 1)`` reads them."""
        key = (leaf, fieldname)
        if key not in self._lengths:
            perdoc = self.leaves[leaf][0]._perdoc
            column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            self._lengths[key] = None if column is None else [_LENGTHS[b] if b else 1 for b in column]
        return self._lengths[key]

    def _whoosh_docs(self, q, wanted) -> list[int]:
        """The ``wanted`` documents a query matches, by Whoosh (a term of an ID field)."""
        out = []
        for sub, (_, offset) in zip(self.subsearchers, self.leaves, strict=True):
            m = q.matcher(sub, sub.context())
            while m.is_active():
                if m.id() + offset in wanted:
                    out.append(m.id() + offset)
                m.next()
        return out

    def _score_whoosh(self, q, wanted, out, boost, deadline):
        """Score a clause with Whoosh's own matcher, visiting only the wanted documents."""
        for sub, (_, offset) in zip(self.subsearchers, self.leaves, strict=True):
            local = sorted(d - offset for d in wanted if offset <= d < offset + sub.doc_count_all())
            if not local:
                continue
            m = q.matcher(sub, sub.context())
            for k, d in enumerate(local):
                if k % _CLOCK_EVERY == 0:
                    _check(deadline)
                if not m.is_active():
                    break
                if m.id() < d:
                    m.skip_to(d)
                    if not m.is_active():
                        break
                if m.id() == d:
                    out[d + offset] = out.get(d + offset, 0.0) + m.score() * boost


class _Ones:
    """Field lengths of a field that stores none: 1 for every document, as Whoosh reads."""

    def __getitem__(self, docnum):
        return 1


def _consecutive(phrase: wq.Phrase) -> bool:
    return phrase.slop == 1 and (phrase.char_ranges is None) and all(len(w) == 2 for w in phrase.words)


def _deleted_docs(reader) -> Iterable[int]:
    perdoc = getattr(reader, "_perdoc", None)
    return perdoc.deleted_docs() if perdoc is not None else ()


def _decoder(fmt):
    """Return the fastest decoder of a posting's positions in format ``fmt``."""
    if isinstance(fmt, GramPositions) or type(fmt) is Positions:
        return _gram_positions
    return fmt.decode_positions


def _gram_positions(value: bytes) -> Iterable[int]:
    """Decode a posting's positions, as ``grams.GramPositions`` writes them (an array),
    or as ``whoosh.formats.Positions`` did (the pickled gaps, in indexes written before)
    without its loop in Python."""
    if value[_INT_SIZE : _INT_SIZE + 1] == GramPositions.MARK:
        positions = array("I")
        positions.frombytes(value[_INT_SIZE + 1 :])
        if _BIG_ENDIAN:
            positions.byteswap()
        return positions
    if not value.endswith(b"."):
        value += b"."
    return accumulate(loads(value[_INT_SIZE:]))


def _check(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise TimeLimit
