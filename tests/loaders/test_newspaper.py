"""The newspaper parser on the 魏都 page of December 2022."""

from pathlib import Path

import pytest

from loaders import LoaderError, parse_files
from loaders.document import Caption, EntryKind
from loaders.newspaper import parse
from loaders.text import read_source, source_from_text

from .sources import cut

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
FILE = "weidu-newspaper-2022-12.txt"

HEADLINES = [
    "中国共产党许昌市魏都区第十五届委员会第三次全体会议举行",
    "魏都区:“联院帮户”精准发力 推动“新十条”落细落实",
    "老吴营社区:清理河道垃圾,寨河变“幸福河”",
    "李朝峰主持召开十五届区委常委会第51次会议",
    "魏都区召开贯彻落省委书记经济工作会议精神讨论会",
    "魏都区召开政通可优数字产业园项目专题协调会",
    # photo news: titled with their first clause, marked untitled
    "魏都区举行“关爱你我他(她)·温暖千万家”行动专项募捐仪式",
    "魏都区文峰街道游园社区携手共建单位许昌市档案馆",
    "魏都区文峰街道毓秀社区党总支组织开展“深入学习贯彻党的二十大精神”主题活动",
]


@pytest.fixture(scope="module")
def document():
    return parse_files([CORPUS / FILE], "newspaper")


@pytest.fixture(scope="module")
def articles(document):
    return list(document.entries())


def test_one_section_for_the_page(document, articles):
    assert [(s.title, s.level) for s in document.sections] == [("版面", 1)]
    assert len(articles) == 9
    assert {a.kind for a in articles} == {EntryKind.ARTICLE}


def test_the_issue_date_is_left_to_the_manifest(document):
    assert document.date is None
    assert document.warnings == []


def test_every_headline(articles):
    assert [a.title for a in articles] == HEADLINES
    assert [a.untitled for a in articles] == [False] * 6 + [True] * 3


def test_kicker_and_subtitle(articles):
    assert articles[0].kicker == "认真学习贯彻党的二十大精神"
    assert articles[0].subtitle == "高质量建设城乡融合共同富裕先行试验区 全面开创社会主义现代化魏都建设新局面"
    assert [(a.kicker, a.subtitle) for a in articles[1:]] == [("", "")] * 8


def test_every_byline(articles):
    assert [a.authors for a in articles] == [
        ["许廷合", "丁姜岚"],
        ["许廷合", "王若晖"],
        ["许廷合", "杨志勇"],
        [],
        [],
        [],
        ["许廷合"],
        ["许廷合"],
        ["许廷合"],
    ]


def test_bylines_are_taken_out_of_the_text(articles):
    assert (
        articles[0]
        .paragraphs[0]
        .startswith("12月17日上午,中国共产党许昌市魏都区第十五届委员会第三次全体会议召开。")
    )
    for article in articles:
        assert not any("本报记者" in p or "本报讯" in p for p in article.paragraphs)


def test_source_tags(articles):
    assert [a.source_tag for a in articles] == ["", "", "", "魏宣", "魏宣", "魏宣", "", "", ""]
    assert not any("(魏宣)" in p for a in articles for p in a.paragraphs)
    assert articles[4].paragraphs[-1].endswith("有力推动全区经济社会高质量高效率发展。")


def test_dates_from_the_datelines(articles):
    assert [a.date for a in articles] == [
        "2022-12-17",
        "2022-12-19",
        "2022-12-19",
        "2022-12-16",
        "2022-12-19",
        None,  # 日前
        "2022-12-14",
        "2022-12-16",
        "2022-12-15",
    ]


def test_a_year_given_overrides_the_one_the_text_names():
    document = parse([read_source(CORPUS / FILE)], year=2021)
    assert next(document.entries()).date == "2021-12-17"


def test_without_any_year_dates_stay_empty_with_a_warning():
    source = source_from_text("p.txt", "标题一则\n\n12月3日,某社区开展活动。\n")
    document = parse([source])
    assert next(document.entries()).date is None
    # At the text's first line, like every warning: a file and a line to look at.
    assert [(w.file, w.line, w.message) for w in document.warnings] == [
        ("p.txt", 1, "no year in the text: article dates left empty")
    ]


def test_photo_captions_are_credited_and_taken_out_of_the_text(articles):
    assert articles[0].captions == [
        Caption("12月17日,中国共产党许昌市魏都区第十五届委员会第三次全体会议召开。", "侯聪", 19)
    ]
    assert articles[1].captions == [
        Caption("魏都区“联院帮户”区直单位下沉干部为小区居民讲解疫情防控“新十条”内容。", "许廷合", 51)
    ]
    for article in articles[:6]:
        assert not any(p.endswith("摄") for p in article.paragraphs)
        for caption in article.captions:
            assert caption.text not in article.text


def test_text_a_caption_interrupted_is_rejoined(articles):
    assert any("确保中央、省委、市委各项决策部署在魏都区落地生根" in p for p in articles[0].paragraphs)
    assert any(
        "采取‘四不两直’的方式" in p and "防控宣传工作进行实地督导" in p for p in articles[1].paragraphs
    )


def test_photo_news_items_are_articles_with_their_credit(articles):
    photo = articles[6]
    assert photo.paragraphs == [photo.captions[0].text]
    assert photo.paragraphs[0].startswith("12月14日,魏都区举行“关爱你我他(她)·温暖千万家”行动专项募捐仪式")
    assert photo.paragraphs[0].endswith("图为当日募捐现场,广大党员干部踊跃捐款。")
    assert [(a.captions[0].credit, a.line_start, a.line_end) for a in articles[6:]] == [
        ("许廷合", 110, 112),
        ("许廷合", 116, 118),
        ("许廷合", 122, 124),
    ]


def test_headlines_split_over_lines_are_rejoined(articles):
    assert (articles[3].line_start, articles[3].line_end) == (77, 84)
    assert (articles[4].line_start, articles[4].line_end) == (86, 98)
    assert articles[4].paragraphs[0].startswith("12月19日,魏都区召开贯彻落省委书记经济工作会议精神讨论会,")


def test_nothing_of_the_page_is_lost(articles):
    text = "".join(a.title + a.kicker + a.subtitle + a.text for a in articles)
    for line in read_source(CORPUS / FILE).text.split("\n"):
        line = line.strip()
        for removed in ("本报记者", "本报讯", "(魏宣)", " 摄"):
            if removed in line:
                break
        else:
            assert line in text


def test_short_lines_inside_an_article_are_not_headlines(articles):
    assert any(p.startswith("老吴营社区位于我市西北部,东临八一路") for p in articles[2].paragraphs)
    assert any(p.startswith("李朝峰在讲话中要求,一是提振信心。") for p in articles[4].paragraphs)


def test_a_page_opening_inside_an_article_keeps_that_text():
    source = source_from_text(
        "p.txt", "上期续文,工作全面完成。\n\n新闻标题\n\n12月3日,某社区开展活动。2022年\n"
    )
    first, second = parse([source]).sections[0].entries
    assert (first.title, first.untitled, first.paragraphs) == (
        "（标题缺失）",
        True,
        ["上期续文,工作全面完成。"],
    )
    assert (second.title, second.date) == ("新闻标题", "2022-12-03")


def test_a_file_without_articles_is_refused():
    with pytest.raises(LoaderError) as error:
        parse_files([CORPUS / "weidu-14th-five-year-plan.txt"], "newspaper")
    assert "no article found: expected a headline followed by a byline or a dateline" in str(error.value)
    assert "weidu-14th-five-year-plan.txt" in str(error.value)


def test_a_credit_on_its_own_line_with_two_photographers():
    text = "标题\n\n本报记者 许廷合\n\n正文第一段。\n\n社区干部上门服务。\n\n许廷合 侯聪 摄\n\n正文第二段。\n"
    (article,) = parse([source_from_text("p.txt", text)]).sections[0].entries
    assert article.captions == [Caption("社区干部上门服务。", "许廷合、侯聪", 7)]
    assert article.paragraphs == ["正文第一段。", "正文第二段。"]
    assert article.authors == ["许廷合"]


def test_an_article_cut_between_two_files_names_the_file_of_its_last_line():
    # The page cut after line 11, in the first article (lines 5–33).
    first, second, *_ = parse(cut(CORPUS / FILE, 11)).entries()
    assert (first.source_file, first.line_start, first.source_file_end, first.line_end) == (
        "weidu-newspaper-2022-12-a.txt",
        5,
        "weidu-newspaper-2022-12-b.txt",
        22,
    )
    assert first.kicker == "认真学习贯彻党的二十大精神"
    assert (second.source_file, second.line_start, second.source_file_end) == ("weidu-newspaper-2022-12-b.txt", 24, "")
