"""The archive's Whoosh writer writes the same index as Whoosh's own, faster.

Pure Whoosh, no database: the same documents through ``SegmentWriter`` and through
``ArchiveWriter`` (with runs written to disk after every few postings, and merges of
earlier segments) must give identical postings, lengths and stored fields.
"""

import pickle
import random
import zlib

import pytest
from whoosh.fields import ID, NUMERIC, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.writing import SegmentWriter

from gazetteer.search.grams import CHARS, GRAMS
from gazetteer.search.writer import ArchiveWriter, TermPool

WORDS = "魏都 许昌 区委 区政府 颍汝干渠 清潩河 教育 质量 慈善 总会 人民 代表 大会".split()


def schema():
    return Schema(id=ID(stored=True, unique=True), text=TEXT(stored=True), grams=GRAMS(),
                  grams_chars=CHARS(), year=NUMERIC(stored=True))  # fmt: skip


def documents(seed, n):
    rnd = random.Random(seed)
    for i in range(n):
        text = "\n".join(" ".join(rnd.choices(WORDS, k=rnd.randint(1, 12))) for _ in range(rnd.randint(1, 4)))
        yield {"id": f"{seed}.{i}", "text": text, "grams": text.replace(" ", ""),
               "grams_chars": text.replace(" ", ""), "year": 1990 + i % 30}  # fmt: skip


def contents(ix, length_fields=("text", "grams")):
    """Return every posting, every field length and every stored document of an index."""
    with ix.searcher() as s:
        r = s.reader()
        postings = []
        for fieldname, btext in r.all_terms():
            m = r.postings(fieldname, btext)
            while m.is_active():
                postings.append((fieldname, btext, m.id(), m.weight(), m.value()))
                m.next()
        lengths = [(d, f, r.doc_field_length(d, f)) for d in range(r.doc_count_all()) for f in length_fields]
        return postings, lengths, list(r.all_stored_fields())


def build(writer_class, batches, **options):
    ix = RamStorage().create_index(schema())
    for seed, n in batches:
        w = writer_class(ix, **options)
        if writer_class is ArchiveWriter and options.get("small_runs"):
            w.pool.postings_per_run = 7
        for doc in documents(seed, n):
            w.update_document(**doc)
        w.commit()
        ix = ix.refresh()
    return ix


@pytest.mark.parametrize("small_runs", [False, True])
def test_the_archive_writer_writes_what_whoosh_writes(small_runs):
    # Three commits: the later ones replace some documents and merge small segments.
    batches = [(1, 40), (2, 25), (1, 10)]
    expected = contents(build(SegmentWriter, batches))
    got = contents(build(ArchiveWriter, batches, **({"small_runs": True} if small_runs else {})))
    assert got[0] == expected[0] and len(got[0]) > 1000
    assert got[1] == expected[1]
    assert got[2] == expected[2]


def test_the_pool_yields_postings_in_field_term_document_order_across_runs():
    storage = RamStorage()
    pool = TermPool(storage, postings_per_run=3)
    postings = [("b", b"x", 1, 1.0, b""), ("a", b"y", 1, 1.0, b""), ("a", b"x", 2, 1.0, b""),
                ("b", b"x", 3, 1.0, b""), ("a", b"x", 0, 1.0, b""), ("a", b"x", 4, 1.0, b""),
                ("a", b"y", 5, 1.0, b"")]  # fmt: skip
    for p in postings:
        pool.add(p)
    assert len(pool.runs) == 2
    assert list(pool.iter_postings()) == sorted(postings)  # 0 came in a later run than 2
    pool.cleanup()
    assert not pool.runs and not storage.list()


def block_protocols(ix, fieldname):
    """Return the pickle protocol of every posting block of a field (Whoosh's header byte)."""
    protocols = set()
    with ix.searcher() as searcher:
        for leaf, _ in searcher.leaf_searchers():
            r = leaf.reader()
            for btext in r.lexicon(fieldname):
                m = r._terms.matcher(fieldname, btext, r.schema[fieldname].format)
                if not hasattr(m, "_dataoffset"):
                    continue  # a posting list short enough to be kept in the term's info
                while True:
                    data = m._postfile.get(m._dataoffset, m._nextoffset - m._dataoffset)
                    protocols.add((zlib.decompress(data) if m._compression else data)[1])
                    if m._lastblock:
                        break
                    m._next_block()
    return protocols


def test_blocks_are_pickled_with_the_highest_protocol_and_read_by_whoosh():
    """Protocol 2 (Whoosh's) pickles each posting's bytes as a call of _codecs.encode."""
    batches = [(3, 60), (4, 20)]
    stock, ours = build(SegmentWriter, batches), build(ArchiveWriter, batches)
    assert block_protocols(stock, "grams") == {2}
    assert block_protocols(ours, "grams") == block_protocols(ours, "text") == {pickle.HIGHEST_PROTOCOL}
    assert contents(ours) == contents(stock)
    size = lambda ix: sum(ix.storage.file_length(name) for name in ix.storage.list())  # noqa: E731
    assert size(ours) < size(stock)
