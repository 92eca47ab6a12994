"""Snippets and highlighting: found with the analyzer's folding, built from escaped text."""

import time
from pathlib import Path

import pytest

from gazetteer.search import analysis
from gazetteer.search.analysis import configure
from gazetteer.search.highlight import Terms, find_matches, highlight, snippet
from gazetteer.search.query import parse_query

REPO = Path(__file__).resolve().parents[2]
EARTHQUAKE = (
    "【地震】 许昌处于华北地震区的华北平原地震带上，许昌市区又处在许昌—太康断层、许昌—禹州断裂和"
    "坡湖—和尚桥断裂上，地壳磁场正负相间排列，变化剧烈，局部异常较多。"
)
CRIMINAL_TRIALS = "【刑事审判】 2020 年受理刑事案件 718 件，审结638件，结案率88.9%，移交涉黑恶线索6条。"


@pytest.fixture(scope="module", autouse=True)
def configured(tmp_path_factory):
    configure(tmp_path_factory.mktemp("search-data"), ["李朝锋", "魏都区"])


def test_haystack_style_highlighting_finds_nothing_in_chinese_but_ours_does():
    # What haystack's Whoosh backend does: re-analyse with a StemmingAnalyzer.
    from whoosh.analysis import StemmingAnalyzer
    from whoosh.highlight import ContextFragmenter, HtmlFormatter
    from whoosh.highlight import highlight as whoosh_highlight

    body = EARTHQUAKE.removeprefix("【地震】 ")  # a bracketed title alone it would find
    naive = whoosh_highlight(body, {"地震"}, StemmingAnalyzer(), ContextFragmenter(), HtmlFormatter())
    assert naive == ""
    assert snippet(body, parse_query("地震")).startswith(
        "许昌处于华北<mark>地震</mark>区的华北平原<mark>地震</mark>带"
    )


def test_text_is_escaped_and_only_marks_are_html():
    text = '<script>alert("x")</script> 地震 & 断层'
    assert highlight(text, {"地震"}) == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>地震</mark> &amp; 断层"
    )


def test_query_terms_that_look_like_html_are_escaped_too():
    assert highlight("a<b>c", parse_query("<b>")) == "a&lt;<mark>b</mark>&gt;c"


def test_traditional_query_marks_simplified_text_and_the_reverse():
    assert highlight("许昌德通赴斯里兰卡", parse_query("許昌德通 斯里蘭卡")) == (
        "<mark>许昌德通</mark>赴<mark>斯里兰卡</mark>"
    )
    assert highlight("許昌德通赴斯里蘭卡", parse_query("斯里兰卡")) == "許昌德通赴<mark>斯里蘭卡</mark>"


def test_matches_ignore_spaces_next_to_chinese():
    html = highlight(CRIMINAL_TRIALS, parse_query('"2020年受理刑事案件718件"'))
    assert "<mark>2020 年受理刑事案件 718 件</mark>" in html
    assert highlight("执行主编 王 焱", {"王焱"}) == "执行主编 <mark>王 焱</mark>"


def test_longer_terms_win_where_matches_overlap():
    assert highlight("魏都区委", {"魏都", "魏都区"}) == "<mark>魏都区</mark>委"


def test_terms_made_once_match_as_the_query_does():
    # A page's snippets share one Terms: folded, longest first, as each call made them.
    query = parse_query("魏都 魏都區 pm2.5")
    terms = Terms(query)
    text = "魏都区委和ＰＭ２.５"
    assert find_matches(text, terms) == find_matches(text, query) == [(0, 3, "魏都区"), (5, 10, "pm2.5")]
    assert snippet(text, terms) == snippet(text, query) == "<mark>魏都区</mark>委和<mark>ＰＭ２.５</mark>"
    assert Terms([]).pattern is None and find_matches(text, Terms(["  "])) == []


def test_latin_is_matched_case_and_width_insensitively():
    assert highlight("ＰＭ２.５和PM2.5", parse_query("pm2.5")) == "<mark>ＰＭ２.５</mark>和<mark>PM2.5</mark>"


def test_snippet_picks_the_window_with_most_distinct_terms():
    filler = "与本次查询无关的文字。" * 30
    text = filler + "地震一词。" + filler + "许昌处于华北地震区。" + filler
    got = snippet(text, parse_query("地震 许昌"), length=40)
    assert "<mark>许昌</mark>处于华北<mark>地震</mark>区" in got
    assert got.startswith("…") and got.endswith("…")


def test_snippet_is_about_the_requested_length_and_never_cuts_a_match():
    text = "甲" * 500 + "斯里兰卡" + "乙" * 500
    got = snippet(text, {"斯里兰卡"}, length=60)
    body = got.replace("<mark>", "").replace("</mark>", "").strip("…")
    assert len(body) == 60
    assert "<mark>斯里兰卡</mark>" in got


def test_snippet_without_a_match_is_the_start_of_the_text():
    assert snippet("甲乙丙丁" * 100, {"地震"}, length=8) == "甲乙丙丁甲乙丙丁…"
    assert snippet("短文 <b>", {"地震"}) == "短文 &lt;b&gt;"


def test_find_matches_returns_offsets_in_the_original_text():
    text = "許昌 德通，王 焱"
    assert [(text[s:e], t) for s, e, t in find_matches(text, {"许昌德通", "王焱"})] == [
        ("許昌 德通", "许昌德通"),
        ("王 焱", "王焱"),
    ]


def test_snippet_does_not_segment_the_document_and_is_fast(monkeypatch):
    text = (REPO / "corpus" / "weidu-yearbook-2021.part2.txt").read_text(encoding="utf-8")[20000:30000]
    parsed = parse_query("魏都区 区委常委会 刑事案件")

    def no_segmentation(*args, **kwargs):
        raise AssertionError("the document was segmented")

    monkeypatch.setattr(analysis, "_iter_segments", no_segmentation)
    timings = []
    for _ in range(7):
        start = time.perf_counter()
        got = snippet(text, parsed)
        timings.append(time.perf_counter() - start)
    assert "<mark>魏都区</mark>" in got
    assert sorted(timings)[3] < 0.005  # median, for a 10,000-character document


def test_a_match_longer_than_the_snippet_is_shown_whole():
    text = "甲" * 50 + "许昌德通赴斯里兰卡投资发展签约仪式" + "乙" * 50
    assert snippet(text, {"许昌德通赴斯里兰卡投资发展签约仪式"}, length=10) == (
        "…<mark>许昌德通赴斯里兰卡投资发展签约仪式</mark>…"
    )
