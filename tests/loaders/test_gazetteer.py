"""The gazetteer kind (县志/市志, and classical 志) on fixtures written in each convention."""

from pathlib import Path

import pytest

from loaders import parse_files
from loaders.document import Entry, EntryKind, Section
from loaders.gazetteer import parse
from loaders.text import source_from_text

DATA = Path(__file__).resolve().parents[1] / "data" / "gazetteer"


def load(name: str):
    return parse_files([DATA / name], "gazetteer")


def outline(doc):
    return [(s.level, s.title, s.page, [(e.line_start, e.line_end) for e in s.entries]) for s in doc.walk()]


def test_a_modern_chapter_nests_bian_zhang_jie_mu_and_numbered_headings():
    doc = load("chapter-bian-zhang-jie.txt")
    assert outline(doc) == [
        (1, "第三编 经济", 133, []),
        (2, "第一章 农业", 133, [(3, 6)]),
        (3, "第一节 种植业", 133, []),
        (4, "一、粮食作物", 133, [(10, 14)]),
        (4, "二、经济作物", 133, [(16, 18)]),
        (3, "第二节 畜牧业", 134, [(23, 25)]),
        (4, "第一目 家禽", 134, [(27, 29)]),
        (2, "第二章 工业", 134, [(31, 39)]),
    ]


def test_hard_wrapped_lines_are_one_paragraph_and_page_footers_are_not_text():
    doc = load("chapter-bian-zhang-jie.txt")
    grain = doc.sections[0].children[0].children[0].children[0].entries[0]
    assert grain.paragraphs == [
        "全县粮食作物以小麦、玉米为主，兼种谷子、高粱和豆类。1985年粮食总产量12.6万吨，"
        "比1949年增长3.2倍。小麦种植面积常年稳定在30万亩左右，主要分布在县境中部和南部。"
    ]
    industry = doc.sections[0].children[1].entries[0]
    assert industry.paragraphs == [
        "1985年，全县有乡及乡以上工业企业146个，其中县属国营企业28个，集体企业118个。",
        "1985年工业总产值1.9亿元。",
    ]
    assert not any("青石县志" in p or "13" in p[:3] for e in doc.entries() for p in e.paragraphs)


def test_a_markdown_gazetteer_keeps_its_parts_and_hands_the_chronicle_on(monkeypatch):
    given = []

    def reader(lines, doc, *, year=None, level=2):
        given.append(([(ln.number, ln.text.strip()) for ln in lines if ln.text.strip()], level))
        return [], []

    monkeypatch.setattr("loaders.gazetteer.read_chronicle", reader)
    doc = load("xianzhi-markdown.md.txt")
    top = [(s.title, [c.title for c in s.children]) for s in doc.sections]
    assert top == [
        ("序言概述", ["序", "凡例", "概述"]),
        ("大事记", ["古代", "现代"]),
        ("第一卷 地理", ["第一类 位置", "第二类 地貌"]),
        ("附录", ["一、历代县名"]),
        ("编后记", []),
    ]
    # Period headings stay sections; year headings and items go to the chronicle reader.
    assert given == [
        ([(29, "公元前206年（汉高祖元年）"), (30, "置青石县，属河内郡。"), (31, "1368年（明洪武元年）"), (32, "8月，青石县归明。")], 3),
        (
            [
                (36, "###### 1949年"),
                (37, "10月1日  全县各界集会庆祝中华人民共和国成立。"),
                (38, "是年  全县粮食总产量5.1万吨。"),
                (39, "###### 1950年"),
                (40, "春  全县开展土地改革。"),
            ],
            3,
        ),
    ]


def test_the_chronicle_readers_items_and_years_hang_under_the_period(monkeypatch):
    item = Entry("置县", EntryKind.CHRONICLE, "x", 30, 30, ["置青石县。"])
    heading = Section("1949年", 3)
    monkeypatch.setattr("loaders.gazetteer.read_chronicle", lambda lines, doc, *, year=None, level=2: ([item], [heading]))
    period = load("xianzhi-markdown.md.txt").sections[1].children[0]
    assert (period.title, period.entries, period.children) == ("古代", [item], [heading])


def test_preface_signature_and_fanli_items_stay_apart():
    doc = load("xianzhi-markdown.md.txt")
    preface, fanli, overview = doc.sections[0].children
    assert preface.entries[0].paragraphs[-2:] == ["县志编纂委员会", "1990年5月"]
    assert [p[:2] for p in fanli.entries[0].paragraphs] == ["一、", "二、", "三、"]
    assert overview.entries[0].paragraphs[0] == "一"  # a centred part number, not glued to the text


def test_a_classical_toc_becomes_the_outline_of_the_book():
    doc = load("classical-mulu.txt")
    assert doc.title == "青石县志"
    toc = doc.sections[1]
    assert [(s.title, s.digitized, [c.title for c in s.children]) for s in toc.children] == [
        ("卷一", False, ["序", "舆图第一", "沿革表第二"]),
        ("卷二", False, ["山川志第三 附水利", "城池志第四"]),
        ("卷十一", False, ["艺文志 记 卷上", "杂录第五"]),
    ]
    preface = doc.sections[2]
    assert (preface.title, preface.entries[0].paragraphs[-1]) == ("序", "民国十年三月邑人某某序于县署")


def test_a_two_column_toc_is_read_cell_by_cell_with_wrapped_cells_rejoined():
    toc = load("two-column-mulu.txt").sections[0]
    first, second = toc.children
    assert [(m.title, [c.title for c in m.children]) for m in first.children] == [
        ("州郡", ["沿革", "分野", "風俗", "封建", "祠廟"])
    ]
    (people,) = second.children
    assert [c.title for c in people.children] == [
        "賢良方正一人",
        "進士貢士二百三十四人",
        "明經二人",
        "特奏名三十三人",
        "武舉四人",
        "義民",
        "仙釋",
        "方外",
        "雜録",
        "牧守",
        "官署",
    ]


def test_classical_headings_are_told_by_their_indent():
    doc = load("classical-juan.txt")
    assert [(s.level, s.title, s.page) for s in doc.walk()] == [
        (1, "青石志巻一", 1),
        (2, "沿革", 1),
        (2, "風俗", 1),
        (2, "道路", 1),
    ]
    road = doc.sections[0].children[2].entries[0]
    assert road.paragraphs == ["東至郡城一百二十里西至界首六十里南至江九十里北至山口四十里"]
    assert (road.line_start, road.line_end) == (11, 14)


def test_a_name_list_keeps_a_line_per_person_and_fanli_items_are_split():
    doc = load("names-fanli.txt")
    assert [(s.title, [len(e.paragraphs) for e in s.entries]) for s in doc.sections] == [
        ("重修青石县志职员姓名", []),
        ("督修", [2]),
        ("总纂", [1]),
        ("采访", [3]),
        ("凡例", [4]),
    ]
    assert doc.sections[4].entries[0].paragraphs[1:3] == ["一旧志所载，多有讹误，今据档案订正。", "一人物皆以卒年为序，生者不立传。"]


def test_an_entry_running_into_the_next_file_names_both_files():
    first = source_from_text("a.txt", "### 第一卷 地理\n\n    青石县位于省境西部，\n")
    second = source_from_text("b.txt", "总面积1280平方公里。\n")
    (entry,) = parse([first, second]).entries()
    assert (entry.source_file, entry.line_start, entry.source_file_end, entry.line_end) == ("a.txt", 1, "b.txt", 1)


def test_nothing_but_blank_lines_is_refused():
    from loaders import LoaderError

    with pytest.raises(LoaderError, match="no text found"):
        parse([source_from_text("a.txt", "\n\n# source: x\n\n")])


def test_a_plain_text_gazetteer_takes_its_parts_as_top_headings():
    doc = load("xianzhi-plain.txt")
    assert [(s.level, s.title) for s in doc.sections] == [
        (1, "序"),
        (1, "凡例"),
        (1, "大事记"),
        (1, "第一编 地理"),
        (1, "附录"),
    ]
    chronicle = doc.sections[2]
    items = [(e.date, e.date_precision) for s in chronicle.walk() for e in s.entries]
    assert items == [("1949-10-01", "day"), ("1950-01-01", "season")]
    assert [c.title for c in doc.sections[3].children] == ["第一章 位置"]


def test_the_book_title_is_the_one_the_text_prints():
    assert load("classical-juan.txt").title == "青石志"
    assert load("classical-mulu.txt").title == "青石县志"
    assert load("chapter-bian-zhang-jie.txt").title == ""


def test_unnumbered_sub_headings_sit_under_the_open_jie():
    text = (
        "第一章　自然环境\n\n第一节　位置\n\n    青石县位于省境西部，总面积1280平方公里，东与某县接壤。\n\n"
        "境域\n    县境东西宽42公里，南北长50公里，呈不规则四边形。\n\n第二节　地貌\n\n"
        "    县境地势西高东低，西部为丘陵，东部为平原。\n"
    )
    doc = parse([source_from_text("c.txt", text)])
    assert [(s.level, s.title) for s in doc.walk()] == [
        (1, "第一章 自然环境"),
        (2, "第一节 位置"),
        (3, "境域"),
        (2, "第二节 地貌"),
    ]


def test_a_gazetteer_in_traditional_characters_reads_the_same(monkeypatch):
    given = []
    monkeypatch.setattr(
        "loaders.gazetteer.read_chronicle",
        lambda lines, doc, *, year=None, level=2: (given.extend(ln.text.strip() for ln in lines if ln.text.strip()), ([], []))[1],
    )
    doc = parse_files([DATA / "traditional-xianzhi.txt"], "auto")
    assert (doc.kind, doc.title) == ("gazetteer", "青石縣志")
    assert [(s.level, s.title) for s in doc.walk()] == [
        (1, "《青石縣志》"),
        (1, "凡例"),
        (1, "大事記"),
        (1, "第一篇 地理"),
        (2, "第一章 位置"),
        (3, "第一節 境域"),
        (3, "第二節 面積"),
        (1, "附錄"),
    ]
    assert given == ["1949年", "10月  縣政府遷至新址。"]


def test_numbered_headings_over_indented_paragraphs_nest_under_the_jie():
    text = (
        "第一章　农业\n\n第一节　种植业\n\n一、粮食作物\n    全县粮食作物以小麦、玉米为主，兼种谷子、高粱和豆类。\n\n"
        "（一）小麦\n    小麦种植面积常年稳定在30万亩左右，主要分布在县境中部。\n\n概况\n    全县耕地面积80万亩，其中水浇地60万亩。\n\n"
        "二、经济作物\n    经济作物主要有棉花、花生和烟叶，棉花种植历史悠久。\n"
    )
    doc = parse([source_from_text("c.txt", text)])
    assert [(s.level, s.title) for s in doc.walk()] == [
        (1, "第一章 农业"),
        (2, "第一节 种植业"),
        (3, "一、粮食作物"),
        (4, "（一）小麦"),
        (5, "概况"),
        (3, "二、经济作物"),
    ]
