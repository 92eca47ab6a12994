"""The plain-text fallback parser (--kind text)."""

import re
from pathlib import Path

import pytest

from loaders import LoaderError, parse_files
from loaders.document import EntryKind
from loaders.plaintext import UNTITLED, is_heading, parse
from loaders.text import Source, source_from_text

from .sources import cut

CORPUS = Path(__file__).resolve().parents[2] / "corpus"

TEXT = """魏都区概况

魏都区地处许昌市中心城区，

是许昌市的政治、经济、文化中心。

第一章 历史沿革

一、建置

魏都区古称许，东汉末年为曹魏都城。

二、区划调整

2020年，全区辖12个街道办事处。
"""


def test_paragraphs_are_grouped_under_their_headings():
    document = parse([source_from_text("note.txt", TEXT)])
    assert document.kind == "text"
    assert [(s.title, s.level, [e.paragraphs for e in s.entries]) for s in document.walk()] == [
        ("魏都区概况", 1, [["魏都区地处许昌市中心城区，是许昌市的政治、经济、文化中心。"]]),
        ("第一章 历史沿革", 1, []),
        ("一、建置", 2, [["魏都区古称许，东汉末年为曹魏都城。"]]),
        ("二、区划调整", 2, [["2020年，全区辖12个街道办事处。"]]),
    ]
    assert [s.title for s in document.sections] == ["魏都区概况", "第一章 历史沿革"]
    entries = list(document.entries())
    assert {e.kind for e in entries} == {EntryKind.TEXT}
    assert [(e.title, e.line_start, e.line_end) for e in entries] == [
        ("魏都区概况", 1, 5),
        ("一、建置", 9, 11),
        ("二、区划调整", 13, 15),
    ]


def test_text_before_the_first_heading_is_an_untitled_entry():
    document = parse([source_from_text("n.txt", "开头一段正文。\n\n小结\n\n最后一段。\n")])
    first = next(document.entries())
    assert (first.title, first.untitled, first.paragraphs) == (UNTITLED, True, ["开头一段正文。"])


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("第三章 强化创新驱动，培育经济高质量发展新动能", True),
        ("一、准确把握形势，在融入大局大势中育先机开新局", True),
        ("政府工作报告", True),
        ("各位代表：", False),
        ("老吴营社区位于我市西北部,东", False),
        ("这五年，我们的产业发展提质增效。连续", False),
        ("许廷合 摄", False),
        ("- 主 任 何长成 区政府区长", False),
        ("2015年", False),
    ],
)
def test_what_reads_as_a_heading(line, heading):
    assert is_heading(line) is heading


def test_tab_indented_cells_and_bookmarks():
    source = Source("t.txt", "[bookmark: _Toc1]第一节 总则\n\t序号\n\t指标\n正文。", "utf-8")
    (section,) = parse([source]).sections
    assert section.title == "第一节 总则"
    assert section.entries[0].paragraphs == ["序号", "指标", "正文。"]


def test_an_empty_text_is_refused():
    with pytest.raises(LoaderError, match="no text found"):
        parse([Source("blank.txt", "\n\n  \n", "utf-8")])


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.txt")), ids=lambda p: p.name)
def test_every_corpus_file_loads_as_text_without_losing_a_line(path):
    document = parse_files([path], "text")
    kept = "".join(s.title for s in document.walk()) + "".join(e.text for e in document.entries())
    kept = re.sub(r"\s", "", kept)
    source_lines = path.read_text(encoding="utf-8-sig").split("\n")
    missing = [
        line for line in source_lines if re.sub(r"\s", "", line) not in kept and "bookmark" not in line
    ]
    assert missing == []


def test_a_text_cut_between_two_files_names_the_file_of_its_last_line():
    # The 长葛 speeches cut after line 60, inside the part headed 三、聚焦目标任务… (line 39).
    doc = parse(cut(CORPUS / "changge-speeches-2020-2021.txt", 60))
    spanning = [(e.title, e.source_file, e.line_start, e.source_file_end, e.line_end) for e in doc.entries() if e.source_file_end]
    assert spanning == [
        (
            "三、聚焦目标任务，奋力在社会主义现代化建设中走在前列",
            "changge-speeches-2020-2021-a.txt",
            39,
            "changge-speeches-2020-2021-b.txt",
            19,
        )
    ]


# -- headings of other counties' texts ---------------------------------------------------

GAZETTEER = Path(__file__).resolve().parents[1] / "data" / "gazetteer"


def test_markdown_headings_nest_the_sections_and_nothing_else_is_a_heading():
    text = "### 第一卷 地理\n\n#### 第一类 位置\n\n自然环境良好。\n\n    全县位于省境西部。\n\n#### 第二类 地貌\n\n    地势西高东低。\n"
    document = parse([source_from_text("m.md.txt", text)])
    assert [(s.level, s.title, [e.paragraphs for e in s.entries]) for s in document.walk()] == [
        (1, "第一卷 地理", []),
        (2, "第一类 位置", [["自然环境良好。", "全县位于省境西部。"]]),
        (2, "第二类 地貌", [["地势西高东低。"]]),
    ]


def test_a_gazetteer_chapter_is_split_at_its_bian_zhang_jie():
    document = parse_files([GAZETTEER / "chapter-bian-zhang-jie.txt"], "text")
    assert [(s.level, s.title) for s in document.walk()] == [
        (1, "第三编 经济"),
        (2, "第一章 农业"),
        (3, "第一节 种植业"),
        (4, "一、粮食作物"),
        (4, "二、经济作物"),
        (3, "第二节 畜牧业"),
        (4, "第一目 家禽"),
        (2, "第二章 工业"),
    ]
    assert max(len(e.text) for e in document.entries()) < 120
    assert [e.page for e in document.entries()] == [133, 133, 133, 134, 134, 134]


def test_committee_lists_and_slogans_do_not_become_sections():
    text = (
        "编纂委员会\n\n主　任　张大明\n副主任　李小红　王　刚\n委　员　赵　一　钱　二　孙　三\n\n"
        "不忘初心\n牢记使命\n\n编辑说明\n\n本书记述全县2020年的基本情况。\n"
    )
    document = parse([source_from_text("c.txt", text)])
    assert [s.title for s in document.walk()] == ["编纂委员会", "编辑说明"]
    assert document.sections[0].entries[0].paragraphs == [
        "主 任 张大明",
        "副主任 李小红 王 刚",
        "委 员 赵 一 钱 二 孙 三",
        "不忘初心牢记使命",
    ]


def test_an_entry_that_runs_into_the_next_file_names_that_file():
    first = source_from_text("a.txt", "第一章 总述\n\n全县位于省境西部，\n")
    second = source_from_text("b.txt", "地势西高东低。\n")
    (entry,) = parse([first, second]).entries()
    assert (entry.source_file, entry.line_start, entry.source_file_end, entry.line_end) == ("a.txt", 1, "b.txt", 1)
    assert entry.paragraphs == ["全县位于省境西部，地势西高东低。"]


def test_web_furniture_never_reaches_the_text():
    document = parse_files([Path(__file__).resolve().parents[1] / "data" / "furniture" / "web-page.txt"], "text")
    assert [(s.title, [e.paragraphs for e in s.entries]) for s in document.walk()] == [
        (
            "青石县召开2023年防汛工作会议",
            [["5月11日，青石县召开2023年防汛工作会议，安排部署今年防汛工作。", "会议要求，各乡镇要压实防汛责任，做好应急物资储备，确保安全度汛。"]],
        )
    ]
