"""Heading forms and levels, each from one line."""

import pytest

from loaders import headings
from loaders.headings import Heading, assign_levels, classify, vertical_heading


@pytest.mark.parametrize(
    ("line", "title", "form"),
    [
        ("### 第一卷 地理", "第一卷 地理", "markdown"),
        ("###### 1949年", "1949年", "markdown"),
        ("第二编 经济", "第二编 经济", "编"),
        ("第三章 强化创新驱动，培育经济高质量发展新动能", "第三章 强化创新驱动，培育经济高质量发展新动能", "章"),
        ("第一节 总则", "第一节 总则", "节"),
        ("第四目 水利", "第四目 水利", "目"),
        ("第十二类 教育", "第十二类 教育", "类"),
        ("卷　十一", "卷十一", "卷"),
        ("第一編　地理", "第一編 地理", "编"),
        ("第二節 面積", "第二節 面積", "节"),
        ("巻二", "巻二", "卷"),
        ("一、2024年工作回顾", "一、2024年工作回顾", "numbered"),
        ("（一）提振信心稳定预期，全方位扩大有效需求", "（一）提振信心稳定预期，全方位扩大有效需求", "paren"),
    ],
)
def test_heading_forms(line, title, form):
    found = classify(line)
    assert (found.title, found.form) == (title, form)


def test_ranks_order_volume_chapter_section_item_and_numbers():
    ranks = [classify(t).rank for t in ["第一编 地理", "第一章 位置", "第一节 境域", "第一目 面积", "一、东部", "（一）平原"]]
    assert ranks == sorted(ranks) and len(set(ranks)) == 6


def test_levels_start_at_the_highest_form_a_text_uses():
    chapter_text = [classify(t).rank for t in ["第三章 人口", "第一节 数量", "一、总量", "第二节 构成"]]
    assert [assign_levels(chapter_text)[r] for r in chapter_text] == [1, 2, 3, 2]
    markdown = [classify(t).rank for t in ["### 第一卷", "#### 第一类", "##### 第一辑", "#### 第二类"]]
    assert [assign_levels(markdown)[r] for r in markdown] == [1, 2, 3, 2]


def test_a_run_in_heading_keeps_its_paragraph_apart():
    assert classify("（一）经济运行总体平稳、稳中有进。全年地区生产总值增长5.4%。") == Heading(
        "（一）经济运行总体平稳、稳中有进", headings.RANK_PAREN, "paren", "全年地区生产总值增长5.4%。"
    )
    assert classify("（二）聚力推进协同发展，打造高质量发展增长极") == Heading(
        "（二）聚力推进协同发展，打造高质量发展增长极", headings.RANK_PAREN, "paren", ""
    )


@pytest.mark.parametrize(
    "line",
    [
        "一、邑治旧未有志，凡山川、风土无从稽考。",  # a numbered item, a sentence on its own
        "第一次全体会议于3月召开。",
        "卷帘门厂",
        "1958年特大洪水冲毁堤坝",
        "",
    ],
)
def test_sentences_are_not_headings(line):
    assert classify(line) is None


def test_short_title_lines_only_when_asked():
    assert classify("自然环境") is None
    assert classify("自然环境", titles=True) == Heading("自然环境", headings.RANK_TITLE, "title")
    assert classify("各位代表：", titles=True) is None


def test_a_category_printed_down_the_page_is_one_heading():
    texts = ["区", "", "情", "概", "", "况", "", "", "区情概况综述。"]
    assert vertical_heading(texts, 0) == ("区情概况", 5)
    assert vertical_heading(["区", "区情概况综述。"], 0) is None
    assert vertical_heading(["区情", "概况"], 0) is None
