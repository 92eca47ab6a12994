"""The shared 大事记 reader: each convention on a few lines of text."""

from loaders.chronicle import item_title, read_chronicle
from loaders.document import Document
from loaders.text import source_from_text


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
