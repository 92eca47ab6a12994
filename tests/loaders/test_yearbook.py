"""The yearbook parser on excerpts of 《魏都年鉴（2021）》, another county's yearbook, and the whole volume."""

import re
from collections import Counter
from pathlib import Path

import pytest

from loaders import LoaderError, parse_files, yearbook
from loaders.document import Caption, EntryKind
from loaders.text import read_source, source_from_text
from loaders.yearbook import parse

from .sources import cut

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
FILES = [CORPUS / "weidu-yearbook-2021.part1.txt", CORPUS / "weidu-yearbook-2021.part2.txt"]
DATA = Path(__file__).resolve().parents[1] / "data" / "yearbook"

# What every excerpt starts with: the volume title and the 编辑说明 line giving the year.
FRONT = """《魏都年鉴（2021）》编纂人员

四、本卷年鉴记载内容时间范围为2020年1月1日至2020年12月31日。

目 录

"""


def parse_text(text, name="excerpt.txt"):
    return parse([source_from_text(name, FRONT + text)])


def tree(section):
    """Return a section as nested (title, level, page, digitized, children) tuples."""
    return (
        section.title,
        section.level,
        section.page,
        section.digitized,
        [tree(c) for c in section.children],
    )


def entries_of(section):
    return [(e.kind, e.title, e.page) for e in section.entries]


# -- the 目录 ---------------------------------------------------------------------

TOC_QUIRKS = """特 载

- 在全区领导干部会议上的讲话 李朝锋 (3)

中共魏都区委

综 述 …………… (87)

组织工作 …………… (93)

概况 …………… (93)

基层党建 …………… (93)

群众团体

魏都区文学艺术界联合会\t(158)
概况\t(158)
诗词之乡创建\t(161)
“新时代文明实践文艺志愿服务项目”\t
试点区落户魏都\t(161)
阵地平台\t(161)

卫生 健康

许昌市第三人民医院\t(305)\t医护工作\t(306)
概况\t(305)\t魏都区公疗医院\t(306)
业务建设\t(306)\t概况\t(306)

街道概况

党建工作\t359\t基层党建\t367
五一路街道办事处直部门负责人一览表\t\t监察督查工作\t367
.....\t360\t社会民生\t367
五一路街道国民经济主要指标完成情况\t\t西关街道办事处直部门负责人一览表\t
一览表\t360\t368

索 引

索引\t(411)
"""


def test_toc_quirks_are_read_into_the_section_tree():
    doc = parse_text(TOC_QUIRKS)
    undigitised = [tree(s) for s in doc.sections]
    assert undigitised == [
        ("特载", 1, 3, False, [("在全区领导干部会议上的讲话李朝锋", 2, 3, False, [])]),
        (
            "中共魏都区委",
            1,
            87,
            False,
            [
                ("综述", 2, 87, False, []),
                # followed by 概况: a 分目, the lines under it its 条目
                ("组织工作", 2, 93, False, [("概况", 3, 93, False, []), ("基层党建", 3, 93, False, [])]),
            ],
        ),
        (
            "群众团体",
            1,
            158,
            False,
            [
                (
                    "魏都区文学艺术界联合会",
                    2,
                    158,
                    False,
                    [
                        ("概况", 3, 158, False, []),
                        ("诗词之乡创建", 3, 161, False, []),
                        # a title broken over two lines, the first half ending in a tab
                        ("“新时代文明实践文艺志愿服务项目”试点区落户魏都", 3, 161, False, []),
                        ("阵地平台", 3, 161, False, []),
                    ],
                ),
            ],
        ),
        # two columns: the left one is read first, as on the page
        (
            "卫生健康",
            1,
            305,
            False,
            [
                (
                    "许昌市第三人民医院",
                    2,
                    305,
                    False,
                    [
                        ("概况", 3, 305, False, []),
                        ("业务建设", 3, 306, False, []),
                        ("医护工作", 3, 306, False, []),
                    ],
                ),
                ("魏都区公疗医院", 2, 306, False, [("概况", 3, 306, False, [])]),
            ],
        ),
        # pages without parentheses, `.....` leaders and the page on the next line
        (
            "街道概况",
            1,
            359,
            False,
            [
                ("党建工作", 2, 359, False, []),
                ("五一路街道办事处直部门负责人一览表", 2, 360, False, []),
                ("五一路街道国民经济主要指标完成情况一览表", 2, 360, False, []),
                ("基层党建", 2, 367, False, []),
                ("监察督查工作", 2, 367, False, []),
                ("社会民生", 2, 367, False, []),
                ("西关街道办事处直部门负责人一览表", 2, 368, False, []),
                # 索引 is back matter (卷末附索引), not a 类目
                ("索引", 2, 411, False, []),
            ],
        ),
    ]
    assert doc.title == "魏都年鉴（2021）"
    assert any("索引 is back matter" in str(w) for w in doc.warnings)


def test_a_file_without_a_toc_is_refused_with_its_name():
    with pytest.raises(LoaderError) as error:
        parse([source_from_text("notes.txt", "编辑说明\n\n一、本卷记载内容。\n")])
    assert error.value.file == "notes.txt"
    assert "no 目录 (table of contents) found" in str(error.value)


def test_without_a_toc_the_categories_are_the_bodys_own_headings():
    doc = parse_files([DATA / "shiqiao-yearbook-no-toc.txt"], "yearbook")
    assert doc.title == "石桥年鉴（2021）"
    assert [tree(s) for s in doc.sections] == [
        ("特载", 1, 1, True, []),
        ("大事记", 1, 5, True, [("1月", 2, 5, True, []), ("2月", 2, 5, True, [])]),
        ("区情概况", 1, 9, True, []),
        ("综合经济", 1, 12, True, [("发展改革", 2, 12, True, []), ("统计工作", 2, 12, True, [])]),
    ]
    assert [str(w) for w in doc.warnings] == ["shiqiao-yearbook-no-toc.txt — no 目录: the 类目 are the body's own headings"]
    (speech,) = doc.sections[0].entries
    assert (speech.title, speech.speaker, speech.date, speech.page) == ("在全区经济工作会议上的讲话", "刘建华", "2020-12-30", 1)
    items = [(e.date, e.date_end, e.title) for m in doc.sections[1].children for e in m.entries]
    assert items == [
        ("2020-01-03", None, "石桥区召开全区经济工作会议"),
        ("2020-01-03", None, "区委召开常委会议，研究部署春节期间工作"),
        ("2020-02-10", "2020-02-12", "区人大常委会组织代表视察复工复产"),
    ]
    economy = doc.sections[3]
    assert [(e.title, e.page, e.authors) for s in economy.children for e in s.entries] == [
        ("概况", 12, ["王刚"]),
        ("项目建设", 12, ["王刚"]),
        ("概况", 12, ["李娜"]),
    ]
    # The flipbook's page lines are not text of any entry.
    assert not any(p.startswith("P.") for e in doc.entries() for p in e.paragraphs)


def test_without_a_toc_a_category_printed_across_stands_over_its_fenmu_or_overview():
    text = (
        "特载\n\n在全区大会上的讲话\n\n区委书记 刘建华\n\n（2020年12月30日）\n\n同志们：\n\n"
        "中共石桥区委\n\n综述\n\n2020年，区委团结带领全区人民攻坚克难。\n\n"
        "组织工作\n\n【概况】 2020年，区委组织部坚持党要管党。\n\n"
        "综合经济\n\n发展改革\n\n【概况】 2020年，区发展改革委围绕中心。\n\n"
        "统计工作\n\n【概况】 2020年，区统计局完成普查工作。\n"
    )
    doc = parse([source_from_text("y.txt", text)], year_covered=2020)
    assert [(s.level, s.title, [e.title for e in s.entries]) for s in doc.walk()] == [
        (1, "特载", ["在全区大会上的讲话"]),
        (1, "中共石桥区委", ["综述"]),
        (2, "组织工作", ["概况"]),
        (1, "综合经济", []),
        (2, "发展改革", ["概况"]),
        (2, "统计工作", ["概况"]),
    ]


def test_without_a_toc_conventional_and_markdown_categories_open_the_body():
    text = "# 特载\n\n在全县大会上的讲话\n\n县长 王大明\n\n（2020年1月5日）\n\n同志们：\n\n# 概况\n\n【位置】 县境在省西部。\n"
    doc = parse([source_from_text("md.txt", text)], year_covered=2019)
    assert [(s.title, [e.title for e in s.entries]) for s in doc.sections] == [
        ("特载", ["在全县大会上的讲话"]),
        ("概况", ["位置"]),
    ]
    plain = "前言\n\n大事记\n\n1月\n\n3日 县委召开全会。\n"
    doc = parse([source_from_text("p.txt", plain)], year_covered=2019)
    assert [(s.title, [(e.date, e.title) for c in s.children for e in c.entries]) for s in doc.sections] == [
        ("大事记", [("2019-01-03", "县委召开全会")])
    ]


# -- 特载 ---------------------------------------------------------------------------

SPEECHES = """特 载

- 在全区领导干部会议上的讲话 李朝锋 (3)
- 在区委十四届九次全会暨全区领导干部会议上的讲话 李朝锋 (7)
- 政府工作报告 何长成 (24)



特
载

在全区领导干部会议上的讲话

区长 李朝锋

(2020年4月29日,根据录音整理)

同志们:

要根据疫情防控形势变化，科学调配力量，该加强的加强，该精

简的精简，有序推动疫情防控由战时机制向常态化管理转变。

在区委十四届九次全会暨全区领导干部会议 讲 话

区长 李朝锋

(2020年10月9日)

同志们：

7月8日召开的省委十届十一次全会暨省委工作会议，深入分析当前形势。

政府工作报告

——2021年1月28日在魏都区十五届人民代表大会第五次会议上

魏都区人民政府代区长 何长成

各位代表：

现在，我代表区人民政府，向大会报告工作，请予审议。
"""


def test_speeches_have_speaker_title_date_and_occasion():
    doc = parse_text(SPEECHES)
    speeches = doc.sections[0].entries
    assert [(e.kind, e.title, e.speaker, e.speaker_title, e.date, e.page) for e in speeches] == [
        (EntryKind.SPEECH, "在全区领导干部会议上的讲话", "李朝锋", "区长", "2020-04-29", 3),
        # the body prints the title broken by layout; the TOC's is kept
        (
            EntryKind.SPEECH,
            "在区委十四届九次全会暨全区领导干部会议上的讲话",
            "李朝锋",
            "区长",
            "2020-10-09",
            7,
        ),
        (EntryKind.SPEECH, "政府工作报告", "何长成", "魏都区人民政府代区长", "2021-01-28", 24),
    ]
    assert speeches[2].subtitle == "2021年1月28日在魏都区十五届人民代表大会第五次会议上"
    assert speeches[0].paragraphs == [
        "同志们:",
        "要根据疫情防控形势变化，科学调配力量，该加强的加强，该精简的精简，有序推动疫情防控由战时机制向常态化管理转变。",
    ]
    assert (speeches[0].line_start, speeches[0].line_end) == (18, 28)
    assert speeches[2].paragraphs == ["各位代表：", "现在，我代表区人民政府，向大会报告工作，请予审议。"]


# -- 大事记 ---------------------------------------------------------------------------

CHRONICLE = """大事记

- 1 月 (35)
- 4 月 (39)

区情概况

- 区域位置 (53)



大事记

1 月

2日 魏都区召开环境污染防治攻坚警示教育大会。

6日 区委经济工作会议召开。

是日 区委政协工作会议召开。

21日 中国共产党魏都区第十四届纪律检查

委员会第五次全体会议召开。会议深入学习习近平新时代中国特色社会主义思想。

4 月

4 日 魏都区召开疫情防控紧急调度会议。

区委书记、区指挥部总指挥张书杰出席会议并讲话。

15 日~16 日 区政府区长李朝锋带队到江苏省沛县、宿迁、淮安考察了大龙网淮海龙工厂跨境产业园项目。

是日 区委书记张书杰对魏都区拟观摩项目进行实地调研。



区
情
概
况

【区域位置】 魏都区地处中原腹地，隶属于河南省许昌市。
"""


def test_chronicle_items_are_dated_in_the_covered_year():
    doc = parse_text(CHRONICLE)
    chronicle, survey = doc.sections
    assert [(m.title, m.level, m.page) for m in chronicle.children] == [("1月", 2, 35), ("4月", 2, 39)]
    items = [(e.kind, e.date, e.date_end, e.title, e.page) for m in chronicle.children for e in m.entries]
    assert items == [
        (EntryKind.CHRONICLE, "2020-01-02", None, "魏都区召开环境污染防治攻坚警示教育大会", 35),
        (EntryKind.CHRONICLE, "2020-01-06", None, "区委经济工作会议召开", 35),
        (EntryKind.CHRONICLE, "2020-01-06", None, "区委政协工作会议召开", 35),  # 是日
        # titled from the paragraph a page break had cut
        (
            EntryKind.CHRONICLE,
            "2020-01-21",
            None,
            "中国共产党魏都区第十四届纪律检查委员会第五次全体会议召开",
            35,
        ),
        (EntryKind.CHRONICLE, "2020-04-04", None, "魏都区召开疫情防控紧急调度会议", 39),
        (
            EntryKind.CHRONICLE,
            "2020-04-15",
            "2020-04-16",
            "区政府区长李朝锋带队到江苏省沛县、宿迁、淮安考察了大龙网淮海龙工厂跨境产业园项目",
            39,
        ),
        (EntryKind.CHRONICLE, "2020-04-15", None, "区委书记张书杰对魏都区拟观摩项目进行实地调研", 39),
    ]
    broken = chronicle.children[0].entries[3]
    assert broken.paragraphs == [
        "21日 中国共产党魏都区第十四届纪律检查委员会第五次全体会议召开。会议深入学习习近平新时代中国特色社会主义思想。"
    ]
    assert (broken.line_start, broken.line_end) == (28, 30)
    # an undated paragraph after an item is the rest of that item
    assert chronicle.children[1].entries[0].paragraphs == [
        "4 日 魏都区召开疫情防控紧急调度会议。",
        "区委书记、区指挥部总指挥张书杰出席会议并讲话。",
    ]
    assert [e.title for e in survey.entries] == ["区域位置"]


def test_chronicle_year_comes_from_the_cover_when_the_preface_has_no_span():
    text = FRONT.replace("四、本卷年鉴记载内容时间范围为2020年1月1日至2020年12月31日。", "") + CHRONICLE
    doc = parse([source_from_text("excerpt.txt", text)])
    assert doc.sections[0].children[0].entries[0].date == "2020-01-02"


# -- 组织机构及领导成员 ------------------------------------------------------------------

LEADERS = """区情概况

- 组织机构及领导成员 (58)

专 记

- 三区建设 (73)



区
情
概
况

组织机构及领导成员

中共魏都区委

区委书记 张书杰
 区委副书记 李朝锋
 何东亚（女，12 月任）
 魏少峰（12 月离）
 区委常委 张书杰

 张 楠（女，12 月离）

魏都区人民政府

区 长 李朝锋
 副 区 长 王 辉（12 月离）

区委办公室领导成员

区委办公室主任 程中山
副 主 任 梁 垚
赵鸿斌（1月任，12月离）

区政府办公室成员

副 主 任 候延兵
许瑞铭（回）

区十五届人大常委会各委室领导成员

城市建设和环境保护工作委员会副主任
王哲妨（女）

工商联领导成员

副主席（不驻会）王靖华 朱润光

李 钢 李小冰

地方史志办公室领导成员

主 任 （空缺）
副 主 任 谷红玲（女）

年鉴应当设编辑说明，主要介绍年鉴编纂的指导思想。

——摘自《地方综合年鉴编纂出版若干问题的补充规定》



专
记

三区建设

以汉魏故都闻名于世的许昌市魏都区，不仅是全国文明城市许昌的老城区。
"""


def test_leadership_lists_become_appointments_and_readable_entries():
    doc = parse_text(LEADERS)
    got = [
        (a.organisation, a.title, a.person, a.person_notes, a.note, a.start_month, a.end_month, a.line)
        for a in doc.appointments
    ]
    assert got == [
        ("中共魏都区委", "区委书记", "张书杰", [], "", None, None, 26),
        ("中共魏都区委", "区委副书记", "李朝锋", [], "", None, None, 27),
        ("中共魏都区委", "区委副书记", "何东亚", ["女"], "12月任", 12, None, 28),
        ("中共魏都区委", "区委副书记", "魏少峰", [], "12月离", None, 12, 29),
        ("中共魏都区委", "区委常委", "张书杰", [], "", None, None, 30),
        ("中共魏都区委", "区委常委", "张楠", ["女"], "12月离", None, 12, 32),
        ("魏都区人民政府", "区长", "李朝锋", [], "", None, None, 36),
        ("魏都区人民政府", "副区长", "王辉", [], "12月离", None, 12, 37),
        ("区委办公室", "区委办公室主任", "程中山", [], "", None, None, 41),
        ("区委办公室", "副主任", "梁垚", [], "", None, None, 42),
        ("区委办公室", "副主任", "赵鸿斌", [], "1月任，12月离", 1, 12, 43),
        ("区政府办公室", "副主任", "候延兵", [], "", None, None, 47),
        ("区政府办公室", "副主任", "许瑞铭", ["回"], "", None, None, 48),
        (
            "区十五届人大常委会各委室",
            "城市建设和环境保护工作委员会副主任",
            "王哲妨",
            ["女"],
            "",
            None,
            None,
            53,
        ),
        ("工商联", "副主席（不驻会）", "王靖华", [], "", None, None, 57),
        ("工商联", "副主席（不驻会）", "朱润光", [], "", None, None, 57),
        ("工商联", "副主席（不驻会）", "李钢", [], "", None, None, 59),
        ("工商联", "副主席（不驻会）", "李小冰", [], "", None, None, 59),
        # 主任 is vacant (空缺): no one to appoint
        ("地方史志办公室", "副主任", "谷红玲", ["女"], "", None, None, 64),
    ]
    survey, essays = doc.sections
    (leaders,) = survey.children
    assert (leaders.title, leaders.page) == ("组织机构及领导成员", 58)
    assert [(e.kind, e.title, e.line_start, e.line_end) for e in leaders.entries] == [
        (EntryKind.ENTRY, "中共魏都区委", 24, 32),
        (EntryKind.ENTRY, "魏都区人民政府", 34, 37),
        (EntryKind.ENTRY, "区委办公室领导成员", 39, 43),
        (EntryKind.ENTRY, "区政府办公室成员", 45, 48),
        (EntryKind.ENTRY, "区十五届人大常委会各委室领导成员", 50, 53),
        (EntryKind.ENTRY, "工商联领导成员", 55, 59),
        (EntryKind.ENTRY, "地方史志办公室领导成员", 61, 64),
    ]
    assert leaders.entries[1].paragraphs == ["魏都区人民政府", "区 长 李朝锋", "副 区 长 王 辉（12 月离）"]
    # the quoted editorial rule belongs to no entry
    assert all("年鉴应当设编辑说明" not in p for e in doc.entries() for p in e.paragraphs)
    assert any("摘自《地方综合年鉴编纂出版若干问题的补充规定》" in str(w) for w in doc.warnings)
    assert entries_of(essays) == [(EntryKind.ARTICLE, "三区建设", 73)]


# -- 分目, 条目, bylines and captions ---------------------------------------------------

PARTY = """中共魏都区委

综 述 …………… (87)

区委常委会议纪要 …………… (91)

文秘工作 …………… (92)

组织工作 …………… (93)

概况 …………… (93)

基层党建 …………… (93)

人才队伍建设 …………… (95)

魏都党建名片 …………… (96)

宣传工作 …………… (97)

对外宣传工作 …………… (98)

网络宣传与管理 …………… (99)

精神文明建设 …………… (99)

概况 …………… (99)



中共魏都区区委

综 述

2020年，中共魏都区委面对极其复杂严峻的国内外形势，坚持稳中求进工作总基调。

【区委常委会议纪要】 1月27日，区委书记张书杰主持召开十四届区委常委会第102次会议。

6月8日，区委书记张书杰主持召开十四届

区委常委会第114次会议。专题研究区“两会”筹备情况。

【文秘工作】 2020 年，探索实施“1234 工作法”。

（韩雪 李明洋 万喆 鲁恬青 姜晓文
李洁 侯冠群 蒋亚伟 张启宇 朱永波）

组织工作

【概况】 2020年，魏都区委组织部坚持以习近平新时代中国特色社会主义思想为引领。

【基层党建】 2020年，区委组织部聚焦“抓党建、抓治理、抓服务”主责主业，大力推进“创五好、强双基”示范行动，实现基层党组织全面进步、全面过硬，努力争创“全国先进基



11月27日，省委常委、组织部部长孔昌生到东大街道春秋社区文会警苑小区进行观摩
组织部供图

层党组织”。

【人才队伍建设】 2020年，认真落实“许昌英才计划”。

【老干部工作】 加强离退休干部思想政治引导。

【魏都党建名片】 围绕上级安排部署的重点。

(宋岩 李阳)

宣传工作

【对外宣传工作】 在日常工作当中，魏都区委外宣办积极进行网络正面宣传。

2020年，魏都区委外宣办还同魏都区文联积

精神文明建设

极合作，在全区范围内筛选优秀外宣品。

【网络宣传与管理】 魏都区网信办切实扛稳新时代网信工作政治责任。

（宋 阳 赫连康娅 丁姜岚 尹 玥
安 冉 张宏轩 冯嘉滢）

【概况】 2020 年，魏都区精神文明建设工作认真贯彻落实习近平新时代中国特色社会主义思想。




中秋前夕市委统战部副部长罗学亮一行到金石地产有限公司走访慰问 区台办供图

(张 飙)
"""


def test_body_is_matched_to_the_toc_with_bylines_and_captions():
    doc = parse_text(PARTY)
    (party,) = doc.sections
    assert (party.title, party.line) == ("中共魏都区委", 37)  # printed 中共魏都区区委
    assert entries_of(party) == [
        (EntryKind.ENTRY, "综述", 87),  # untitled narrative under a TOC heading
        (EntryKind.ENTRY, "区委常委会议纪要", 91),
        (EntryKind.ENTRY, "文秘工作", 92),
    ]
    organisation, publicity, civility = party.children
    assert [(s.title, s.level, s.page, s.line) for s in party.children] == [
        ("组织工作", 2, 93, 54),
        ("宣传工作", 2, 97, 75),
        ("精神文明建设", 2, 99, 81),
    ]
    assert entries_of(organisation) == [
        (EntryKind.ENTRY, "概况", 93),
        (EntryKind.ENTRY, "基层党建", 93),
        (EntryKind.ENTRY, "人才队伍建设", 95),
        (EntryKind.ENTRY, "老干部工作", 93),  # not in the TOC: kept, with its 分目's page
        (EntryKind.ENTRY, "魏都党建名片", 96),
    ]
    # the heading printed inside a page-broken paragraph does not cut it, and the
    # 条目 after it still belongs to 宣传工作 as the TOC says
    assert entries_of(publicity) == [
        (EntryKind.ENTRY, "对外宣传工作", 98),
        (EntryKind.ENTRY, "网络宣传与管理", 99),
    ]
    assert publicity.entries[0].paragraphs == [
        "在日常工作当中，魏都区委外宣办积极进行网络正面宣传。",
        "2020年，魏都区委外宣办还同魏都区文联积极合作，在全区范围内筛选优秀外宣品。",
    ]
    assert entries_of(civility) == [(EntryKind.ENTRY, "概况", 99)]

    signed = [(e.title, e.authors) for e in doc.entries()]
    assert signed == [
        (
            "综述",
            ["韩雪", "李明洋", "万喆", "鲁恬青", "姜晓文", "李洁", "侯冠群", "蒋亚伟", "张启宇", "朱永波"],
        ),
        (
            "区委常委会议纪要",
            ["韩雪", "李明洋", "万喆", "鲁恬青", "姜晓文", "李洁", "侯冠群", "蒋亚伟", "张启宇", "朱永波"],
        ),
        (
            "文秘工作",
            ["韩雪", "李明洋", "万喆", "鲁恬青", "姜晓文", "李洁", "侯冠群", "蒋亚伟", "张启宇", "朱永波"],
        ),
        ("概况", ["宋岩", "李阳"]),
        ("基层党建", ["宋岩", "李阳"]),
        ("人才队伍建设", ["宋岩", "李阳"]),
        ("老干部工作", ["宋岩", "李阳"]),
        ("魏都党建名片", ["宋岩", "李阳"]),
        ("对外宣传工作", ["宋阳", "赫连康娅", "丁姜岚", "尹玥", "安冉", "张宏轩", "冯嘉滢"]),
        ("网络宣传与管理", ["宋阳", "赫连康娅", "丁姜岚", "尹玥", "安冉", "张宏轩", "冯嘉滢"]),
        ("概况", ["张飙"]),
    ]
    grassroots = organisation.entries[1]
    assert grassroots.captions == [
        Caption("11月27日，省委常委、组织部部长孔昌生到东大街道春秋社区文会警苑小区进行观摩", "组织部", 62)
    ]
    # the caption is taken out and the paragraph it cut re-joined
    assert grassroots.paragraphs == [
        "2020年，区委组织部聚焦“抓党建、抓治理、抓服务”主责主业，大力推进“创五好、强双基”示范行动，"
        "实现基层党组织全面进步、全面过硬，努力争创“全国先进基层党组织”。"
    ]
    assert (grassroots.line_start, grassroots.line_end) == (58, 65)
    assert civility.entries[0].captions == [
        Caption("中秋前夕市委统战部副部长罗学亮一行到金石地产有限公司走访慰问", "区台办", 95)
    ]
    memo = party.entries[1]
    assert memo.paragraphs == [
        "1月27日，区委书记张书杰主持召开十四届区委常委会第102次会议。",
        "6月8日，区委书记张书杰主持召开十四届区委常委会第114次会议。专题研究区“两会”筹备情况。",
    ]
    assert all("宋岩" not in p and "组织部供图" not in p for e in doc.entries() for p in e.paragraphs)


# -- another county, the same conventions -----------------------------------------------


def test_another_countys_yearbook_loads_without_code_changes():
    doc = parse_files([DATA / "qingshi-yearbook-2020.txt"], "yearbook")
    assert doc.title == "青石年鉴（2020）"
    assert [tree(s) for s in doc.sections] == [
        ("特载", 1, 1, True, []),
        ("大事记", 1, 5, True, [("3月", 2, 5, True, []), ("5月", 2, 6, True, [])]),
        ("县情概况", 1, 9, True, [("组织机构及领导成员", 2, 10, True, [])]),
        ("中共青石县委", 1, 13, True, [("组织工作", 2, 14, True, []), ("宣传工作", 2, 15, True, [])]),
        (
            "社会生活",
            1,
            21,
            False,
            [
                (
                    "民政",
                    2,
                    21,
                    False,
                    [
                        ("概况", 3, 21, False, []),
                        ("社会救助", 3, 22, False, []),
                        ("养老服务", 3, 22, False, []),
                    ],
                ),
                ("卫生", 2, 23, False, [("概况", 3, 23, False, []), ("疾病防控", 3, 24, False, [])]),
                ("索引", 2, 30, False, []),
            ],
        ),
    ]
    (speech,) = doc.sections[0].entries
    assert (speech.title, speech.speaker, speech.speaker_title, speech.date) == (
        "在全县经济工作会议上的讲话",
        "赵志刚",
        "县委书记",
        "2019-12-28",
    )
    assert (
        speech.paragraphs[-1]
        == "一、坚定信心，抓好项目建设。要加快推进工业园区建设，确保年底前完成投资任务。"
    )

    march, may = doc.sections[1].children
    assert [(e.date, e.date_end, e.title) for e in march.entries + may.entries] == [
        ("2019-03-02", None, "青石县召开春季植树动员大会"),
        ("2019-03-02", None, "县委召开常委会议，研究部署春耕生产工作"),  # 是日
        ("2019-03-16", "2019-03-19", "县人大常委会组织代表视察重点项目建设"),  # 16—19日
        ("2019-03-16", None, "县政协召开主席会议"),  # 同日
        ("2019-03-01", "2019-03-31", "全县开展“学雷锋”志愿服务月活动"),  # 是月
        ("2019-05-08", None, "县委书记赵志刚到城关镇调研乡村振兴工作"),
    ]

    # the organisation 中共青石县委 is listed before the 类目 of the same name begins
    assert [(a.organisation, a.title, a.person, a.person_notes, a.note) for a in doc.appointments] == [
        ("中共青石县委", "书记", "赵志刚", [], ""),
        ("中共青石县委", "副书记", "王大明", [], ""),
        ("中共青石县委", "副书记", "孙丽", ["女"], "6月任"),
        ("中共青石县委", "副书记", "周强", [], "6月离"),
        ("中共青石县委", "常委", "钱进", ["回"], ""),
        ("县委办公室", "主任", "吴敏", ["女"], ""),
        ("县委办公室", "城市建设和环境保护工作委员会副主任", "郑涛", [], "3月任，11月离"),
    ]

    party = doc.sections[3]
    assert [(e.title, e.authors) for e in party.entries] == [("综述", [])]
    organisation, publicity = party.children
    assert [(e.title, e.page, e.authors) for e in organisation.entries] == [
        ("概况", 14, ["孙悦", "李明"]),
        ("干部教育培训", 14, ["孙悦", "李明"]),
        ("基层党建", 14, ["孙悦", "李明"]),
    ]
    training = organisation.entries[1]
    assert training.paragraphs == ["全年举办各类培训班12期，培训干部1500人次。"]
    assert training.captions == [Caption("5月20日，全县干部培训班开班", "组织部", 154)]
    assert [(e.title, e.page, e.authors) for e in publicity.entries] == [
        ("概况", 15, ["张伟"]),
        ("新闻宣传", 15, ["张伟"]),
        ("“乡村振兴讲习所”建设", 16, ["张伟"]),
    ]
    assert publicity.entries[1].captions == [Caption("县融媒体中心记者采访群众", "陈晨", 170)]
    assert all("年鉴条目应当" not in p for e in doc.entries() for p in e.paragraphs)


# -- the whole volume -------------------------------------------------------------------


@pytest.fixture(scope="module")
def volume():
    return parse_files(FILES, "yearbook")


@pytest.fixture(scope="module")
def raw_text():
    return "\n".join(path.read_text(encoding="utf-8") for path in FILES)


def find(doc, title, kind=None):
    found = [e for e in doc.entries() if e.title == title and (kind is None or e.kind == kind)]
    assert len(found) == 1, (title, len(found))
    return found[0]


def test_volume_has_the_29_categories_of_its_toc_in_order(volume):
    assert volume.kind == "yearbook"
    assert volume.title == "魏都年鉴（2021）"
    assert [(s.title, s.level) for s in volume.sections] == [
        (t, 1)
        for t in [
            "特载",
            "大事记",
            "区情概况",
            "专记",
            "全面建成小康社会",
            "结对帮扶建安区脱贫攻坚",
            "中共魏都区委",
            "魏都区人民代表大会",
            "魏都区人民政府",
            "政协魏都区委员会",
            "纪检监察",
            "群众团体",
            "军事消防",
            "法治",
            "经济管理",
            "工业科技",
            "农业",
            "商贸服务",
            "交通运输",
            "财政税务",
            "城市建设与管理",
            "生态环境与自然资源管理",
            "教育体育",
            "文化旅游",
            "卫生健康",
            "社会生活",
            "荣誉",
            "街道概况",
            "附录",
        ]
    ]
    # the text covers the book up to 法治; the rest is listed but not digitised
    assert [s.title for s in volume.sections if s.digitized][-1] == "法治"
    assert not any(s.digitized for category in volume.sections[14:] for s in category.walk())
    law = volume.sections[13]
    assert [(s.title, s.page, s.digitized) for s in law.children][-2:] == [
        ("法院工作", 180, True),
        ("司法行政", 183, False),
    ]


def test_volume_speeches(volume):
    speeches = [(e.title, e.speaker, e.speaker_title, e.date, e.page) for e in volume.sections[0].entries]
    assert speeches == [
        ("在全区领导干部会议上的讲话", "李朝锋", "区长", "2020-04-29", 3),
        ("在区委十四届九次全会暨全区领导干部会议上的讲话", "李朝锋", "区长", "2020-10-09", 7),
        ("在区委十四届十次全会暨区委经济工作会议上的讲话", "李朝锋", "区委书记", "2021-01-14", 15),
        ("政府工作报告", "何长成", "魏都区人民政府代区长", "2021-01-28", 24),
    ]


def test_volume_speech_headings_stay_apart_and_page_breaks_rejoin(volume):
    _, second, _, report = volume.sections[0].entries
    at = second.paragraphs.index("四、抓好落实，切实把党的领导优势转化为实现“六稳”“六保”的坚强保证")
    assert second.paragraphs[at + 1].startswith(
        "各级党组织和广大党员干部要坚持以党的建设高质量推动经济发展高质量，"
    )
    assert any("其中，第二产业增长7.8%，第三产业增长 8%。" in p for p in report.paragraphs)
    assert "三、2021 年主要工作" in report.paragraphs


def test_volume_chronicle(volume, raw_text):
    items = [e for e in volume.entries() if e.kind == EntryKind.CHRONICLE]
    # One item per dated line: 223 single days (what `^(\d+ ?日|是日) ` counts) and
    # five day ranges such as `15 日~16 日`.
    singles = re.findall(r"^(?:\d+ ?日|是日) ", raw_text, re.M)
    ranges = [e for e in items if e.date_end]
    assert (len(items), len(singles), len(ranges)) == (228, 223, 5)
    assert all(e.date and e.date.startswith("2020-") for e in items)
    assert [s.title for s in volume.sections[1].children] == [f"{m}月" for m in range(1, 13)]
    by_line = {e.line_start: e for e in items}
    assert (by_line[1560].date, by_line[1560].title) == (
        "2020-01-02",
        "魏都区召开环境污染防治攻坚警示教育大会",
    )
    assert (by_line[1564].date, by_line[1564].paragraphs[0][:2]) == ("2020-01-06", "是日")
    assert (by_line[1898].date, by_line[1898].date_end) == ("2020-10-01", "2020-10-07")
    assert by_line[2084].date == "2020-12-30"


def test_volume_keeps_every_bracketed_entry_once(volume, raw_text):
    printed = Counter(re.sub(r"\s", "", t) for t in re.findall(r"^【([^】]+)】", raw_text, re.M))
    parsed = Counter(re.sub(r"\s", "", e.title) for e in volume.entries() if e.kind == EntryKind.ENTRY)
    assert sum(printed.values()) == 270
    assert printed - parsed == Counter()
    lines = {p.name: p.read_text(encoding="utf-8").split("\n") for p in FILES}
    bracketed = [e for e in volume.entries() if lines[e.source_file][e.line_start - 1].startswith("【")]
    assert len(bracketed) == 270


def test_volume_appointments(volume):
    def one(person, title):
        found = [a for a in volume.appointments if a.person == person and a.title == title]
        assert len(found) == 1, (person, title, found)
        return found[0]

    a = one("魏少峰", "区委副书记")
    assert (a.organisation, a.end_month, a.note, a.line) == ("中共魏都区委", 12, "12月离", 2218)
    a = one("张楠", "区委常委")
    assert (a.person_notes, a.note) == (["女"], "12月离")
    a = one("赵鸿斌", "副主任")
    assert (a.organisation, a.start_month, a.end_month) == ("区委办公室", 1, 12)
    a = one("许瑞铭", "副主任")
    assert (a.organisation, a.person_notes) == ("区政府办公室", ["回"])
    assert one("周西钢", "部长").organisation == "组织部"
    assert len(volume.appointments) == 676
    assert all(
        a.source_file == "weidu-yearbook-2021.part1.txt" and 2213 <= a.line <= 3432
        for a in volume.appointments
    )


def test_volume_bylines_captions_and_page_breaks(volume):
    organisation = next(s for s in volume.walk() if s.title == "组织工作")
    assert {tuple(e.authors) for e in organisation.entries} == {("宋岩", "李阳")}
    entry = find(volume, "基层党建")
    assert entry.captions == [
        Caption("11月27日，省委常委、组织部部长孔昌生到东大街道春秋社区文会警苑小区进行观摩", "组织部", 128)
    ]
    assert find(volume, "为侨服务").captions[0].credit == "罗晓丹"
    assert sum(len(e.captions) for e in volume.entries()) == 38
    aid = find(volume, "魏都区结对帮扶建安区脱贫攻坚工作")
    assert (aid.kind, aid.page, aid.source_file, aid.line_start) == (
        EntryKind.ARTICLE,
        83,
        "weidu-yearbook-2021.part2.txt",
        3,
    )
    joined = [p for p in aid.paragraphs if "组建帮扶办，并组成了13个帮扶工作队" in p]
    assert len(joined) == 1 and joined[0].startswith("结对帮扶队伍持续充实。")
    assert not any("摘自《" in p for e in volume.entries() for p in e.paragraphs)


def test_a_title_left_without_its_page_at_the_end_of_a_toc_block_is_kept_without_a_page():
    # Found by the property test: the second column of the last line lost its page.
    toc = "目 录\n\n特 载\n\n综述\t(87)\t基层党建\t(93)\n概况\t(88)\t名\n\n"
    items = yearbook._read_toc(source_from_text("t.txt", toc).lines()[2:], [])
    assert [(i.title, i.page) for i in items][-2:] == [("基层党建", 93), ("名", None)]
    assert all(isinstance(i.line.number, int) for i in items)


# -- the audit's defects (issue 10, point 7) and citations across files (point 5) ----------


def test_an_inline_byline_signs_the_entries_of_its_section(volume):
    # part 2 line 897 ends 【疫情防控】 with …主题书画摄影活动。（邵开放）
    union = next(s for s in volume.walk() if s.title == "魏都区总工会")
    assert [(e.title, e.authors) for e in union.entries] == [
        (title, ["邵开放"]) for title in ["概况", "思想建设", "组织建设", "素质提升", "职工帮扶", "疫情防控"]
    ]
    last = union.entries[-1]
    assert last.paragraphs[-1].endswith("共同发起“‘艺’起行动，健康你·我·他”主题书画摄影活动。")
    assert not any("邵开放" in p for e in volume.entries() for p in e.paragraphs)


UNION = """群众团体

魏都区总工会\t(156)
概况\t(156)
疫情防控\t(157)
共青团魏都区委\t(157)
概况\t(157)



群
众
团
体

魏都区总工会

【概况】 2020年，区总工会坚持围绕中心，服务大局。

【疫情防控】 强化防疫阻击，推进安全健康。与区文学艺术界联合会共同发起“‘艺’起行动，健康你·我·他”主题书画摄影活动。（邵开放）

共青团魏都区委

【概况】 2020年，团区委围绕中心开展工作。（节选）
"""


def test_an_inline_byline_is_told_from_an_editorial_mark():
    doc = parse_text(UNION)
    assert [(e.title, e.authors, e.paragraphs) for e in doc.entries()] == [
        ("概况", ["邵开放"], ["2020年，区总工会坚持围绕中心，服务大局。"]),
        (
            "疫情防控",
            ["邵开放"],
            ["强化防疫阻击，推进安全健康。与区文学艺术界联合会共同发起“‘艺’起行动，健康你·我·他”主题书画摄影活动。"],
        ),
        ("概况", [], ["2020年，团区委围绕中心开展工作。（节选）"]),
    ]


def test_the_note_on_a_speech_date_line_is_kept(volume):
    # part 1 line 1115: (2020年4月29日,根据录音整理)
    first, *others = volume.sections[0].entries
    assert (first.date, first.notes, first.subtitle) == ("2020-04-29", ["根据录音整理"], "")
    assert [e.notes for e in others] == [[], [], []]


def test_toc_and_body_spellings_that_differ_are_both_kept(volume):
    # an 【】 条目 is titled as the body prints it; the TOC's spelling is its alternative
    assert [(e.title, e.alt_titles, e.line_start) for e in volume.entries() if e.alt_titles and e.kind == "entry"] == [
        ("公务用车管理", ["公务车管理"], 594),
        ("多措并举宣传“豫事办”", ["多策并举宣传“豫事办”"], 659),
        ("推进队伍政治建设", ["推进队伍政治教育建设"], 1155),
    ]
    # a speech, as the TOC prints it; part 1 line 1149 lost 上的 in the layout
    assert [e.alt_titles for e in volume.sections[0].entries] == [[], ["在区委十四届九次全会暨全区领导干部会议讲话"], [], []]
    # a heading is titled as the TOC prints it; the body's misprint is its alternative
    assert [(s.title, s.level, s.alt_titles) for s in volume.walk() if s.alt_titles] == [
        ("中共魏都区委", 1, ["中共魏都区区委"]),
        ("纪检监察", 2, ["纪监察"]),
        ("群众团体", 1, ["群团团体"]),
    ]


def test_no_entry_of_the_sample_runs_from_part_1_into_part_2(volume):
    # Part 1 ends with the vertical heading of 结对帮扶建安区脱贫攻坚 (lines 3565–3571);
    # its first entry starts on line 3 of part 2.
    assert not any(e.source_file_end for e in volume.entries())
    category = volume.sections[5]
    assert (category.title, category.source_file, category.line) == (
        "结对帮扶建安区脱贫攻坚",
        "weidu-yearbook-2021.part1.txt",
        3565,
    )
    assert (category.entries[0].source_file, category.entries[0].line_start) == ("weidu-yearbook-2021.part2.txt", 3)


def test_an_entry_cut_between_two_files_names_the_file_of_its_last_line():
    # Part 2 cut after line 889, inside 【职工帮扶】: its text goes on on line 2 of the
    # next file (line 891 of part 2).
    doc = parse([read_source(FILES[0]), *cut(FILES[1], 889)])
    entry = find(doc, "职工帮扶")
    assert (entry.source_file, entry.line_start, entry.source_file_end, entry.line_end) == (
        "weidu-yearbook-2021.part2-a.txt",
        889,
        "weidu-yearbook-2021.part2-b.txt",
        2,
    )
    assert [p[-10:] for p in entry.paragraphs] == ["问职工2600余人；", "办多期健康知识讲座。"]
    assert [e.title for e in doc.entries() if e.source_file_end] == ["职工帮扶"]
    after = next(e for e in doc.entries() if e.title == "疫情防控" and e.line_start == 8)
    assert (after.source_file, after.line_start, after.source_file_end) == ("weidu-yearbook-2021.part2-b.txt", 8, "")
