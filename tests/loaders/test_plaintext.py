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
