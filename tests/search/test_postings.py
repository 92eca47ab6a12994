"""Matching and scoring from the posting lists give Whoosh's own answers.

Pure Whoosh, no database: an index of three segments with replaced (deleted) documents,
written by the archive's writer. Every answer of ``postings.Postings`` is compared with
what Whoosh's matchers give for the same query.
"""

import random

import pytest
from whoosh import query as wq
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.filedb.filestore import RamStorage

from gazetteer.search.grams import CHARS, GRAMS, gram_query
from gazetteer.search.postings import Postings
from gazetteer.search.writer import ArchiveWriter

WORDS = "魏都 许昌 区委 区政府 颍汝干渠 清潩河 教育 质量 慈善 总会 人民 代表 大会 教育高质量发展 的 的的".split()


def schema():
    return Schema(
        id=ID(stored=True, unique=True), title=TEXT(), text=TEXT(), speaker=ID(),
        tags=KEYWORD(commas=True, scorable=False), grams=GRAMS(), grams_chars=CHARS(),
    )  # fmt: skip


def document(rnd, key):
    lines = ["".join(rnd.choices(WORDS, k=rnd.randint(1, 9))) for _ in range(rnd.randint(1, 3))]
    words = " ".join(rnd.choices(WORDS, k=rnd.randint(1, 30)))
    title = " ".join(rnd.choices(WORDS, k=rnd.randint(1, 3)))
    return {"id": key, "title": title, "text": words, "speaker": rnd.choice(["许昌", "魏都", ""]),
            "tags": ",".join(rnd.sample(WORDS, 2)), "grams": "\n".join(lines), "grams_chars": "\n".join(lines)}  # fmt: skip


@pytest.fixture(scope="module")
def searcher():
    rnd = random.Random(20261202)
    ix = RamStorage().create_index(schema())
    texts = {}
    for batch in range(3):
        w = ArchiveWriter(ix)
        for i in range(120):
            # Later batches replace a third of the earlier documents: deletions in the
            # earlier segments.
            key = str(i * 3 if batch and i % 3 == 0 else batch * 1000 + i)
            doc = document(rnd, key)
            texts[key] = doc["grams"]
            w.update_document(**doc)
        w.commit(merge=False)
        ix = ix.refresh()
    s = ix.searcher()
    assert len(s.leaf_searchers()) == 3 and s.reader().has_deletions()
    s.texts = texts
    yield s
    s.close()


def whoosh_docs(searcher, query):
    return set(searcher.docs_for_query(query))


def substrings(searcher, n, seed):
    rnd = random.Random(seed)
    texts = list(searcher.texts.values())
    out = set()
    while len(out) < n:
        line = rnd.choice(rnd.choice(texts).split("\n"))
        k = rnd.randint(1, min(7, len(line)))
        start = rnd.randint(0, len(line) - k)
        out.add(line[start : start + k])
    return sorted(out) + ["区政区", "潩河的", "不在其中", "的的的的的", "质"]


def test_the_documents_with_an_exact_string_are_those_whoosh_finds(searcher):
    postings = Postings(searcher)
    for string in substrings(searcher, 300, 1):
        expected = whoosh_docs(searcher, gram_query("grams", string))
        assert postings.string_docs("grams", string) == expected, string
        # And the same as a substring scan of the live documents.
        live = {searcher.stored_fields(d)["id"] for d in expected}
        assert live == {k for k, t in searcher.texts.items() if any(string in line for line in t.split("\n"))}


def scan(searcher, query):
    """The live documents ``query`` matches, by a substring scan of their lines."""
    if isinstance(query, (wq.Term, wq.Phrase)):
        string = query.text if isinstance(query, wq.Term) else query.words[0] + "".join(w[1] for w in query.words[1:])
        keys = {k for k, t in searcher.texts.items() if any(string in line for line in t.split("\n"))}
        return {d for d in range(searcher.doc_count_all()) if not searcher.reader().is_deleted(d) and searcher.stored_fields(d)["id"] in keys}
    if isinstance(query, wq.AndNot):
        return scan(searcher, query.a) - scan(searcher, query.b)
    parts = [scan(searcher, q) for q in query.subqueries]
    return set.intersection(*parts) if isinstance(query, wq.And) else set.union(*parts)


def test_an_index_built_before_the_array_positions_is_read_as_well():
    # Indexes written before grams.GramPositions hold Whoosh's pickled positions, and
    # the archive opens them with today's schema (haystack passes its own): segments
    # of both kinds are read, by postings.py and by Whoosh's phrase matcher.
    from whoosh.formats import Positions

    old = schema()
    old["grams"].format = Positions()
    storage = RamStorage()
    ix = storage.create_index(old)
    rnd = random.Random(5)
    texts = {}
    for batch, fmt in enumerate((Positions(), None)):
        ix = storage.open_index(schema=old if fmt else schema())
        w = ArchiveWriter(ix)
        for i in range(100):
            doc = document(rnd, f"{batch}.{i}")
            texts[doc["id"]] = doc["grams"]
            w.add_document(**doc)
        w.commit(merge=False)
    ix = storage.open_index(schema=schema())
    with ix.searcher() as s:
        assert len(s.leaf_searchers()) == 2
        s.texts = texts
        postings = Postings(s)
        for string in substrings(s, 100, 6):
            expected = whoosh_docs(s, gram_query("grams", string))
            assert postings.string_docs("grams", string) == expected == scan(s, gram_query("grams", string)), string


def test_and_or_andnot_of_strings_match_as_a_scan_does(searcher):
    postings = Postings(searcher)
    rnd = random.Random(2)
    strings = substrings(searcher, 40, 3)
    for _ in range(60):
        a, b, c = (gram_query("grams", s) for s in rnd.sample(strings, 3))
        for query in (wq.And([a, b]), wq.Or([a, b, c])):
            assert postings.matches(query, "grams") == whoosh_docs(searcher, query) == scan(searcher, query), query
        for query in (wq.AndNot(a, b), wq.AndNot(wq.Or([a, b]), wq.And([b, c]))):
            # Not compared with Whoosh: its AndNot matcher keeps some documents that
            # have both sides (here 区委人 and 区政 in 区政府大会总会人民区委人民).
            assert postings.matches(query, "grams") == scan(searcher, query), query


def test_other_queries_are_left_to_whoosh(searcher):
    postings = Postings(searcher)
    assert postings.matches(wq.Prefix("grams", "魏"), "grams") is None
    assert postings.matches(wq.And([gram_query("grams", "魏都"), wq.Term("text", "魏都")]), "grams") is None


def whoosh_scores(searcher, query, docs):
    results = searcher.search(query, limit=None, optimize=False)
    return {hit.docnum: hit.score for hit in results if hit.docnum in docs}


@pytest.mark.parametrize("word", ["魏都", "许昌", "教育", "区政府", "的", "不在其中"])
def test_scores_are_whooshs_bm25f_scores(searcher, word):
    postings = Postings(searcher)
    rank = wq.Or(
        [
            wq.Or([wq.Term("title", word, boost=3.0), wq.Term("text", word)]),
            wq.ConstantScoreQuery(wq.Term("speaker", word), 100.0),
            wq.Phrase("text", [word, "质量"]),
            wq.Term("tags", word),
        ]
    )
    docs = {d for d in range(0, searcher.doc_count_all(), 2) if not searcher.reader().is_deleted(d)}
    expected = whoosh_scores(searcher, rank, docs)
    got = postings.scores(rank, docs)
    assert got.keys() == expected.keys()
    for d, score in expected.items():
        assert got[d] == pytest.approx(score, rel=1e-12), d
    if word != "不在其中":
        assert expected
