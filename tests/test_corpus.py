"""The whole sample corpus as `load_corpus` stores it (loaded once per session by conftest)."""

import datetime
import re
from collections import Counter
from pathlib import Path

import pytest

from gazetteer.models import Appointment, Caption, Entry, Person, Section, Volume

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).resolve().parent.parent / "corpus"
YEARBOOK = "weidu-yearbook-2021"


def entries(slug, **filters):
    return Entry.objects.filter(volume__slug=slug, **filters).order_by("position")


def test_the_manifest_loads_all_five_texts_as_four_volumes():
    volumes = {v.slug: v for v in Volume.objects.all()}
    assert set(volumes) == {YEARBOOK, "changge-speeches-2020-2021", "weidu-14th-five-year-plan", "weidu-newspaper-2022-12"}
    assert [f.name for f in volumes[YEARBOOK].files.all()] == ["weidu-yearbook-2021.part1.txt", "weidu-yearbook-2021.part2.txt"]
    assert Counter(Entry.objects.values_list("volume__slug", flat=True)) == {
        YEARBOOK: 613,
        "changge-speeches-2020-2021": 5,
        "weidu-14th-five-year-plan": 63,
        "weidu-newspaper-2022-12": 9,
    }


def test_the_yearbook_has_its_29_categories_in_print_order():
    titles = list(Section.objects.filter(volume__slug=YEARBOOK, level=1).values_list("title", flat=True))
    assert titles == [
        "特载", "大事记", "区情概况", "专记", "全面建成小康社会", "结对帮扶建安区脱贫攻坚", "中共魏都区委",
        "魏都区人民代表大会", "魏都区人民政府", "政协魏都区委员会", "纪检监察", "群众团体", "军事消防", "法治",
        "经济管理", "工业科技", "农业", "商贸服务", "交通运输", "财政税务", "城市建设与管理",
        "生态环境与自然资源管理", "教育体育", "文化旅游", "卫生健康", "社会生活", "荣誉", "街道概况", "附录",
    ]  # fmt: skip
    digitized = Section.objects.filter(volume__slug=YEARBOOK, level=1, digitized=True)
    assert digitized.count() == 14 and digitized.last().title == "法治"


def test_the_yearbook_speeches_keep_speaker_title_and_date():
    speeches = [(e.title, e.speaker, e.speaker_title, e.date.isoformat(), e.page) for e in entries(YEARBOOK, kind="speech")]
    assert speeches == [
        ("在全区领导干部会议上的讲话", "李朝锋", "区长", "2020-04-29", 3),
        ("在区委十四届九次全会暨全区领导干部会议上的讲话", "李朝锋", "区长", "2020-10-09", 7),
        ("在区委十四届十次全会暨区委经济工作会议上的讲话", "李朝锋", "区委书记", "2021-01-14", 15),
        ("政府工作报告", "何长成", "魏都区人民政府代区长", "2021-01-28", 24),
    ]
    assert entries(YEARBOOK, kind="speech").first().speaker_person == Person.objects.get(name="李朝锋", region="许昌市魏都区")


def test_every_chronicle_day_item_is_dated_in_2020_under_its_month():
    items = entries(YEARBOOK, kind="chronicle").select_related("section")
    # 228 items: 223 single days and 5 ranges such as "15 日~16 日".
    assert items.count() == 228
    assert items.filter(date_end=None).count() == 223
    assert all(e.date.year == 2020 for e in items)
    assert all(e.section.title == f"{e.date.month}月" for e in items)
    assert [(e.date, e.date_end) for e in items.exclude(date_end=None)][:2] == [
        (datetime.date(2020, 4, 15), datetime.date(2020, 4, 16)),
        (datetime.date(2020, 10, 1), datetime.date(2020, 10, 7)),
    ]
    # 是日 takes the date of the item before it.
    tuanbai = items.get(title="魏都区举行春节团拜会")
    assert tuanbai.date == datetime.date(2020, 1, 16)
    assert tuanbai.text.startswith("是日 魏都区举行春节团拜会")


def test_every_bracketed_entry_of_the_two_texts_is_stored_exactly_once():
    raw = "".join((CORPUS / f"weidu-yearbook-2021.part{n}.txt").read_text(encoding="utf-8") for n in (1, 2))
    # Titles are stored without the OCR's stray spaces: 【着力推动“0 接触”审批】. Count
    # the stored entries whose first source line is their 【title】 (综述 is also the
    # title of untitled narratives).
    printed = Counter(re.sub(r"\s", "", t) for t in re.findall(r"【([^】\n]+)】", raw))
    lines = {f.name: f.text.split("\n") for f in Volume.objects.get(slug=YEARBOOK).files.all()}
    stored = Counter(
        re.sub(r"\s", "", e.title)
        for e in entries(YEARBOOK, kind="entry")
        if lines[e.source_file][e.line_start - 1].lstrip().startswith("【")
    )
    assert {t: stored[t] for t in printed if stored[t] != printed[t]} == {}
    assert sum(printed.values()) == 270


def test_leadership_lists_become_appointments_with_notes():
    assert Appointment.objects.filter(volume__slug=YEARBOOK).count() == 676

    def appointment(name, title):
        a = Appointment.objects.select_related("person", "organisation").get(
            volume__slug=YEARBOOK, person__name=name, title=title
        )
        return a.organisation.name, a.note, a.start_month, a.end_month, a.person.notes

    assert appointment("魏少峰", "区委副书记") == ("中共魏都区委", "12月离", None, 12, [])
    assert appointment("何东亚", "区委副书记") == ("中共魏都区委", "12月任", 12, None, ["女"])
    assert appointment("张楠", "区委常委") == ("中共魏都区委", "12月离", None, 12, ["女"])
    assert appointment("赵鸿斌", "副主任") == ("区委办公室", "1月任，12月离", 1, 12, [])
    assert appointment("许瑞铭", "副主任")[4] == ["回"]


def test_bylines_and_captions_are_attached_and_taken_out_of_the_text():
    zongshu = entries(YEARBOOK, title="综述").first()
    assert [b.person.name for b in zongshu.bylines.all()][:3] == ["韩雪", "李明洋", "万喆"]
    assert Caption.objects.filter(entry__volume__slug=YEARBOOK).count() == 38
    for caption in Caption.objects.filter(entry__volume__slug=YEARBOOK).exclude(text="").select_related("entry"):
        assert f"{caption.text} {caption.credit}" not in caption.entry.text


def test_the_audit_fixes_reach_the_stored_volumes():
    # 556 bylines before part 2 line 897's inline （邵开放） signed the six 总工会 entries.
    assert Entry.authors.through.objects.filter(entry__volume__slug=YEARBOOK).count() == 562
    union = entries(YEARBOOK, section__title="魏都区总工会")
    assert [[b.person.name for b in e.bylines.all()] for e in union] == [["邵开放"]] * 6
    assert not entries(YEARBOOK, text__contains="（邵开放）").exists()
    assert entries("weidu-newspaper-2022-12").first().kicker == "认真学习贯彻党的二十大精神"
    assert [(e.title, e.notes) for e in Entry.objects.exclude(notes=[]).order_by("volume__slug", "position")] == [
        ("第三节 持续推进绿色低碳循环发展", ["EOD模式，就是以生态为导向的发展模式。"]),
        (
            "第四节 创新投融资机制",
            [
                "ABS融资模式是以项目所属的资产为支撑的证券化融资方式，即以项目所拥有的资产为基础，"
                "以项目资产可以带来的预期收益为保证，通过在资本市场发行债券来募集资金的一种项目融资方式。"
            ],
        ),
        ("在全区领导干部会议上的讲话", ["根据录音整理"]),
    ]
    assert entries(YEARBOOK, title="推进队伍政治建设").get().alt_titles == ["推进队伍政治教育建设"]
    assert not Entry.objects.exclude(source_file_end="").exists()


def test_the_page_broken_paragraph_is_rejoined():
    assert entries(YEARBOOK, text__contains="抽调优秀年轻干部组建帮扶办，并组成了").count() == 1


def test_the_changge_speeches_keep_the_untitled_opening_and_both_same_titled_speeches():
    rows = [(e.title, e.untitled, e.speaker, e.speaker_title, e.date and e.date.isoformat()) for e in entries("changge-speeches-2020-2021")]
    assert rows == [
        ("（标题缺失）", True, "", "", None),
        ("政府工作报告", False, "张晓丽", "人民政府代市长", "2021-07-17"),
        ("在市委十三届十一次全体会议暨全市领导干部会议上的讲话", False, "尹俊营", "市委书记", "2020-08-17"),
        ("在市委十三届十一次全体会议暨全市领导干部会议上的讲话", False, "张忠民", "人民政府市长", "2020-08-17"),
        ("在全市教育高质量发展三年攻坚推进暨2020年教育质量市长奖表彰大会上的讲话", False, "尹俊营", "市委书记", "2020-09-29"),
    ]
    # 张晓丽 of 长葛 is not 张晓丽 the 魏都 deputy district head.
    assert Person.objects.filter(name="张晓丽").count() == 2


def test_the_plan_has_twelve_chapters_and_two_rebuilt_tables(client):
    sections = list(Section.objects.filter(volume__slug="weidu-14th-five-year-plan").values_list("title", flat=True))
    assert sections[0] == "前言" and len(sections) == 13
    assert sections[12] == "第十二章 强化规划实施保障，为实现“十四五”规划提供坚强保证"
    with_tables = entries("weidu-14th-five-year-plan").exclude(tables=[])
    assert [e.title for e in with_tables] == ["第一节 决胜全面建成小康社会取得决定性成就", "第五节 二〇三五年的远景目标"]
    table = client.get(f"/api/entries/{with_tables[0].pk}").json()["tables"][0]
    assert table["caption"] == "表1：“十三五”规划主要目标完成情况"
    assert (len(table["rows"]), {len(r) for r in table["rows"]}) == (39, {9})
    assert table["rows"][2] == ["一、经济发展", "", "", "", "", "", "", "", ""]
    assert table["rows"][3][:2] == ["1", "地区生产总值（亿元）"] and table["rows"][3][8] == "预期性"
    table2 = client.get(f"/api/entries/{with_tables[1].pk}").json()["tables"][0]
    assert (table2["caption"], len(table2["rows"]), len(table2["rows"][0])) == ("表2：“十四五”经济社会发展主要指标", 25, 7)
    assert not any("[bookmark" in e.text for e in entries("weidu-14th-five-year-plan"))


def test_the_newspaper_articles_keep_headlines_bylines_and_photographers():
    rows = list(entries("weidu-newspaper-2022-12"))
    assert len(rows) == 9
    first = rows[0]
    assert first.title == "中国共产党许昌市魏都区第十五届委员会第三次全体会议举行"
    assert [b.person.name for b in first.bylines.all()] == ["许廷合", "丁姜岚"]
    assert first.date == datetime.date(2022, 12, 17)
    assert [(c.credit, c.credit_person.name) for c in first.captions.all()] == [("侯聪", "侯聪")]
    assert [e.source_tag for e in rows].count("魏宣") == 3
    assert Person.objects.get(name="许廷合").photos.count() == 4


def test_entries_are_linked_to_the_people_and_organisations_they_name():
    tuanbai = entries(YEARBOOK, kind="chronicle").get(title="魏都区举行春节团拜会")
    assert {"张书杰", "李朝锋"} <= {p.name for p in tuanbai.people.all()}
    # Names of one region are not looked for in another region's texts.
    assert not entries("changge-speeches-2020-2021").filter(people__region="许昌市魏都区").exists()
