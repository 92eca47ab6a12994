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
  added; any other kind of clause scored by Whoosh's matcher (the ranking query
  has none now: the word fields keep no positions for phrases).

Both answer ``None`` for a query they do not know, and the caller falls back to
Whoosh. ``tests/search/test_postings.py`` compares both with Whoosh's answers.

Positions are decoded as ``grams.GramPositions`` writes them (arrays, one C call), or
from the pickled gaps of indexes written before it.

This reads Whoosh 3 codec internals (the pinned whoosh 2.7.4, a finished project):
``_arrays`` and ``postings`` (a term's posting blocks), ``_field_lengths`` (the length column) and
``_deleted_docs`` are the places that do, and the tests fail if they change.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Iterable
from itertools import accumulate, compress
from pickle import loads

import numpy as np
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

    def _arrays(self, leaf: int, fieldname: str, text: str, weights: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """Return (ids, weights or None) of a term's postings in one leaf, as arrays: the
        blocks' pickled tuples decoded with numpy (Whoosh's own reader undoes the ids'
        delta encoding and fills absent weights in a Python loop per posting)."""
        reader = self.leaves[leaf][0]
        field = reader.schema[fieldname]
        tbytes = field.to_bytes(text)
        if (fieldname, tbytes) not in reader:
            return np.zeros(0, dtype=np.int64), (np.zeros(0) if weights else None)
        m = reader._terms.matcher(fieldname, tbytes, field.format)
        id_parts, weight_parts = [], []
        while m.is_active():
            if m._data is None:
                m._read_data()
            ids, block_weights, _ = m._data
            ids = np.asarray(ids, dtype=np.int64)
            id_parts.append(ids if m._byteids else np.cumsum(ids))
            if weights:
                if block_weights is None or isinstance(block_weights, float):
                    weight_parts.append(np.full(len(ids), 1.0 if block_weights is None else block_weights))
                else:
                    weight_parts.append(np.asarray(block_weights, dtype=np.float64))
            if m._lastblock:
                break
            m._next_block()
        ids = np.concatenate(id_parts) if id_parts else np.zeros(0, dtype=np.int64)
        if not weights:
            return ids, None
        return ids, (np.concatenate(weight_parts) if weight_parts else np.zeros(0))

    def docs(self, fieldname: str, text: str) -> set[int]:
        """Return the (top-level) numbers of the live documents with a term."""
        out: set[int] = set()
        for leaf, (_, offset) in enumerate(self.leaves):
            ids, _ = self._arrays(leaf, fieldname, text, weights=False)
            deleted = self._deleted_mask(leaf)
            if deleted is not None and len(ids):
                ids = ids[~deleted[ids]]
            out.update((ids + offset).tolist() if offset else ids.tolist())
        return out

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, list[bytes]]:
        """Return (top-level document numbers, posting values) of a term's live postings,
        in document order."""
        docs, values = [], []
        for leaf, (_, offset) in enumerate(self.leaves):
            reader = self.leaves[leaf][0]
            field = reader.schema[fieldname]
            tbytes = field.to_bytes(text)
            if (fieldname, tbytes) not in reader:
                continue
            m = reader._terms.matcher(fieldname, tbytes, field.format)
            deleted = self._deleted_mask(leaf)
            while m.is_active():
                if m._data is None:
                    m._read_data()
                if m._values is None:
                    m._read_values()
                ids = np.asarray(m._data[0], dtype=np.int64)
                ids = ids if m._byteids else np.cumsum(ids)
                block_values = m._values
                if deleted is not None:
                    live = ~deleted[ids]
                    ids = ids[live]
                    block_values = list(compress(block_values, live.tolist()))
                docs.append(ids + offset)
                values.extend(block_values)
                if m._lastblock:
                    break
                m._next_block()
        return (np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64)), values

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
        # all): the documents that have every one are the candidates, and each bigram's
        # list is cut down to them, so that all lists stay aligned document by document.
        lists: dict[int, tuple[np.ndarray, list[bytes]]] = {}
        candidates = None
        for off in order:
            docs, values = self.postings(fieldname, grams[off])
            if candidates is not None:
                docs, values = _restricted(docs, values, candidates)
            lists[off] = (docs, values)
            candidates = docs
            _check(deadline)
            if not len(candidates):
                return set()
        for off in offsets:
            if len(lists[off][0]) != len(candidates):
                lists[off] = _restricted(*lists[off], candidates)
        # Compare the positions of the candidates only: a start p of the first bigram
        # where every other one is at p + its offset.
        found = _aligned(candidates, [(off, lists[off][1]) for off in offsets])
        if found is not None:
            return found
        decode = _decoder(self.searcher.schema[fieldname].format)
        first = lists[0][1]
        rest = [(off, lists[off][1]) for off in offsets[1:]]
        out = set()
        for k, d in enumerate(candidates.tolist()):
            if k % _CLOCK_EVERY == 0:
                _check(deadline)
            # Shifted to where the string would start: a start every set shares.
            starts = set(decode(first[k]))
            for off, values in rest:
                starts.intersection_update([p - off for p in decode(values[k])])
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

    def scores(
        self, rank: wq.Query, docs: Iterable[int], deadline: float | None = None
    ) -> dict[int, float] | None:
        """Return {document: score} of ``rank`` for the ``docs`` it matches, as Whoosh
        scores it with the searcher's BM25F weighting; None if the weighting is another."""
        scored = self._score_array(rank, docs, deadline)
        if scored is None:
            return None
        values, touched = scored
        idx = np.flatnonzero(touched)
        return dict(zip(idx.tolist(), values[idx].tolist(), strict=True))

    def top(
        self, rank: wq.Query, docs: set[int], limit: int, deadline: float | None = None
    ) -> tuple[list[int], dict[int, float]] | None:
        """Return the first ``limit`` of ``docs`` in Whoosh's order — by the score of
        ``rank``, then by document number; those ``rank`` does not find after, in
        document order — and {document: score} of the scored ones among them. None if
        the weighting is not BM25F."""
        scored = self._score_array(rank, docs, deadline)
        if scored is None:
            return None
        values, touched = scored
        idx = np.flatnonzero(touched)  # ascending: a stable sort keeps ties in document order
        best = idx[np.argsort(-values[idx], kind="stable")[:limit]]
        order = best.tolist()
        if len(order) < limit:
            wanted = self._mask(docs)
            wanted[idx] = False
            order += np.flatnonzero(wanted)[: limit - len(order)].tolist()
        return order, dict(zip(best.tolist(), values[best].tolist(), strict=True))

    def _mask(self, docs: Iterable[int]) -> np.ndarray:
        mask = np.zeros(self.searcher.doc_count_all(), dtype=bool)
        docs = docs if isinstance(docs, (set, frozenset, list, tuple)) else list(docs)
        if docs:
            mask[np.fromiter(docs, dtype=np.int64, count=len(docs))] = True
        return mask

    def _score_array(self, rank, docs, deadline):
        """Return (score, scored) arrays over every document number, or None."""
        weighting = self.searcher.weighting
        if type(weighting) is not BM25F:
            return None
        wanted = docs if isinstance(docs, (set, frozenset)) else set(docs)
        size = self.searcher.doc_count_all()
        acc = _Scores(np.zeros(size), np.zeros(size, dtype=bool), self._mask(wanted), wanted)
        self._score(rank, acc, weighting, 1.0, deadline)
        return acc.values, acc.touched

    def _score(self, q, acc, weighting, boost, deadline):
        _check(deadline)
        if type(q) is wq.Or and q.scale is None:
            # Whoosh sums the scores of the clauses that match; a boost applies to two
            # or more clauses (one is matched as itself).
            subs = q.subqueries
            inner = boost * q.boost if len(subs) > 1 else boost
            for sub in subs:
                self._score(sub, acc, weighting, inner, deadline)
        elif isinstance(q, wq.ConstantScoreQuery):
            value = q.score * boost
            for d in self._whoosh_docs(q.child, acc.wanted):
                acc.add(d, value)
        elif type(q) is wq.Term and q.fieldname in self.searcher.schema:
            self._score_term(q, acc, weighting, boost * q.boost)
        else:
            self._score_whoosh(q, acc, boost, deadline)

    def _score_term(self, q, acc, weighting, boost):
        fieldname, text = q.fieldname, q.text
        searcher = self.searcher
        field = searcher.schema[fieldname]
        if not field.scorable:
            self._score_whoosh(q, acc, boost, None)
            return
        B = weighting._field_B.get(fieldname, weighting.B)
        K1 = weighting.K1
        idf = searcher.idf(fieldname, text)
        avgfl = searcher.avg_field_length(fieldname) or 1
        # whoosh.scoring.bm25 over arrays, with its constants hoisted: the same
        # operations in the same order on the same doubles, so the same scores.
        k1_plus_1, one_minus_b = K1 + 1, 1 - B
        for leaf, (_, offset) in enumerate(self.leaves):
            ids, tf = self._arrays(leaf, fieldname, text, weights=True)
            if not len(ids):
                continue
            # Whoosh's weights are single floats (array "f"): the same values as doubles.
            tf = tf.astype(np.float32).astype(np.float64)
            keep = acc.mask[ids + offset]
            deleted = self._deleted_mask(leaf)
            if deleted is not None:
                keep &= ~deleted[ids]
            ids, tf = ids[keep], tf[keep]
            lengths = self._lengths_array(leaf, fieldname)
            length = lengths[ids] if lengths is not None else 1.0
            score = idf * ((tf * k1_plus_1) / (tf + K1 * (one_minus_b + B * length / avgfl)))
            top = ids + offset  # a document once per term and leaf: no repeated index
            acc.values[top] += score * boost
            acc.touched[top] = True

    def _deleted_mask(self, leaf: int) -> np.ndarray | None:
        key = ("deleted", leaf)
        if key not in self._lengths:
            deleted = self._deleted[leaf]
            mask = None
            if deleted:
                mask = np.zeros(self.leaves[leaf][0].doc_count_all(), dtype=bool)
                mask[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = True
            self._lengths[key] = mask
        return self._lengths[key]

    def _lengths_array(self, leaf: int, fieldname: str) -> np.ndarray | None:
        key = ("array", leaf, fieldname)
        if key not in self._lengths:
            lengths = self._field_lengths(leaf, fieldname)
            self._lengths[key] = None if lengths is None else np.asarray(lengths, dtype=np.float64)
        return self._lengths[key]

    def warm(self, fieldnames: Iterable[str]) -> None:
        """Read the field lengths of the scored fields now (once per searcher), not
        during the first search."""
        for leaf in range(len(self.leaves)):
            self._deleted_mask(leaf)
            for name in fieldnames:
                self._lengths_array(leaf, name)

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

    def _score_whoosh(self, q, acc, boost, deadline):
        """Score a clause with Whoosh's own matcher, visiting only the wanted documents."""
        for sub, (_, offset) in zip(self.subsearchers, self.leaves, strict=True):
            local = sorted(d - offset for d in acc.wanted if offset <= d < offset + sub.doc_count_all())
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
                    acc.add(d + offset, m.score() * boost)


class _Scores:
    """Scores being summed: a value and a "scored" flag per document number, and the
    documents wanted (as a mask for arrays, as a set for Whoosh's matchers)."""

    __slots__ = ("values", "touched", "mask", "wanted")

    def __init__(self, values, touched, mask, wanted):
        self.values, self.touched, self.mask, self.wanted = values, touched, mask, wanted

    def add(self, doc: int, value: float) -> None:
        self.values[doc] += value
        self.touched[doc] = True


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


def _restricted(docs: np.ndarray, values: list[bytes], wanted: np.ndarray) -> tuple[np.ndarray, list[bytes]]:
    """The postings of ``docs`` (ascending) that are in ``wanted`` (ascending)."""
    keep = np.isin(docs, wanted, assume_unique=True)
    return docs[keep], list(compress(values, keep.tolist()))


def _aligned(docs: np.ndarray, lists: list[tuple[int, list[bytes]]]) -> set[int] | None:
    """Return the ``docs`` where each bigram of ``lists`` (offset, each document's
    positions, aligned with ``docs``) but the first is at a position of the first plus
    its offset; compared as arrays of (document << 32 | position − offset) keys. None if
    a value is not in ``GramPositions``' array encoding (an index written before it)."""
    starts = None
    for off, values in lists:
        keys = _keys(values, docs, off)
        if keys is None:
            return None
        starts = keys if starts is None else starts[np.isin(starts, keys, assume_unique=True)]
        if not len(starts):
            return set()
    return set(np.unique(starts >> 32).tolist())


_HEAD = _INT_SIZE + 1  # pack_uint(count) and GramPositions.MARK


def _keys(values: list[bytes], docs: np.ndarray, offset: int) -> np.ndarray | None:
    """(document << 32 | position − offset) of every position ≥ offset; ``values``
    aligned with ``docs``. None if a value is not in the array encoding."""
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    blob = np.frombuffer(b"".join(values), dtype=np.uint8)
    starts = np.zeros(len(values), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    payload = lengths - _HEAD
    if (
        len(values)
        and ((payload < 0).any() or (payload % 4).any() or (blob[starts + _INT_SIZE] != GramPositions.MARK[0]).any())
    ):
        return None
    body = np.ones(len(blob), dtype=bool)
    body[(starts[:, None] + np.arange(_HEAD)).ravel()] = False
    positions = blob[body].view("<u4").astype(np.int64)
    keys = (np.repeat(docs, payload // 4) << 32) | (positions - offset)
    return keys[positions >= offset] if offset else keys


def _check(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise TimeLimit
