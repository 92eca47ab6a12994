"""The plan parser on the 魏都区 14th five-year plan outline."""

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from loaders import LoaderError, parse_files
from loaders.document import EntryKind
from loaders.plan import parse
from loaders.text import Source, source_from_text

from .sources import cut

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
FILE = "weidu-14th-five-year-plan.txt"
EXCERPT = Path(__file__).resolve().parents[1] / "data" / "other" / "plan-table-excerpt.txt"

CHAPTERS = [
    "第一章 开启全面建设现代化新征程",
    "第二章 未来五年发展蓝图和2035年远景目标",
    "第三章 强化创新驱动，培育经济高质量发展新动能",
    "第四章 加快制造业转型升级，构建工业梯次发展新图景",
    "第五章 加快服务业提档升级，拓展消费市场新空间",
    "第六章 完善基础设施，厚植城市发展新优势",
    "第七章 推进新型城镇化，构建宜居城市新格局",
    "第八章 加快绿色发展 建设美丽和谐新家园",
    "第九章 推进改革开放 激发对内对外发展新活力",
    "第十章 改善人民生活质量，实现人民幸福感获得新提升",
    "第十一章 统筹做好发展和安全，构建现代社会治理新格局",
    "第十二章 强化规划实施保障，为实现“十四五”规划提供坚强保证",
]

JIE = [
    ["第一节 决胜全面建成小康社会取得决定性成就", "第二节 “十四五”发展机遇与挑战"],
    [
        "第一节 指导思想",
        "第二节 发展定位",
        "第三节 基本原则",
        "第四节 “十四五”时期经济社会发展目标",
        "第五节 二〇三五年的远景目标",
        "第六节 战略导向",
    ],
    [
        "第一节 提升自主创新能力",
        "第二节 搭建创新创业平台",
        "第三节 构筑人才集聚高地",
        "第四节 完善创新体制机制",
    ],
    ["第一节 锚定高质量发展方向", "第二节 壮大现代制造业发展梯队", "第三节 打造空间核心增长极"],
    [
        "第一节 坚持数字经济赋能发展",
        "第二节 重点培育四大主导产业",
        "第三节 巩固提升传统优势产业",
        "第四节 大力发展新兴成长产业",
        "第五节 打造高品质服务业商圈",
    ],
    ["第一节 畅通城市交通", "第二节 构建和谐的现代水网体系", "第三节 加快新型信息基础设施建设"],
    [
        "第1节 高标准打造双创宜居示范区",
        "第二节 加快城乡融合示范区建设",
        "第三节 加快老旧小区改造",
        "第四节 塑造城市文化风貌",
        "第五节 提升城市治理水平",
    ],
    [
        "第一节 持续改善环境质量",
        "第二节 提升生态系统质量",
        "第三节 持续推进绿色低碳循环发展",
        "第四节 健全生态治理体系",
    ],
    [
        "第一节 加快城乡融合发展试验区改革",
        "第二节 持续优化营商环境",
        "第三节 以开放促发展",
        "第四节 创新投融资机制",
        "第五节 扩内需促消费",
    ],
    [
        "第1节 推进更高质量充分就业",
        "第2节 加快推进魏都教育现代化",
        "第3节 建设健康新魏都",
        "第4节 建成现代化养老体系",
        "第5节 完善覆盖全民的社会保障体系",
    ],
    ["第1节 全面推进法治建设", "第2节 加强社会治理创新", "第3节 维护社会大局稳定", "第4节 筑牢公共安全底板"],
    [
        "第一节 提高党领导发展的能力水平",
        "第二节 营造风清气正政治生态",
        "第三节 广泛凝聚各方智慧力量",
        "第四节 确保“十四五”规划目标任务落实",
    ],
]


@pytest.fixture(scope="module")
def document():
    return parse_files([CORPUS / FILE], "plan")


@pytest.fixture(scope="module")
def tables(document):
    return {t.caption: (e, t) for e in document.entries() for t in e.tables}


def test_preface_then_twelve_chapters_as_level_one_sections(document):
    assert [s.title for s in document.sections] == ["前言"] + CHAPTERS
    assert {s.level for s in document.sections} == {1}
    assert all(not s.children for s in document.sections)


def test_every_jie_in_order_under_its_chapter(document):
    for section, expected in zip(document.sections[1:], JIE, strict=True):
        lead, *jie = section.entries
        assert lead.title == section.title  # the text before the first 节
        assert [e.title for e in jie] == expected
    assert sum(len(titles) for titles in JIE) == 50


def test_entries_are_chapters_with_their_lines(document):
    entries = list(document.entries())
    assert len(entries) == 1 + 12 + 50
    assert {e.kind for e in entries} == {EntryKind.CHAPTER}
    assert [(e.title, e.line_start, e.line_end) for e in entries[:4]] == [
        ("前言", 1, 2),
        ("第一章 开启全面建设现代化新征程", 4, 4),
        ("第一节 决胜全面建成小康社会取得决定性成就", 5, 361),
        ("第二节 “十四五”发展机遇与挑战", 366, 370),
    ]
    assert all(e.paragraphs for e in entries)
    assert all(e.source_file == FILE for e in entries)


def test_the_text_under_a_chapter_before_its_first_jie_is_an_entry(document):
    lead = document.sections[2].entries[0]
    assert lead.paragraphs == [
        "按照党的十九大确定的全面建设社会主义现代化国家两个阶段的战略安排，体现高质量发展要求和以人民为中心的发展思想，凝聚推进合力，实现高质量跨越式发展。"
    ]


def test_no_bookmark_or_footnote_mark_anywhere(document):
    dumped = json.dumps(asdict(document), ensure_ascii=False)
    assert "[bookmark" not in dumped
    assert "[footnoteRef" not in dumped
    assert "_Toc" not in dumped and "_Hlk" not in dumped


def test_footnotes_become_notes_of_the_entry_they_annotate(document):
    # Plan lines 758 and 777 end with the footnote the export left there: [0:  EOD模式…]
    green = next(e for e in document.entries() if e.title == "第三节 持续推进绿色低碳循环发展")
    funding = next(e for e in document.entries() if e.title == "第四节 创新投融资机制")
    assert green.notes == ["EOD模式，就是以生态为导向的发展模式。"]
    assert funding.notes == [
        "ABS融资模式是以项目所属的资产为支撑的证券化融资方式，即以项目所拥有的资产为基础，"
        "以项目资产可以带来的预期收益为保证，通过在资本市场发行债券来募集资金的一种项目融资方式。"
    ]
    assert funding.paragraphs[-1].startswith("强化直接融资能力")
    assert funding.paragraphs[-1].endswith("助力魏都区产业快速发展。")
    assert green.paragraphs[1].endswith("推动新能源汽车应用规模化和公交车、出租车、物流车电动化。")
    assert [e.title for e in document.entries() if e.notes] == [green.title, funding.title]
    assert not any("模式，就是以生态为导向" in p or p.startswith("ABS融资模式") for e in document.entries() for p in e.paragraphs)


def test_two_tables_attached_to_the_entries_they_stand_in(tables):
    assert sorted(tables) == ["表1：“十三五”规划主要目标完成情况", "表2：“十四五”经济社会发展主要指标"]
    assert tables["表1：“十三五”规划主要目标完成情况"][0].title == "第一节 决胜全面建成小康社会取得决定性成就"
    assert tables["表2：“十四五”经济社会发展主要指标"][0].title == "第五节 二〇三五年的远景目标"


def test_table_1_shape_headers_and_cells(tables):
    rows = tables["表1：“十三五”规划主要目标完成情况"][1].rows
    assert len(rows) == 39  # 2 header rows, 4 group rows, 25 indicators, 8 sub-indicator rows
    assert {len(row) for row in rows} == {9}
    assert rows[0] == [
        "序号",
        "指标名称",
        "",
        "2015年",
        "“十三五”目标",
        "",
        "“十三五”完成情况",
        "",
        "指标属性",
    ]
    assert rows[1] == ["", "", "", "", "2020年", "年均增长（%）", "2020年预计", "年均增长（%）", ""]
    assert rows[2] == ["一、经济发展"] + [""] * 8
    assert rows[3] == ["1", "地区生产总值（亿元）", "", "", "", "", "", "", "预期性"]
    assert rows[8] == ["6", "城镇化率", "常住人口城镇化率（%）", "", "", "", "", "", "预期性"]
    assert rows[9] == ["", "", "户籍人口城镇化率（%）", "", "", "", "", "", "约束性"]
    # a row a page break cut in two is whole again
    assert rows[11] == ["7", "研究与试验发展（R&D）经费投入强度（%）", "", "", "", "", "", "", "预期性"]
    assert rows[-4:] == [
        ["25", "主要污染物排放减少", "化学需氧量（%）", "", "", "", "", "", "约束性"],
        ["", "", "二氧化硫（%）", "", "", "", "", "", ""],
        ["", "", "氨氮（%）", "", "", "", "", "", ""],
        ["", "", "氮氧化物（%）", "", "", "", "", "", ""],
    ]
    assert [row[0] for row in rows if "、" in row[0]] == [
        "一、经济发展",
        "二、创新驱动",
        "三、民生福祉",
        "四、生态文明",
    ]
    assert [row[0] for row in rows if row[0].isdigit()] == [str(n) for n in range(1, 26)]


def test_table_2_shape_headers_and_cells(tables):
    rows = tables["表2：“十四五”经济社会发展主要指标"][1].rows
    assert len(rows) == 25  # 1 header row, 5 group rows, 19 indicators
    assert {len(row) for row in rows} == {7}
    assert rows[0] == ["指标", "", "2020年基数", "2025年目标", "年均增长（%）", "属性", "类别"]
    assert rows[1] == ["一、经济发展", "", "", "", "", "", ""]
    assert rows[5] == ["4", "社会消费品零售总额（亿元）", "", "", "", "预期性", "河南"]
    assert rows[19] == ["15", "单位GDP能源消耗降幅（%）", "", "控制在国家下达目标内", "—", "约束性", "国家"]
    assert rows[-1] == ["五、安全保障", "", "", "", "", "", ""]


def test_table_text_is_not_left_as_paragraphs(tables):
    for entry, _ in tables.values():
        text = entry.text
        for cell in [
            "序号",
            "地区生产总值（亿元）",
            "预期性",
            "一、经济发展",
            "2020年基数",
            "控制在国家下达目标内",
        ]:
            assert cell not in text
    entry, _ = tables["表1：“十三五”规划主要目标完成情况"]
    assert entry.paragraphs[-3:] == [
        entry.paragraphs[-3],
        "注：1、地区生产总值、全员劳动生产率、居民人均可支配收入的绝对数和增长速度，按 2015年可比价。",
        "2、[ ]内数据为五年规划期累计。",
    ]
    entry, _ = tables["表2：“十四五”经济社会发展主要指标"]
    assert (
        entry.paragraphs[-1] == "备注：1.[ ]为五年累计数。2.地区生产总值增长率为扣除价格因素的实际增长速度。"
    )


def test_boxed_project_lists_stay_text(document):
    entry = next(e for e in document.entries() if e.title == "第二节 重点培育四大主导产业")
    assert "专栏2：文化旅游项目" in entry.paragraphs
    assert "2、魏武英豪段提升改造。主要为衙前街建筑风貌提升及西侧建筑仿古改造。" in entry.paragraphs
    assert not entry.tables


def test_a_table_reads_the_same_whether_or_not_empty_cells_kept_their_tab():
    """read_source strips the tab of an empty cell; the raw export still has it."""
    normalised = parse_files([EXCERPT], "plan")
    raw = parse([Source(EXCERPT.name, EXCERPT.read_text(encoding="utf-8"), "utf-8")])
    (table,) = next(normalised.entries()).tables
    assert [e.tables for e in raw.entries()] == [e.tables for e in normalised.entries()]
    assert len(table.rows) == 12
    assert table.rows[-1] == ["7", "研究与试验发展（R&D）经费投入强度（%）", "", "", "", "", "", "", "预期性"]
    assert [e.title for e in normalised.entries()] == [
        "第一节 决胜全面建成小康社会取得决定性成就",
        "第二节 “十四五”发展机遇与挑战",
    ]


def test_a_file_without_chapters_is_refused():
    with pytest.raises(LoaderError) as error:
        parse_files([CORPUS / "weidu-newspaper-2022-12.txt"], "plan")
    assert str(error.value) == (
        "weidu-newspaper-2022-12.txt: no chapter found: expected headings like 前言, 第一章 … and 第一节 …"
    )


def test_text_before_any_heading_is_kept_untitled():
    source = source_from_text("p.txt", "……的发展格局。\n第一章 总则\n第一节 指导思想\n坚持新发展理念。\n")
    document = parse([source])
    assert [(s.title, [(e.title, e.untitled) for e in s.entries]) for s in document.sections] == [
        ("（标题缺失）", [("（标题缺失）", True)]),
        ("第一章 总则", [("第一节 指导思想", False)]),
    ]


def test_a_section_cut_between_two_files_names_the_file_of_its_last_line():
    # Cut after line 757: 第三节 (line 756) goes on into the second file, footnote and all.
    entries = list(parse(cut(CORPUS / FILE, 757)).entries())
    green = next(e for e in entries if e.title == "第三节 持续推进绿色低碳循环发展")
    assert (green.source_file, green.line_start, green.source_file_end, green.line_end) == (
        "weidu-14th-five-year-plan-a.txt",
        756,
        "weidu-14th-five-year-plan-b.txt",
        3,
    )
    assert green.notes == ["EOD模式，就是以生态为导向的发展模式。"]
    assert [e.title for e in entries if e.source_file_end] == [green.title]
