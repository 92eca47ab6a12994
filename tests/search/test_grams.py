"""The character n-gram field: every exact string found, none that is not there."""

import random

import pytest
from whoosh import query as wq
from whoosh.fields import ID, Schema
from whoosh.filedb.filestore import RamStorage

from gazetteer.search.analysis import configure
from gazetteer.search.grams import CHARS, GRAMS, gram_query, grams
from gazetteer.search.query import MAX_WORDS, NAME_SCORE, normalize, parse_query

LINES = [
    "许昌市魏都区颍汝干渠综合整治工程完工",
    "清潩河治理：累计 314 天无断流",
    "魏都慈善总会向魏都区政府捐赠",
    "全面提升教育质量",
    "推动教育高质量发展",
    "旧志所載𠀋字碑；PM2.5 浓度下降",
    "河",
]


@pytest.fixture(scope="module", autouse=True)
def configured(tmp_path_factory):
    configure(tmp_path_factory.mktemp("search-data"), ["颍汝干渠", "魏都区", "清潩河"])


@pytest.fixture(scope="module")
def index():
    ix = RamStorage().create_index(Schema(id=ID(stored=True), grams=GRAMS(), grams_chars=CHARS()))
    with ix.writer() as w:
        for i, line in enumerate(LINES):
            w.add_document(id=str(i), grams=line, grams_chars=line)
    return ix


def ids(ix, q):
    with ix.searcher() as s:
        return sorted(int(h["id"]) for h in s.search(q, limit=None))


def test_a_line_is_its_bigrams_at_consecutive_positions():
    assert list(grams("清潩河 治理")) == [("清潩", 0), ("潩河", 1), ("河治", 2), ("治理", 3)]


def test_lines_never_share_a_gram_and_a_phrase_cannot_run_across_them():
    assert list(grams("甲乙\n丙")) == [("甲乙", 0), ("丙", 3)]


def test_grams_are_folded_and_spaces_next_to_chinese_dropped():
    assert [g for g, _ in grams("累計 314 天")] == ["累计", "计3", "31", "14", "4天"]


def test_one_character_is_looked_up_in_the_character_field():
    assert gram_query("grams", "河") == wq.Term("grams_chars", "河")


def test_every_substring_of_every_line_finds_exactly_the_lines_that_contain_it(index):
    rng = random.Random(7)
    norm = [normalize(line) for line in LINES]
    for _ in range(300):
        line = rng.choice(norm)
        size = rng.randint(1, min(6, len(line)))
        start = rng.randrange(len(line) - size + 1)
        needle = line[start : start + size]
        expected = [i for i, text in enumerate(norm) if needle in text]
        assert ids(index, gram_query("grams", needle)) == expected, needle


@pytest.mark.parametrize(
    "needle, expected",
    [("颍汝", [0]), ("潩河", [1]), ("314天", [1]), ("慈善总会", [2]), ("区政府", [2]), ("教育质量", [3]),
     ("𠀋", [5]), ("pm2.5", [5]), ("河", [1, 6]), ("教育质", [3]), ("育高质", [4])],
)  # fmt: skip
def test_the_issues_strings_inside_words_are_found(index, needle, expected):
    assert ids(index, gram_query("grams", normalize(needle))) == expected


def test_a_word_matches_on_the_grams_and_ranks_on_the_word_fields():
    parsed = parse_query("颍汝", ["title", "text"], grams="grams", names=["speaker"])
    assert parsed.query == wq.Term("grams", "颍汝")
    # Ranked by the word fields (颍汝 is two tokens there: the sum of their scores) and
    # the speaker field.
    words = wq.Or([
        wq.Or([wq.Term("title", "颍"), wq.Term("title", "汝")], boost=3.0),
        wq.Or([wq.Term("text", "颍"), wq.Term("text", "汝")]),
    ])  # fmt: skip
    name = wq.ConstantScoreQuery(wq.Term("speaker", "颍汝"), NAME_SCORE)
    assert parsed.rank == wq.Or([wq.Or([words, name])])


def test_a_repeated_word_is_searched_once():
    parsed = parse_query("的 " * 100, grams="grams")
    assert (parsed.words, parsed.dropped) == (1, 0)
    assert parsed.query == wq.Term("grams_chars", "的")


def test_words_past_the_limit_are_dropped_and_counted():
    words = "一二三四五六七八九十甲乙丙丁"
    parsed = parse_query(" ".join(words), grams="grams")
    assert (parsed.words, parsed.dropped) == (MAX_WORDS, len(words) - MAX_WORDS)
    assert parsed.terms == set(words[:MAX_WORDS])
