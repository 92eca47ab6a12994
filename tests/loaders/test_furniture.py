"""Page and web furniture: recognised, dropped, and page numbers kept as pages."""

from pathlib import Path

import pytest

from loaders.document import Document
from loaders.furniture import clean, clean_sources, furniture_kind, page_number
from loaders.text import Line, read_source, source_from_text

DATA = Path(__file__).resolve().parents[1] / "data" / "furniture"


def lines_of(text: str, name: str = "t.txt") -> list[Line]:
    return source_from_text(name, text).lines()


@pytest.mark.parametrize(
    ("line", "page"),
    [("P. 20", 20), ("P20", 20), ("- 20 -", 20), ("— 133 —", 133), ("第20页", 20), ("<pb:KR2k0014_WYG_001-3b>", 3)],
)
def test_printed_page_numbers_are_read(line, page):
    assert page_number(line) == page


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("首页 要闻 政务公开 办事服务 互动交流", "navigation bar"),
        ("来源：青石县人民政府网", "source line"),
        ("发布时间：2023-05-12 09:30  来源：应急管理局", "source line"),
        ("2023-05-12 09:30", "date line"),
        ("字号:【大 中 小】", "web tool bar"),
        ("【字体：大 中 小】【打印】【关闭】", "web tool bar"),
        ("分享到：", "web tool bar"),
        ("打印本页 关闭窗口", "web tool bar"),
        ("# source: github.com/x/y@abc:z.txt (whole file)", "comment"),
        ("#+PROPERTY: JUAN 卷一", "comment"),
        ("# -*- mode: mandoku-view; -*-", "comment"),
        ("# 第一章 建置", None),
        ("资料来源：县统计局", None),
        ("2020年3月5日", None),
        ("2020-03-05 县委召开全会，部署全年工作。", None),
        ("首页", None),
    ],
)
def test_what_is_furniture(line, what):
    assert furniture_kind(line) == what


def test_a_web_page_keeps_only_its_title_and_text():
    cleaned = clean_sources([read_source(DATA / "web-page.txt")])
    assert [(ln.number, ln.text) for ln in cleaned.lines if ln.text] == [
        (3, "青石县召开2023年防汛工作会议"),
        (6, "5月11日，青石县召开2023年防汛工作会议，安排部署今年防汛工作。"),
        (7, "会议要求，各乡镇要压实防汛责任，做好应急物资储备，"),
        (8, "确保安全度汛。"),
    ]
    assert [(ln.number, what) for ln, what in cleaned.dropped] == [
        (1, "navigation bar"),
        (2, "web tool bar"),
        (4, "source line"),
        (5, "web tool bar"),
        (9, "web tool bar"),
        (10, "web tool bar"),
    ]


def test_flipbook_page_numbers_become_pages_and_running_heads_go():
    cleaned = clean_sources([read_source(DATA / "flipbook.txt")])
    kept = [(ln.number, ln.text[:6], cleaned.page(ln)) for ln in cleaned.lines if ln.text]
    assert kept == [
        (3, "3月", 20),
        (4, "2日 县委召", 20),
        (5, "5日—6日 ", 20),
        (8, "听取有关部门", 21),
        (9, "17日 县政", 21),
        (12, "4月", 22),
        (13, "1日 青石县", 22),
    ]
    assert sorted({what for _, what in cleaned.dropped}) == ["page number", "running head"]
    # Line numbers stay those of the file: the page lines are blank, not removed.
    assert len(cleaned.lines) == len(read_source(DATA / "flipbook.txt").lines())


def test_a_page_number_is_never_glued_to_the_next_line():
    cleaned = clean(lines_of("3月上旬，全县开展植树活动\nP. 20\n17日 县政府召开常务会议。\n"))
    assert [ln.text for ln in cleaned.lines] == ["3月上旬，全县开展植树活动", "", "17日 县政府召开常务会议。", ""]


def test_bare_numbers_are_pages_only_between_pages():
    text = "第一段正文。\n\n12\n\n第二段正文。\n13\n第三段正文。\n\t7\n2020\n年产量增长。\n"
    cleaned = clean(lines_of(text))
    assert [(ln.number, what) for ln, what in cleaned.dropped] == [(3, "page number"), (6, "page number")]
    assert [ln.text for ln in cleaned.lines if ln.text] == ["第一段正文。", "第二段正文。", "第三段正文。", "\t7", "2020", "年产量增长。"]


def test_mandoku_pilcrows_and_page_breaks():
    text = "#+PROPERTY: JUAN 卷一\n<pb:KR2k0014_WYG_001-1a>¶\n　　州郡沿革¶\n徽州新安郡¶\n<pb:KR2k0014_WYG_001-1b>¶\n廣徳王國¶\n"
    cleaned = clean(lines_of(text))
    assert [(ln.text.strip(), cleaned.page(ln)) for ln in cleaned.lines if ln.text] == [
        ("州郡沿革", 1),
        ("徽州新安郡", 1),
        ("廣徳王國", 1),
    ]


def test_interleaved_columns_are_warned_about_not_fixed():
    rows = [
        f"全县粮食总产量达到{n}万吨比上年增长      县城新建道路{n}条总长度达到二十公里"
        for n in range(1, 7)
    ]
    doc = Document(kind="text")
    cleaned = clean(lines_of("标题\n" + "\n".join(rows) + "\n"), doc.warn)
    assert [(w.line, w.message) for w in doc.warnings] == [
        (2, "text looks interleaved from two printed columns; read it against the original")
    ]
    assert cleaned.lines[1].text == rows[0]


@pytest.mark.parametrize("kind", ["chronicle", "text", "gazetteer"])
def test_every_kind_reads_past_the_page_lines(kind):
    from loaders import parse_sources

    text = "3月\n\n5日 县政府召开常务会议，研究春耕\nP. 20\n生产工作。\n\n17日 县委召开全会。\n- 21 -\n"
    doc = parse_sources([source_from_text("c.txt", text)], kind, year_covered=2020)
    paragraphs = [p for e in doc.entries() for p in e.paragraphs]
    assert not any("P." in p or "21" in p or "2017" in p for p in paragraphs), paragraphs
    assert paragraphs[-2:] in (
        ["5日 县政府召开常务会议，研究春耕生产工作。", "17日 县委召开全会。"],
        ["3月5日 县政府召开常务会议，研究春耕生产工作。", "17日 县委召开全会。"],
    )


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("上一篇：县政府召开常务会议", "web tool bar"),
        ("浏览次数：1024", "web tool bar"),
        ("扫一扫在手机打开当前页", "web tool bar"),
        ("版权所有：青石县人民政府办公室", "web tool bar"),
        ("主办单位：青石县人民政府", "web tool bar"),
    ],
)
def test_web_page_footers_are_furniture(line, what):
    assert furniture_kind(line) == what


@pytest.mark.parametrize(("line", "page"), [("第 20 页 共 300 页", 20), ("20 / 300", 20)])
def test_viewer_pagers_are_page_numbers(line, page):
    assert page_number(line) == page
