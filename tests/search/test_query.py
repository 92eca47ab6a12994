"""The query language, and the dev queries against an index of the whole sample corpus."""

import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage

from gazetteer.search import query as query_module
from gazetteer.search.analysis import ChineseAnalyzer, configure, segment
from gazetteer.search.query import MAX_QUERY_LENGTH, contains_phrase, normalize, parse_query

REPO = Path(__file__).resolve().parents[2]
# A copy of the archive's evaluation queries, kept in the repository so a clone tests on its own.
DEV_QUERIES = REPO / "tests" / "data" / "eval" / "queries-dev.tsv"
# What the loaders will pass: the archive's names. A few from the sample volumes.
USER_WORDS = ["李朝锋", "颍汝干渠", "魏都区", "杜晓辉", "张书杰", "魏少峰"]


@pytest.fixture(scope="module", autouse=True)
def configured(tmp_path_factory):
    configure(tmp_path_factory.mktemp("search-data"), USER_WORDS)


def paragraphs():
    """Return every paragraph of the sample corpus (split at blank lines)."""
    out = []
    for path in sorted((REPO / "corpus").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        out += [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return out


@pytest.fixture(scope="module")
def corpus_index():
    schema = Schema(
        id=ID(stored=True),
        title=TEXT(analyzer=ChineseAnalyzer(), stored=True, phrase=True),
        text=TEXT(analyzer=ChineseAnalyzer(), stored=True, phrase=True),
    )
    ix = RamStorage().create_index(schema)
    with ix.writer() as w:
        for i, p in enumerate(paragraphs()):
            title = re.match(r"【([^】]+)】", p)
            w.add_document(id=str(i), title=title.group(1) if title else "", text=p)
    return ix


def search(ix, text, limit=10):
    parsed = parse_query(text)
    with ix.searcher() as s:
        hits = [h["text"] for h in s.search(parsed.query, limit=None)]
    # Quoted phrases are checked against the stored text, as the search view does.
    hits = [h for h in hits if all(contains_phrase(h, p) for p in parsed.phrases)]
    return hits[:limit]


# ---------------------------------------------------------------- the language


def test_words_separated_by_ascii_or_full_width_spaces_are_all_required():
    parsed = parse_query("刑事案件\u3000审结 结案率", fieldnames=["text"])
    assert parsed.query == wq.And(
        [
            wq.Or([wq.Term("text", "刑事案件")]),
            wq.Or([wq.Term("text", "审结")]),
            wq.Or([wq.Term("text", "结案率")]),
        ]
    )
    assert parsed.terms == {"刑事案件", "审结", "结案率"}


def test_a_word_of_several_tokens_is_a_phrase_over_them():
    parsed = parse_query("教育质量市长奖", fieldnames=["text"])
    assert parsed.query == wq.Or([wq.Phrase("text", ["教育", "质量", "市长", "奖"])])
    assert parsed.terms == {"教育质量市长奖"}


@pytest.mark.parametrize(
    "text", ['"区委常委会第102次会议"', "“区委常委会第102次会议”", "「区委常委会第102次会议」"]
)
def test_quoted_text_is_a_phrase(text):
    parsed = parse_query(text, fieldnames=["text"])
    assert parsed.query == wq.Or([wq.Phrase("text", ["区委", "常委会", "第", "102", "次", "会议"])])
    assert parsed.phrases == ("区委常委会第102次会议",)


def test_or_joins_the_words_next_to_it():
    parsed = parse_query("许昌 OR 长葛 地震", fieldnames=["text"])
    assert parsed.query == wq.And(
        [
            wq.Or([wq.Or([wq.Term("text", "许昌")]), wq.Or([wq.Term("text", "长葛")])]),
            wq.Or([wq.Term("text", "地震")]),
        ]
    )


def test_minus_excludes_a_word_or_a_phrase():
    parsed = parse_query('地震 -许昌 －"华北平原"', fieldnames=["text"])
    assert isinstance(parsed.query, wq.AndNot)
    assert parsed.excluded == ("许昌", "华北平原")
    assert parsed.terms == {"地震"}


def test_field_boosts_apply_to_every_field_query():
    parsed = parse_query("地震")
    assert parsed.query == wq.Or([wq.Term("title", "地震", boost=3.0), wq.Term("text", "地震")])


def test_traditional_query_is_folded():
    assert parse_query("許昌德通", fieldnames=["text"]).terms == {"许昌德通"}


@pytest.mark.parametrize("text", ["", "   ", "\u3000", '""', "OR", "-地震", "（）：", "\x00\x1b"])
def test_nothing_to_search_for_is_flagged_empty(text):
    parsed = parse_query(text)
    assert parsed.empty
    assert parsed.query is wq.NullQuery


def test_long_query_is_cut_and_flagged():
    parsed = parse_query("地震" * 150)
    assert parsed.truncated and len(parsed.text) == MAX_QUERY_LENGTH
    assert not parse_query("地震" * 100).truncated


@pytest.mark.parametrize(
    "text",
    [
        '"unbalanced',
        "“未闭合",
        "(a OR b",
        "title:地震",
        "text:*",
        "地?震~2",
        "a\\b",
        "\\",
        "AND OR NOT",
        "-",
        '-"',
        "^3",
    ],
)
def test_query_syntax_is_taken_literally(text, corpus_index):
    parsed = parse_query(text)
    with corpus_index.searcher() as s:
        s.search(parsed.query)  # no parser, no error


def test_field_syntax_is_just_words():
    assert parse_query("title:地震", fieldnames=["text"]).terms == {"title", "地震"}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=250))
def test_any_text_parses_and_searches_without_error(text):
    parsed = parse_query(text)
    assert parsed.empty or parsed.terms or parsed.phrases
    ix = _tiny_index()
    with ix.searcher() as s:
        s.search(parsed.query)


_tiny = None


def _tiny_index():
    global _tiny
    if _tiny is None:
        schema = Schema(
            title=TEXT(analyzer=ChineseAnalyzer(), phrase=True),
            text=TEXT(analyzer=ChineseAnalyzer(), phrase=True),
        )
        _tiny = RamStorage().create_index(schema)
        with _tiny.writer() as w:
            w.add_document(title="地震", text="许昌处于华北地震区的华北平原地震带上")
    return _tiny


def test_normalize_drops_spaces_next_to_chinese_only():
    assert normalize("2020 年受理 718 件  PM2.5  Crushing 公司") == "2020年受理718件pm2.5 crushing公司"


# ---------------------------------------------------------------- the dev queries


def dev_queries():
    rows = DEV_QUERIES.read_text(encoding="utf-8").splitlines()[1:]
    return [tuple(row.split("\t")[:2]) for row in rows if row.strip()]


@pytest.mark.slow
@pytest.mark.parametrize(("text", "expected"), dev_queries())
def test_dev_query_finds_the_expected_text_in_the_top_ten(text, expected, corpus_index):
    hits = search(corpus_index, text)
    assert any(normalize(expected) in normalize(h) for h in hits), hits


@pytest.mark.slow
def test_whole_words_from_the_corpus_find_nearly_every_paragraph_that_has_them(corpus_index):
    # Recall against a brute-force substring scan, for strings of 1–3 whole words
    # taken from the corpus. Misses are segmentation differences in context, e.g.
    # 政治理论 has no 治理 token. Measured 0.991 with WORD_MODE "phrase".
    rng = random.Random(1)
    texts = paragraphs()
    normal = [normalize(t) for t in texts]
    samples = []
    while len(samples) < 150:
        segs = segment(rng.choice(texts), subwords=False)
        if len(segs) < 4:
            continue
        k = rng.randint(1, 3)
        i = rng.randrange(len(segs) - k)
        sample = normalize("".join(s.text for s in segs[i : i + k]))
        if re.fullmatch(r"[\u4e00-\u9fff]{2,}", sample):
            samples.append(sample)
    found = total = 0
    with corpus_index.searcher() as s:
        for sample in samples:
            truth = {i for i, t in enumerate(normal) if sample in t}
            got = {int(h["id"]) for h in s.search(parse_query(sample).query, limit=None)}
            total += len(truth)
            found += len(truth & got)
    assert found / total > 0.97


def test_word_mode_switch_builds_and_queries(monkeypatch):
    monkeypatch.setattr(query_module, "WORD_MODE", "and")
    parsed = parse_query("教育质量市长奖", fieldnames=["text"])
    assert parsed.query == wq.Or([wq.And([wq.Term("text", t) for t in ["教育", "质量", "市长", "奖"]])])
    assert parsed.terms == {"教育质量市长奖", "教育", "质量", "市长"}
