"""The speeches parser on the 长葛 volume and on short excerpts."""

from pathlib import Path

import pytest

from loaders import LoaderError, parse_files
from loaders.document import EntryKind
from loaders.speeches import UNTITLED, parse
from loaders.text import source_from_text

from .sources import cut

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
FILE = "changge-speeches-2020-2021.txt"
DATA = Path(__file__).resolve().parents[1] / "data" / "other"


@pytest.fixture(scope="module")
def document():
    return parse_files([CORPUS / FILE], "speeches")


@pytest.fixture(scope="module")
def speeches(document):
    return list(document.entries())


def test_all_speeches_are_in_one_section(document, speeches):
    assert [(s.title, s.level, len(s.entries)) for s in document.sections] == [("讲话", 1, 5)]
    assert document.kind == "speeches"
    assert {e.kind for e in speeches} == {EntryKind.SPEECH}


def test_every_title_speaker_and_date(speeches):
    assert [(e.title, e.speaker, e.speaker_title, e.date) for e in speeches] == [
        (UNTITLED, "", "", None),
        ("政府工作报告", "张晓丽", "人民政府代市长", "2021-07-17"),
        ("在市委十三届十一次全体会议暨全市领导干部会议上的讲话", "尹俊营", "市委书记", "2020-08-17"),
        ("在市委十三届十一次全体会议暨全市领导干部会议上的讲话", "张忠民", "人民政府市长", "2020-08-17"),
        (
            "在全市教育高质量发展三年攻坚推进暨2020年教育质量市长奖表彰大会上的讲话",
            "尹俊营",
            "市委书记",
            "2020-09-29",
        ),
    ]


def test_where_each_speech_stands(speeches):
    assert [(e.source_file, e.line_start, e.line_end) for e in speeches] == [
        (FILE, 3, 115),
        (FILE, 117, 313),
        (FILE, 315, 395),
        (FILE, 397, 483),
        (FILE, 485, 517),
    ]


def test_the_opening_text_without_title_is_kept(speeches):
    opening = speeches[0]
    assert opening.untitled is True
    assert opening.title == "（标题缺失）"
    assert opening.paragraphs[0].startswith("大改造项目 144 个，完成投资 168 亿元")
    assert opening.paragraphs[-1].startswith("同志们，新阶段、新目标、新征程")
    assert len(opening.paragraphs) == 39


def test_the_date_in_an_occasion_line_goes_into_the_subtitle(speeches):
    assert speeches[1].subtitle == "2021年7月17日在市十五届人大五次会议上"
    assert [e.subtitle for e in speeches[2:]] == ["", "", ""]


def test_speeches_with_one_title_keep_their_own_speakers(speeches):
    same = [e for e in speeches if e.title.startswith("在市委十三届十一次全体会议")]
    assert [e.speaker for e in same] == ["尹俊营", "张忠民"]
    assert same[0].paragraphs != same[1].paragraphs


def test_headings_inside_a_speech_stay_paragraphs(speeches):
    assert "二、准确把握形势，在融入大局大势中育先机开新局" in speeches[0].paragraphs
    assert "一、充分肯定成绩，坚定信心决心" in speeches[3].paragraphs
    assert [p for p in speeches[2].paragraphs if p.startswith(("一、", "二、", "三、"))] == [
        "一、认清形势，把握大势，增强做好“六稳”“六保”工作的责任感、紧迫感",
        "二、理清思路，明确方向，推动“六稳”“六保”工作落实落细",
        "三、加强领导，转变作风，为实现“六稳”“六保”提供坚强保证",
    ]


def test_paragraphs_cut_by_page_breaks_are_rejoined(speeches):
    joined = (
        "一是“稳”的压力依然较大。一方面，从宏观经济形势看，国外疫情不确定性仍然较大，对国际外循环体系的冲击"
    )
    assert any(p.startswith(joined) for p in speeches[0].paragraphs)
    assert any(
        p.startswith("这五年，我们的产业发展提质增效。连续7 年进入全国工业百强县")
        for p in speeches[1].paragraphs
    )
    # …but a heading never swallows the paragraph after it
    heading = "二、准确把握形势，在融入大局大势中育先机开新局"
    after = speeches[0].paragraphs[speeches[0].paragraphs.index(heading) + 1]
    assert after.startswith("当今世界正经历百年未有之大变局")


def test_header_lines_are_not_body_text(speeches):
    for speech in speeches[1:]:
        assert speech.title not in speech.paragraphs
        assert not any(p.startswith(("市委书记 ", "人民政府")) for p in speech.paragraphs)
    assert speeches[2].paragraphs[0] == "同志们："


def test_a_title_over_two_lines_and_a_date_with_a_note():
    source = source_from_text(
        "two-line.txt",
        "上一篇讲话的最后一段。\n\n在区委十四届九次全会暨全区领导干部会议\n\n上的讲话\n\n区长 李 朝锋\n\n"
        "(2020年4月29日,根据录音整理)\n\n同志们:\n\n今年以来，全区上下",
    )
    (opening, speech) = parse([source]).sections[0].entries
    assert opening.untitled and opening.paragraphs == ["上一篇讲话的最后一段。"]
    assert (speech.title, speech.speaker, speech.speaker_title) == (
        "在区委十四届九次全会暨全区领导干部会议上的讲话",
        "李朝锋",
        "区长",
    )
    assert (speech.date, speech.subtitle, speech.notes) == ("2020-04-29", "", ["根据录音整理"])
    assert (speech.line_start, speech.line_end) == (3, 13)
    assert speech.paragraphs == ["同志们:", "今年以来，全区上下"]


def test_a_volume_opening_with_a_title_has_no_untitled_entry():
    source = source_from_text(
        "s.txt",
        "政府工作报告\n2021 年 7 月 17 日在市十五届人大五次会议上\n人民政府代市长 张晓丽\n各位代表：\n",
    )
    (speech,) = parse([source]).sections[0].entries
    assert not speech.untitled
    assert speech.paragraphs == ["各位代表："]


def test_excerpt_file(tmp_path):
    document = parse_files([DATA / "speech-excerpt.txt"], "speeches")
    assert [(e.title, e.speaker, e.date) for e in document.entries()] == [
        ("在全市教育高质量发展三年攻坚推进暨2020年教育质量市长奖表彰大会上的讲话", "尹俊营", "2020-09-29")
    ]


@pytest.mark.parametrize("other", ["weidu-14th-five-year-plan.txt", "weidu-newspaper-2022-12.txt"])
def test_a_file_without_speeches_is_refused_with_what_was_expected(other):
    with pytest.raises(LoaderError) as error:
        parse_files([CORPUS / other], "speeches")
    assert str(error.value) == f"{other}: no speech found: expected a title, a speaker line and a date"


def test_a_speaker_line_without_a_date_is_not_a_speech():
    with pytest.raises(LoaderError, match="no speech found"):
        parse([source_from_text("x.txt", "讲话\n\n市委书记 尹俊营\n\n同志们：\n")])


def test_a_speech_cut_between_two_files_names_the_file_of_its_last_line():
    # The volume cut after line 60: the opening speech (lines 3–115) ends on line 55 of
    # the second file.
    entries = list(parse(cut(CORPUS / FILE, 60)).entries())
    assert [(e.source_file, e.line_start, e.source_file_end, e.line_end) for e in entries] == [
        ("changge-speeches-2020-2021-a.txt", 3, "changge-speeches-2020-2021-b.txt", 55),
        ("changge-speeches-2020-2021-b.txt", 57, "", 253),
        ("changge-speeches-2020-2021-b.txt", 255, "", 335),
        ("changge-speeches-2020-2021-b.txt", 337, "", 423),
        ("changge-speeches-2020-2021-b.txt", 425, "", 457),
    ]


def test_a_speech_in_one_file_names_no_second_file(speeches):
    assert [e.source_file_end for e in speeches] == [""] * 5


# -- work reports in the three layouts provincial and county governments publish --------

REPORTS = Path(__file__).resolve().parents[1] / "data" / "speeches"


@pytest.mark.parametrize(
    ("name", "speaker", "speaker_title", "date", "subtitle", "first", "paragraphs"),
    [
        ("report-dash-date.txt", "林青山", "县长", "2024-01-09", "2024年1月9日在青石县第十八届人民代表大会第三次会议上", 1, 11),
        (
            "report-merged-sentence.txt",
            "林青山",
            "青石县人民政府县长",
            "2024-01-10",
            "2024年1月10日在青石县第十八届人民代表大会第三次会议上",
            1,
            9,
        ),
        ("report-plain-date.txt", "林青山", "青石县县长", "2024-01-11", "2024年1月11日在青石县第十八届人民代表大会第三次会议上", 1, 10),
    ],
)
def test_work_reports_in_each_layout_give_speaker_and_date(
    name, speaker, speaker_title, date, subtitle, first, paragraphs
):
    (report,) = parse_files([REPORTS / name], "speeches").entries()
    assert (report.title, report.speaker, report.speaker_title, report.date, report.subtitle) == (
        "2024年青石县政府工作报告",
        speaker,
        speaker_title,
        date,
        subtitle,
    )
    assert (report.line_start, len(report.paragraphs)) == (first, paragraphs)
    assert report.paragraphs[0] == "各位代表："
    assert not any(p.startswith("来源") for p in report.paragraphs)


def test_a_bullet_line_starting_with_a_dash_stays_text():
    (report,) = parse_files([REPORTS / "report-dash-date.txt"], "speeches").entries()
    assert "——发展质量稳步提升。地区生产总值增长6.1%。" in report.paragraphs


def test_a_speech_running_into_the_next_file_names_that_file():
    first = source_from_text("a.txt", "政府工作报告\n2021年7月17日在县人大会议上\n县长 林青山\n各位代表：\n")
    second = source_from_text("b.txt", "现在，我代表县人民政府报告工作。\n")
    (report,) = parse([first, second]).entries()
    assert (report.source_file, report.line_start, report.source_file_end, report.line_end) == ("a.txt", 1, "b.txt", 1)


def test_a_merged_occasion_line_without_the_verb_still_names_the_speaker():
    text = "政府工作报告\n2024年1月10日在县第十八届人民代表大会第三次会议上 县人民政府县长 林青山\n各位代表：\n现在，我代表县人民政府报告工作。\n"
    (report,) = parse([source_from_text("r.txt", text)]).entries()
    assert (report.speaker, report.speaker_title, report.date) == ("林青山", "县人民政府县长", "2024-01-10")
