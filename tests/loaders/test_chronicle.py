"""The shared 大事记 reader: each convention on a few lines of text."""

from pathlib import Path

import pytest

from loaders import LoaderError, parse_sources
from loaders.chronicle import item_title, read_chronicle
from loaders.document import Document
from loaders.text import read_source, source_from_text


def read(text: str, year: int | None = 2020, **kwargs):
    doc = Document(kind="test")
    loose, sections = read_chronicle(source_from_text("c.txt", text).lines(), doc, year=year, **kwargs)
    return doc, loose, sections


def items(sections):
    return [
        (e.date, e.date_end, e.date_precision, e.title)
        for top in sections
        for s in top.walk()
        for e in s.entries
        if e.kind == "chronicle"
    ]


def test_day_items_under_a_month_heading_are_dated_in_the_covered_year():
    _, loose, sections = read("1月\n\n3日 县委召开全会。\n\n是日 县政府召开常务会议。\n")
    assert loose == []
    assert [(s.title, s.level, s.line) for s in sections] == [("1月", 2, 1)]
    assert items(sections) == [
        ("2020-01-03", None, "day", "县委召开全会"),
        ("2020-01-03", None, "day", "县政府召开常务会议"),
    ]


def test_a_day_range_spans_its_days_and_tongri_takes_its_first_day():
    _, _, sections = read("3 月\n16—19日 县人大视察项目。\n同日 县政协召开会议。\n15日~16日 县长考察。\n")
    assert items(sections) == [
        ("2020-03-16", "2020-03-19", "day", "县人大视察项目"),
        ("2020-03-16", None, "day", "县政协召开会议"),
        ("2020-03-15", "2020-03-16", "day", "县长考察"),
    ]


def test_an_undated_line_after_an_item_is_the_rest_of_it():
    _, _, sections = read("4月\n4 日 召开调度会议。\n\n县委书记出席会议。\n")
    (entry,) = sections[0].entries
    assert entry.paragraphs == ["4 日 召开调度会议。", "县委书记出席会议。"]
    assert (entry.line_start, entry.line_end) == (2, 4)


def test_a_fragment_clause_is_not_the_title():
    assert item_title(
        "由区委组织部牵头，魏都区科协邀请“许昌市科普教育基地——许昌口腔医院”的科技志愿者走进健康路小学，"
        "开展“i科普”科技志愿服务暨2020年度第17期科普专家人才进校园活动，为学校100余名学生带来一场精彩的口腔健康科普讲座。"
    ) == "魏都区科协邀请“许昌市科普教育基地——许昌口腔医院”的科技志愿者走进健康路小学"
    assert item_title(
        "在第42个植树节来临之际，魏都区开展春季义务植树活动，市委常委、纪委书记、监委主任方婷，区领导张书杰、李朝锋、"
        "魏少峰出席。"
    ) == "魏都区开展春季义务植树活动"
    # a clause that only names who is kept with what they did
    assert item_title(
        "许昌学院党委组织部副部长王彦，带领对口帮扶南阳市内乡县街道、社区工作人员一行40余人，到魏都区考察城市基层党建工作。"
    ) == "许昌学院党委组织部副部长王彦，带领对口帮扶南阳市内乡县街道、社区工作人员一行40余人"
    # 经济 is not 经 (after): the first clause is the event
    assert item_title(
        "经济开发区管理委员会挂牌成立，区内企业、园区、项目的审批服务统一由管委会办理，进一步优化了营商环境。"
    ) == "经济开发区管理委员会挂牌成立"


# -- conventions, a few lines each ---------------------------------------------------

def one(text: str, year: int | None = 2020, **kwargs):
    """Read a chronicle of one item and return that item."""
    _, loose, sections = read(text, year, **kwargs)
    (entry,) = loose + [e for top in sections for s in top.walk() for e in s.entries]
    return entry


def test_a_range_across_two_months_ends_in_the_second():
    entry = one("3月\n3月28日—4月2日 县长赴外地考察。\n")
    assert (entry.date, entry.date_end, entry.date_precision) == ("2020-03-28", "2020-04-02", "day")


def test_triangle_marks_another_item_of_the_same_day():
    _, _, sections = read("5月\n8日 县委召开常委会。\n△ 县政府召开常务会议。\n")
    assert [(e.date, e.title) for e in sections[0].entries] == [
        ("2020-05-08", "县委召开常委会"),
        ("2020-05-08", "县政府召开常务会议"),
    ]


def test_a_month_only_item_spans_the_month():
    entry = one("11月\n11月，全县秋粮播种全部完成。\n")
    assert (entry.date, entry.date_end, entry.date_precision, entry.title) == (
        "2020-11-01", "2020-11-30", "month", "全县秋粮播种全部完成")


def test_gaiyue_benyue_and_shiyue_are_month_items():
    for word in ("该月", "本月", "是月"):
        entry = one(f"2月\n{word} 全县新增公交线路两条。\n")
        assert (entry.date, entry.date_end, entry.date_precision) == ("2020-02-01", "2020-02-29", "month"), word


def test_xun_items_span_their_ten_days_and_the_last_runs_to_the_months_end():
    _, _, sections = read("2月\n上旬 甲。\n中旬 乙。\n下旬 丙。\n")
    assert [(e.date, e.date_end, e.date_precision) for e in sections[0].entries] == [
        ("2020-02-01", "2020-02-10", "xun"),
        ("2020-02-11", "2020-02-20", "xun"),
        ("2020-02-21", "2020-02-29", "xun"),
    ]


def test_year_items_span_the_year():
    for word in ("是年", "本年", "年内"):
        entry = one(f"12月\n{word} 全县新增就业2100人。\n")
        assert (entry.date, entry.date_end, entry.date_precision) == ("2020-01-01", "2020-12-31", "year"), word


def test_seasons_are_the_three_months_of_the_chinese_calendars_season():
    spans = {}
    for season in "春夏秋冬":
        entry = one(f"{season}，全县植树造林。\n")
        spans[season] = (entry.date, entry.date_end, entry.date_precision)
    assert spans == {
        "春": ("2020-01-01", "2020-03-31", "season"),
        "夏": ("2020-04-01", "2020-06-30", "season"),
        "秋": ("2020-07-01", "2020-09-30", "season"),
        "冬": ("2020-10-01", "2020-12-31", "season"),
    }
    assert one("春节前夕，县领导走访慰问困难群众。\n", year=2020).date_precision is None


def test_a_page_number_line_is_not_glued_into_an_item():
    _, _, sections = read("4月\n16日 县长考察\n\nP. 20\n\n17日 县委召开全会。\n")
    assert [e.paragraphs for e in sections[0].entries] == [["16日 县长考察"], ["17日 县委召开全会。"]]


def test_without_a_covered_year_items_are_left_undated_with_a_warning():
    doc, _, sections = read("1月\n3日 县委召开全会。\n", year=None)
    entry = sections[0].entries[0]
    assert (entry.date, entry.date_precision, entry.year) == (None, None, None)
    assert [(w.line, w.message) for w in doc.warnings] == [
        (2, "大事记 item without a year: give the covered year (--year-covered)")
    ]


def test_year_headings_in_every_form():
    from loaders.chronicle import read_heading

    assert [(h.rank, h.year, h.printed) for h in map(read_heading, [
        "1987年", "#### 1987年", "###### 1949年", "一九八七年", "民国27年（1938年）", "1948年（民国37年）",
        "公元前651年（晋献公二十六年）", "清乾隆十七年",
    ])] == [
        (1, 1987, ""), (1, 1987, ""), (1, 1949, ""), (1, 1987, "一九八七年"), (1, 1938, "民国27年（1938年）"),
        (1, 1948, "1948年（民国37年）"), (1, -651, "公元前651年（晋献公二十六年）"), (1, 1752, "清乾隆十七年"),
    ]
    assert [(h.rank, h.dynasty) for h in map(read_heading, ["汉", "唐", "宋", "元", "明", "清", "中华民国"])] == [
        (0, "汉"), (0, "唐"), (0, "宋"), (0, "元"), (0, "明"), (0, "清"), (0, "中华民国")]
    assert [read_heading(t).month for t in ("3 月", "十二月", "正月")] == [3, 12, 1]
    # a line that only begins with a year, and an era year alone, are not headings
    assert read_heading("1958年特大洪水以来最大的一次。") is None
    assert read_heading("四十一年") is None


def test_a_year_before_the_common_era_keeps_its_year_but_no_iso_date():
    entry = one("公元前651年（晋献公二十六年）\n    晋侯会盟于柳城。\n", year=None)
    assert (entry.year, entry.date, entry.date_precision, entry.date_printed) == (
        -651, None, "year", "公元前651年（晋献公二十六年）")


def test_era_years_implied_eras_and_ganzhi_years_in_a_classical_chronicle():
    text = (
        "明\n　　嘉靖四十年，倭寇犯境。\n　　四十一年，修县学。\n　　崇祯间，流寇过境。\n"
        "　　乙酉闰六月，唐王称号於福州。\n清\n　　咸丰丙辰六年，土匪起。\n"
    )
    _, _, (ming, qing) = read(text, year=None)
    assert [(e.year, e.date, e.date_end, e.date_precision, e.date_printed, e.lunar) for e in ming.entries + qing.entries] == [
        (1561, "1561-01-01", "1561-12-31", "year", "嘉靖四十年", False),
        (1562, "1562-01-01", "1562-12-31", "year", "嘉靖四十一年", False),
        (1628, "1628-01-01", "1644-12-31", "year", "崇祯间", False),  # some year of the era: all of it
        (1645, "1645-06-01", "1645-06-30", "month", "乙酉闰六月", True),  # the first 乙酉 after 1628
        (1856, "1856-01-01", "1856-12-31", "year", "咸丰丙辰六年", False),
    ]


def test_lunar_months_are_kept_as_printed_and_flagged():
    entry = one("清\n　　光绪二十九年癸卯三月十二日，改书院为学堂。\n", year=None)
    assert (entry.date, entry.lunar, entry.date_printed) == ("1903-03-12", True, "光绪二十九年癸卯三月十二日")
    republic = "中华民国\n　　八年，己未夏六月初五日酉正一刻，地动。\n"
    assert one(republic, year=None).lunar is False
    entry = one(republic, year=None, lunar_eras=("民国",))
    assert (entry.date, entry.lunar, entry.title) == ("1919-06-05", True, "地动")
    assert entry.date_printed == "中华民国八年己未夏六月初五日酉正一刻"


def test_notes_go_to_the_item_they_follow_and_are_not_items():
    _, _, (song,) = read("宋\n　　天圣三年，建学馆。市田饩士1为诸郡倡。\n\n　　【注】\n　　1.市田饩士：买田地给养诸生。\n\n"
                          "　　庆历三年，诏天下修学校。\n", year=None)
    assert [(e.year, e.notes) for e in song.entries] == [(1025, ["1.市田饩士：买田地给养诸生。"]), (1043, [])]
    assert (song.entries[0].line_start, song.entries[0].line_end) == (2, 5)
    # after a bare 【校】 line, its unnumbered line is the note
    _, _, (song,) = read("宋\n　　天圣三年，建学馆。\n　　【校】\n　　旧本“学馆”作“学官”。\n\n　　庆历三年，修学校。\n", year=None)
    assert [(e.year, e.notes) for e in song.entries] == [(1025, ["旧本“学馆”作“学官”。"]), (1043, [])]


# -- the fixtures: one text per layout ---------------------------------------------------

DATA = Path(__file__).resolve().parent.parent / "data" / "chronicle"


def load(name: str, **kwargs):
    return parse_sources([read_source(DATA / name)], "chronicle", **kwargs)


def test_a_yearbook_chronicle_for_one_year():
    doc = load("yearbook-dashiji-2019.txt", year_covered=2019)
    (top,) = doc.sections
    assert (top.title, [(s.title, s.level) for s in top.children]) == ("大事记", [("1月", 2), ("3月", 2), ("11月", 2)])
    assert [(e.line_start, e.date, e.date_end, e.date_precision) for s in top.children for e in s.entries] == [
        (5, "2019-01-03", None, "day"),
        (7, "2019-01-03", None, "day"),  # 是日
        (9, "2019-01-03", None, "day"),  # △
        (11, "2019-01-01", "2019-01-10", "xun"),  # 上旬
        (13, "2019-01-16", "2019-01-19", "day"),  # 16—19日
        (15, "2019-01-16", None, "day"),  # 同日: the first day of the range
        (17, "2019-01-21", "2019-01-31", "xun"),  # 下旬
        (19, "2019-01-01", "2019-01-31", "month"),  # 本月
        (23, "2019-01-01", "2019-03-31", "season"),  # 春
        (25, "2019-03-28", "2019-04-02", "day"),  # 3月28日—4月2日
        (27, "2019-03-11", "2019-03-20", "xun"),  # 中旬
        (31, "2019-03-21", None, "day"),  # after the page number P. 20
        (33, "2019-03-21", None, "day"),
        (37, "2019-11-01", "2019-11-30", "month"),  # 11月，…
        (39, "2019-11-15", "2019-11-16", "day"),  # 15日~16日, cut by a page break
        (43, "2019-11-01", "2019-11-30", "month"),  # 该月
        (45, "2019-01-01", "2019-12-31", "year"),  # 年内
    ]
    march = top.children[1].entries
    assert march[3].title == "县文联组织书画家走进青石镇"  # not 由县委宣传部牵头
    # P. 20 is furniture: no item's text, but the page of the items after it
    assert [e.page for e in march] == [None, None, None, 20, 20]
    broken = top.children[2].entries[1]
    assert (broken.paragraphs, broken.line_end) == (["15日~16日 全省县域经济观摩会在青石县召开。"], 41)


def test_a_county_chronicle_with_year_headings_in_every_form():
    doc = load("county-chronicle.txt")
    (top,) = doc.sections
    assert doc.title == "大事记"
    tree = [(p.title, [(y.title, y.level, len(y.entries)) for y in p.children]) for p in top.children]
    assert tree == [
        ("公元前651年～公元1911年", [("公元前651年（晋献公二十六年）", 3, 1), ("1752年（清乾隆十七年）", 3, 2)]),
        ("公元1912年～公元1949年", [("民国27年（1938年）", 3, 2), ("1948年（民国37年）", 3, 1)]),
        ("公元1949年～公元1989年", [("1949年", 3, 3), ("一九五二年", 3, 2), ("1953年", 3, 1)]),
    ]
    items = [(e.year, e.date, e.date_end, e.date_precision, e.date_printed) for e in doc.entries()]
    assert items == [
        (-651, None, None, "year", "公元前651年（晋献公二十六年）"),
        (1752, "1752-01-01", "1752-12-31", "year", "1752年（清乾隆十七年）"),  # no date of its own
        (1752, "1752-04-01", "1752-06-30", "season", "1752年（清乾隆十七年）夏"),
        (1938, "1938-03-01", "1938-03-31", "month", "民国27年（1938年）3月"),
        (1938, "1938-01-01", "1938-12-31", "year", "民国27年（1938年）"),  # 是年
        (1948, "1948-11-06", None, "day", "1948年（民国37年）11月6日"),
        (1949, "1949-10-01", None, "day", ""),
        (1949, "1949-10-01", "1949-10-31", "month", ""),  # 是月
        (1949, "1949-01-01", "1949-12-31", "year", ""),
        (1952, "1952-01-01", "1952-03-31", "season", "一九五二年春"),
        (1952, "1952-07-21", "1952-07-31", "xun", "一九五二年7月下旬"),
        (1953, "1953-06-01", "1953-06-10", "xun", ""),
    ]
    wrapped = list(doc.entries())[1]
    assert wrapped.paragraphs == ["知县重修县志，增设义学三处，延聘县人王某主讲。"]
    flood = list(doc.entries())[10]  # its wrapped line begins with a year and is no heading
    assert flood.paragraphs == ["7月下旬，黄河发生洪水，县城东关进水，为1933年以来最大的一次。"]


def test_a_classical_chronicle_with_dynasty_headings():
    doc = load("classical-dashizhi.txt")
    (top,) = doc.sections
    assert (doc.title, [s.title for s in top.children]) == ("大事志", ["汉", "唐", "宋", "明", "清", "中华民国"])
    (preface,) = top.entries
    assert (preface.kind, preface.paragraphs, preface.notes) == (
        "entry", ["邑之大事，自汉以来，择其要者书之。"], ["1.邑：指本县。"])
    chronicle = [e for e in doc.entries() if e.kind == "chronicle"]
    assert [(e.year, e.date_precision, e.date_printed) for e in chronicle] == [
        (196, "year", "建安元年"),
        (875, "year", "乾符二年"),
        (878, "year", "乾符五年"),  # 五年 after 乾符
        (1241, "year", "淳祐间"),
        (1276, "month", "德祐二年，丙子夏五月"),
        (1368, "year", "洪武中"),
        (1561, "year", "嘉靖四十年"),
        (1561, "year", ""),  # 是年
        (1562, "year", "嘉靖四十一年"),
        (1628, "year", "崇祯间"),
        (1645, "month", "乙酉闰六月"),
        (1646, "day", "丙戍七月二十六日"),  # 丙戍 misprinted for 丙戌
        (1856, "year", "咸丰丙辰六年"),
        (1856, "day", "秋九月十九日"),
        (1864, "month", "同治甲子三年八月"),
        (1864, "year", ""),  # no date of its own: the year of the item above
        (1904, "year", "光绪三十年甲辰"),
        (1913, "month", "中华民国二年癸丑春三月"),  # 二年 under 中华民国
        (1919, "day", "中华民国八年己未夏六月初五日酉正一刻"),
    ]
    qing = top.children[4]
    listed = [e for e in qing.entries if e.kind != "chronicle"]
    assert [(e.title, e.paragraphs) for e in listed] == [("仓廪共三座", ["仓廪共三座", "东仓一  西仓二"])]


def test_an_item_that_runs_into_the_next_file_records_both_files():
    first = source_from_text("a.txt", "1月\n\n3日 县委召开全会，会议\n")
    second = source_from_text("b.txt", "\n审议通过了工作报告。\n\n5日 县政府召开常务会议。\n")
    doc = parse_sources([first, second], "chronicle", year_covered=2020)
    meeting, _ = doc.sections[0].children[0].entries
    assert (meeting.source_file, meeting.line_start, meeting.source_file_end, meeting.line_end) == ("a.txt", 3, "b.txt", 2)
    assert meeting.paragraphs == ["3日 县委召开全会，会议审议通过了工作报告。"]


def test_the_chronicle_kind_refuses_a_text_without_a_dated_item():
    with pytest.raises(LoaderError, match="no dated 大事记 item"):
        parse_sources([source_from_text("x.txt", "一段没有日期的文字。\n")], "chronicle")


def test_undated_words_first_under_a_month_heading_are_an_item_of_that_month():
    _, _, (march,) = read("3月\n全县开展植树造林活动。\n5日 县委召开全会。\n")
    assert [(e.date, e.date_end, e.date_precision) for e in march.entries] == [
        ("2020-03-01", "2020-03-31", "month"),
        ("2020-03-05", None, "day"),
    ]


def test_ten_years_under_a_year_heading_is_not_an_era_year():
    _, _, (year,) = read("民国27年（1938年）\n    十年来，县境屡遭水患。\n", year=None)
    assert [(e.year, e.date_precision, e.date_printed) for e in year.entries] == [(1938, "year", "民国27年（1938年）")]


def test_the_sample_yearbooks_fragment_titles_become_the_items_events():
    corpus = Path(__file__).resolve().parent.parent.parent / "corpus"
    doc = parse_sources([read_source(corpus / f"weidu-yearbook-2021.part{n}.txt") for n in (1, 2)], "yearbook")
    titles = {e.line_start: e.title for e in doc.entries() if e.kind == "chronicle"}
    assert len(titles) == 228
    assert {n: titles[n] for n in (1656, 1792, 1800, 1906, 1966, 2052, 2056, 2082)} == {
        1656: "魏都区开展春季义务植树活动",  # was 在第42个植树节来临之际
        1792: "市人大常委会副主任、区委书记张书杰带队到市军分区和驻许部队慰问",  # 在建军节来临之际
        1800: "区委常委、区委办公室主任程中山，区人大常委会副主任黄中阳到北大街道办事处学院社区、八一社区等地",
        1906: "省委常委、郑州市委书记徐立毅，副省长、郑州市市长王新伟带领郑州市党政考察团到许昌市魏都区曹魏古城南大街进行考察",
        1966: "魏都区“老妈妈志愿服务队”被授予“全国119消防先进集体”荣誉称号",
        2052: "魏都区共有11家企业成功通过河南省2020年第三批高新技术企业认定",
        2056: "许昌学院党委组织部副部长王彦，带领对口帮扶南阳市内乡县街道、社区工作人员一行40余人",
        2082: "魏都区科协邀请“许昌市科普教育基地——许昌口腔医院”的科技志愿者走进健康路小学",  # 由区委组织部牵头
    }
    # titles that were events already stay as they were
    assert titles[1560] == "魏都区召开环境污染防治攻坚警示教育大会"
    assert titles[1620] == "区委书记张书杰主持召开会议"


def test_a_ganzhi_day_stays_in_the_printed_date_of_a_month_item():
    _, _, (song,) = read("宋\n　　天圣四年六月丁亥，大水坏官民庐舍。\n　　六年八月已巳，灾毁官舍。\n", year=None)
    assert [(e.year, e.date, e.date_precision, e.date_printed, e.title) for e in song.entries] == [
        (1026, "1026-06-01", "month", "天圣四年六月丁亥", "大水坏官民庐舍"),
        (1028, "1028-08-01", "month", "天圣六年八月已巳", "灾毁官舍"),  # 已巳, misprinted for 己巳
    ]


def test_a_span_of_era_years_spans_them_all():
    _, _, (qing,) = read("清\n　　顺治九年，修城。\n　　十年至十四年，郡邑虎患甚多。\n", year=None)
    entry = qing.entries[1]
    assert (entry.date, entry.date_end, entry.date_precision, entry.date_printed, entry.title) == (
        "1653-01-01", "1657-12-31", "year", "顺治十年至十四年", "郡邑虎患甚多")


def test_more_spans_of_modern_chronicles():
    _, _, (year,) = read(
        "2015年\n3月中下旬 全县开展春季防火检查。\n同月 县城新建公厕10座。\n上半年 全县招商引资5亿元。\n"
        "年底 全县通村公路全部硬化。\n5月4日晚，县委召开紧急会议。\n",
        year=None,
    )
    assert [(e.date, e.date_end, e.date_precision, e.title) for e in year.entries] == [
        ("2015-03-11", "2015-03-31", "xun", "全县开展春季防火检查"),
        ("2015-03-01", "2015-03-31", "month", "县城新建公厕10座"),
        ("2015-01-01", "2015-06-30", "year", "全县招商引资5亿元"),
        ("2015-01-01", "2015-12-31", "year", "全县通村公路全部硬化"),
        ("2015-05-04", None, "day", "县委召开紧急会议"),
    ]


@pytest.mark.parametrize(
    "line, date, date_end",
    [
        ("3日 县委召开全会。", "2020-03-03", None),
        ("3月5日 县委召开全会。", "2020-03-05", None),
        ("3 月 5 日 县委召开全会。", "2020-03-05", None),
        ("16—19日 县人大视察。", "2020-03-16", "2020-03-19"),
        ("15日~16日 县长考察。", "2020-03-15", "2020-03-16"),
        ("3月28日—4月2日 县长考察。", "2020-03-28", "2020-04-02"),
        ("3月12日至13日 县人代会召开。", "2020-03-12", "2020-03-13"),
    ],
)
def test_day_items_and_day_ranges(line, date, date_end):
    entry = one(f"3月\n{line}\n")
    assert (entry.date, entry.date_end, entry.date_precision) == (date, date_end, "day")


def test_a_chronicle_titled_with_its_year_needs_no_covered_year():
    doc = parse_sources([source_from_text("c.txt", "青石县2019年大事记\n\n5月\n\n8日 县委召开全会。\n")], "chronicle")
    assert doc.title == "青石县2019年大事记"
    assert [e.date for e in doc.entries()] == ["2019-05-08"]
