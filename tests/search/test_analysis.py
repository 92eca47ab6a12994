"""The analyzer: folding, segmentation, positions, offsets and the user dictionary.

Each pitfall of jieba's own Whoosh analyzer (``jieba.analyse.ChineseAnalyzer``) has a test
here that shows the naive analyzer failing and ours passing.
"""

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.qparser import QueryParser

from gazetteer.search import analysis
from gazetteer.search.analysis import ChineseAnalyzer, configure, fold, segment, tokens
from gazetteer.search.query import contains_phrase, parse_query

REPO = Path(__file__).resolve().parents[2]
USER_WORDS = ["李朝锋", "颍汝干渠", "魏都区", ("杜晓辉", 2000)]

# Real paragraphs of the sample corpus (weidu-yearbook-2021, part 2 and part 1).
CRIMINAL_TRIALS = "【刑事审判】 2020年受理刑事案件718件，审结638件，结案率88.9%，移交涉黑恶线索6条。"
STANDING_COMMITTEE = (
    "【区委常委会议纪要】 1月27日，区委书记张书杰主持召开十四届区委常委会第102次会议。"
    "会议议题有1项：传达学习市委胡五岳书记在许昌市新型冠状病毒感染的肺炎疫情防控指挥部（扩大）会议上的讲话精神。"
)
SRI_LANKA = "16日 魏都区举行许昌德通赴斯里兰卡投资发展签约仪式。"
CAPTION = "12月5日，中宣部副部长傅华观看魏都区“糖豆妈妈讲故事”志愿服务项目展示"


@pytest.fixture(scope="module", autouse=True)
def configured(tmp_path_factory):
    configure(tmp_path_factory.mktemp("search-data"), USER_WORDS)


def naive_analyzer():
    import jieba
    import jieba.analyse

    jieba.setLogLevel(60)
    return jieba.analyse.ChineseAnalyzer()


def build_index(analyzer, texts):
    schema = Schema(id=ID(stored=True), text=TEXT(analyzer=analyzer, stored=True, phrase=True))
    ix = RamStorage().create_index(schema)
    with ix.writer() as w:
        for i, text in enumerate(texts):
            w.add_document(id=str(i), text=text)
    return ix


def naive_hits(ix, text):
    with ix.searcher() as s:
        return [h["id"] for h in s.search(QueryParser("text", ix.schema).parse(text))]


def our_hits(ix, text):
    with ix.searcher() as s:
        return [h["id"] for h in s.search(parse_query(text, fieldnames=["text"]).query)]


# ---------------------------------------------------------------- exact tokens


def test_query_mode_gives_the_precise_segmentation():
    assert tokens(CRIMINAL_TRIALS, mode="query") == [
        "刑事", "审判", "2020", "年", "受理", "刑事案件", "718", "件",
        "审结", "638", "件", "结案率", "88.9", "移", "交涉", "黑恶", "线索", "6", "条",
    ]  # fmt: skip
    # 移交涉黑恶 → 移 / 交涉 / 黑恶 is jieba's (wrong) reading; index and query share it.


def test_index_mode_adds_sub_words_after_their_token():
    assert tokens("16日 魏都区举行许昌德通赴斯里兰卡投资发展签约仪式。") == [
        "16", "日", "魏都区", "魏都", "都区", "举行", "许昌", "德通", "赴",
        "斯里兰卡", "斯里", "里兰", "兰卡", "投资", "发展", "签约", "仪式",
    ]  # fmt: skip


def test_numbers_with_inner_punctuation_are_one_token_with_their_parts_as_sub_words():
    assert tokens("PM2.5浓度下降，结案率88.9%，2020-2024年") == [
        "pm2.5", "pm2", "5", "浓度", "下降", "结案率", "结案", "案率",
        "88.9", "88", "9", "2020", "2024", "年",
    ]  # fmt: skip


def test_spaced_out_single_characters_in_lists_are_read_as_one_word():
    assert tokens("- 执行主编 王 焱", mode="query") == ["执行", "主编", "王焱"]
    assert tokens("特 载 在全区领导干部会议上的讲话", mode="query")[:2] == ["特载", "在"]


def test_spaces_between_numbers_and_chinese_do_not_change_the_tokens():
    assert tokens("2020 年受理刑事案件 718 件") == tokens("2020年受理刑事案件718件")


# ---------------------------------------------------------------- Whoosh protocol


def test_positions_are_sequential_and_sub_words_share_their_parent_position():
    got = [(t.text, t.pos) for t in ChineseAnalyzer()("区委常委会第102次会议", positions=True, mode="index")]
    assert got == [
        ("区委", 0), ("常委会", 1), ("常委", 1), ("委会", 1),
        ("第", 2), ("102", 3), ("次", 4), ("会议", 5),
    ]  # fmt: skip
    query = [(t.text, t.pos) for t in ChineseAnalyzer()("区委常委会", positions=True, mode="query")]
    assert query == [("区委", 0), ("常委会", 1)]


def test_character_offsets_point_into_the_original_text():
    text = "許昌德通赴斯里蘭卡，王 焱、ＰＭ２.５"
    got = {t.text: text[t.startchar : t.endchar] for t in ChineseAnalyzer()(text, chars=True)}
    assert got["许昌"] == "許昌"
    assert got["斯里兰卡"] == "斯里蘭卡"
    assert got["兰卡"] == "蘭卡"
    assert got["王焱"] == "王 焱"
    assert got["pm2.5"] == "ＰＭ２.５"


def test_tokenizer_honours_start_pos_start_char_keeporiginal_and_tokenize_false():
    ana = ChineseAnalyzer()
    got = [
        (t.text, t.pos, t.startchar, t.original)
        for t in ana("傅華观看", positions=True, chars=True, keeporiginal=True, start_pos=10, start_char=100)
    ]
    assert got == [("傅华", 10, 100, "傅華"), ("观看", 11, 102, "观看")]
    whole = [(t.text, t.original, t.pos) for t in ana("傅華 观看", tokenize=False, positions=True)]
    assert whole == [("傅华 观看", "傅華 观看", 0)]


def test_tokenizer_reuses_one_token_object():
    assert len({id(t) for t in ChineseAnalyzer()(SRI_LANKA)}) == 1


def test_analyzer_pickles_into_a_whoosh_schema():
    import pickle

    assert pickle.loads(pickle.dumps(ChineseAnalyzer())) == ChineseAnalyzer()


# ---------------------------------------------------------------- pitfall 2: phrases


def test_quoted_phrase_matches_only_with_sequential_positions():
    texts = [STANDING_COMMITTEE, CRIMINAL_TRIALS]
    assert naive_hits(build_index(naive_analyzer(), texts), '"区委常委会第102次会议"') == []
    assert our_hits(build_index(ChineseAnalyzer(), texts), '"区委常委会第102次会议"') == ["0"]


def test_phrase_of_words_out_of_order_does_not_match():
    ix = build_index(ChineseAnalyzer(), [STANDING_COMMITTEE])
    assert our_hits(ix, '"常委会区委"') == []
    assert our_hits(ix, '"十四届区委常委会"') == ["0"]


def test_contains_phrase_folds_both_sides():
    assert contains_phrase(STANDING_COMMITTEE, "十四屆區委常委會第102次會議")
    assert contains_phrase("2020 年受理刑事案件 718 件", "2020年受理刑事案件718件")
    assert not contains_phrase(STANDING_COMMITTEE, "区委常委会第103次会议")
    assert not contains_phrase(STANDING_COMMITTEE, " ")


# ---------------------------------------------------------------- pitfall 3: all of CJK, digits, Latin

RARE = "王𠀋明、㐀、豈出席5G基站建设推进会，PM2.5浓度下降，2020年受理案件718件。"


@pytest.mark.parametrize("query", ["𠀋", "㐀"])
def test_extension_ideographs_are_indexed(query):
    texts = [RARE, CRIMINAL_TRIALS]
    assert naive_hits(build_index(naive_analyzer(), texts), query) == []
    assert our_hits(build_index(ChineseAnalyzer(), texts), query) == ["0"]


@pytest.mark.parametrize("query", ["5G", "5g", "PM2.5", "pm2", "2020年", "718件", "豈", "岂"])
def test_numbers_latin_and_compatibility_ideographs_are_searchable(query):
    ix = build_index(ChineseAnalyzer(), [RARE, STANDING_COMMITTEE])
    assert our_hits(ix, query) == ["0"]


def test_number_with_unit_is_found_whatever_the_spacing():
    ix = build_index(ChineseAnalyzer(), ["审结 638 件，结案率88.9%", STANDING_COMMITTEE])
    assert our_hits(ix, "638件") == ["0"]
    assert our_hits(ix, "88.9") == ["0"]


def test_punctuation_is_dropped():
    assert tokens("（扩大）：“”、。——……!@#$%^&*()") == ["扩大"]


# ---------------------------------------------------------------- pitfall 4: traditional characters


@pytest.mark.parametrize("query", ["許昌德通", "斯里蘭卡", "傅華"])
def test_traditional_query_finds_simplified_text(query):
    texts = [SRI_LANKA, CAPTION, CRIMINAL_TRIALS]
    assert naive_hits(build_index(naive_analyzer(), texts), query) == []
    assert our_hits(build_index(ChineseAnalyzer(), texts), query) in (["0"], ["1"])


def test_fold_keeps_the_length_and_folds_width_and_case():
    text = "許昌ＰＭ２．５豈⼀Ａ　B"
    assert fold(text) == "许昌pm2.5岂一a b"
    assert len(fold(text)) == len(text)


def test_fold_keeps_the_length_where_opencc_would_change_it(monkeypatch):
    class Shortening:
        def convert(self, text):
            return text.replace("後來", "后")  # a phrase rule that changes the length

    monkeypatch.setattr(analysis, "_opencc", Shortening())
    assert fold("後來如此") == "後來如此"


# ---------------------------------------------------------------- pitfall 6: dictionary


def test_user_words_stay_whole():
    naive = [t.text for t in naive_analyzer()("西临颍汝干渠，区长李朝锋")]
    assert "颍汝干渠" not in naive  # jieba without the archive's names: 临颍 / 汝 / 干渠
    assert tokens("西临颍汝干渠，区长李朝锋", mode="query") == ["西临", "颍汝干渠", "区长", "李朝锋"]
    assert "魏都区" in tokens("魏都区政协主席杜晓辉", mode="query")


def test_configure_is_idempotent_and_thread_safe(tmp_path):
    words = [f"测试词{i}号" for i in range(50)]
    threads = [threading.Thread(target=configure, args=(tmp_path, words)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    configure(tmp_path, words)
    assert tokens("测试词7号", mode="query") == ["测试词7号"]


def test_configure_refuses_a_second_engine(tmp_path):
    other = "jieba" if analysis.engine_name() == "rjieba" else "rjieba"
    with pytest.raises(ValueError):
        configure(tmp_path, engine=other)


def test_user_dictionary_round_trips(tmp_path):
    path = tmp_path / "dict" / "names.txt"
    assert analysis.write_user_dict(path, ["李朝锋", ("颍汝干渠", 50), "李朝锋", " ", "两 个"]) == 2
    assert path.read_text(encoding="utf-8") == "李朝锋\n颍汝干渠 50\n"
    assert analysis.load_user_dict(path) == ["李朝锋", ("颍汝干渠", 50)]
    assert analysis.load_user_dict(tmp_path / "missing.txt") == []


@pytest.mark.slow
def test_jieba_engine_keeps_its_cache_in_the_data_dir_and_agrees_with_rjieba(tmp_path):
    # The engine is chosen once per process, and this process's segmenter may already
    # know the whole archive's words (the Django tests load the corpus), so each engine
    # runs in a child process with the same user words. jieba must write its cache into
    # the data dir and give the same tokens, sub-words, positions and offsets as rjieba,
    # for every paragraph of the corpus.
    texts = [RARE, "西临颍汝干渠，区长李朝锋"]
    for path in sorted((REPO / "corpus").glob("*.txt")):
        texts += [p for p in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")) if p.strip()]
    (tmp_path / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    script = (
        "import json, sys\n"
        "from gazetteer.search import analysis as a\n"
        "a.configure(sys.argv[1], json.loads(sys.argv[2]), engine=sys.argv[3])\n"
        "texts = json.load(open(sys.argv[1] + '/texts.json', encoding='utf-8'))\n"
        "print(json.dumps([a.segment(t) for t in texts]))\n"
    )

    def run(engine):
        out = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path), json.dumps(USER_WORDS), engine],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout)

    by_jieba = run("jieba")
    assert (tmp_path / "jieba.cache").exists()
    by_rjieba = run("rjieba")
    differing = [t[:40] for t, a, b in zip(texts, by_jieba, by_rjieba, strict=True) if a != b]
    assert differing == []


def test_importing_the_module_does_not_load_a_dictionary():
    script = (
        "import sys; import gazetteer.search.analysis; print('jieba' in sys.modules, 'rjieba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_segment_reports_sub_words():
    got = [(s.text, s.pos, s.sub) for s in segment("魏都区")]
    assert got == [("魏都区", 0, False), ("魏都", 0, True), ("都区", 0, True)]


def _space_runs_by_hand(text):
    """Every maximal run of white space with a CJK character right before or after it."""
    spans, i = [], 0
    while i < len(text):
        if not text[i].isspace():
            i += 1
            continue
        j = i
        while j < len(text) and text[j].isspace():
            j += 1
        if (i and analysis.is_cjk(text[i - 1])) or (j < len(text) and analysis.is_cjk(text[j])):
            spans.append((i, j))
        i = j
    return spans


@given(st.text(alphabet="许昌 \t\n\u3000\u00a0ab1，𠀀", max_size=40))
def test_space_runs_are_the_runs_next_to_cjk(text):
    assert analysis.space_runs(text) == _space_runs_by_hand(text)
