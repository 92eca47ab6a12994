from pathlib import Path

import pytest

from gazetteer import store
from gazetteer.models import Entry, Person, Section
from loaders import parse_sources
from tests.factories import small_document
from tests.loaders.sources import cut

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture
def volume(db):
    meta = store.VolumeMeta(slug="test-yearbook", title="测试年鉴", kind="yearbook", region="测试区", year=2021, year_covered=2020)
    result = store.store_document(small_document(), meta, [store.StoredFile("test.txt", "0" * 64, "utf-8", "x")])
    return result.volume


def test_volume_list_has_the_documented_keys(client, volume):
    data = client.get("/api/volumes").json()
    row = next(v for v in data["volumes"] if v["slug"] == "test-yearbook")
    assert row == {
        "slug": "test-yearbook",
        "title": "测试年鉴",
        "kind": "yearbook",
        "region": "测试区",
        "compiler": "",
        "year": 2021,
        "year_covered": 2020,
        "entry_count": 3,
        "url": "http://testserver/volumes/test-yearbook/",
    }


def test_volume_detail_nests_sections_and_entries(client, volume):
    data = client.get("/api/volumes/test-yearbook").json()
    assert [s["title"] for s in data["sections"]] == ["特载", "大事记", "区情概况", "文化"]
    chronicle = data["sections"][1]
    assert chronicle["entries"] == []
    month = chronicle["children"][0]
    assert set(month) == {"id", "title", "alt_titles", "level", "page", "digitized", "entries", "children"}
    assert (month["title"], month["level"], month["page"], month["digitized"]) == ("1月", 2, 35, True)
    assert month["entries"][0] | {"id": 0} == {"id": 0, "title": "举行春节团拜会", "kind": "chronicle", "date": "2020-01-02"}
    assert data["sections"][3]["digitized"] is False


def test_entry_detail_has_the_documented_shape(client, volume):
    entry = Entry.objects.get(volume=volume, title="区域位置")
    data = client.get(f"/api/entries/{entry.pk}").json()
    assert data["section_path"] == ["区情概况", "位置 境域"]
    assert data["text"] == "本区位于许昌市中心。\n面积三十平方公里。"
    assert data["authors"] == ["宋岩", "李阳"]
    assert data["captions"] == [{"text": "区政府大楼", "credit": "卜丽君"}, {"text": "会议现场", "credit": "组织部"}]
    assert data["tables"] == [{"caption": "表1", "rows": [["指标", "数值"], ["面积", "30"]]}]
    assert data["source"] == {"file": "test.txt", "line_start": 12, "line_end": 14}
    assert (data["page"], data["kind"], data["volume"], data["date"]) == (53, "entry", "test-yearbook", None)
    assert data["url"] == f"http://testserver/entries/{entry.pk}/"
    speech = client.get(f"/api/entries/{Entry.objects.get(volume=volume, kind='speech').pk}").json()
    assert (speech["speaker"], speech["speaker_title"], speech["date"]) == ("王五", "区委书记", "2020-04-29")


def test_people_search_and_detail(client, volume):
    data = client.get("/api/people", {"q": "张楠"}).json()
    # The sample corpus has a 张楠 of 魏都区 too: people are told apart by region.
    assert sorted((p["name"], p["region"]) for p in data["people"]) == [("张楠", "测试区"), ("张楠", "许昌市魏都区")]
    zhang = next(p for p in data["people"] if p["region"] == "测试区")
    assert zhang["notes"] == ["女"]
    assert zhang["appointments"] == [
        {"title": "区委副书记", "organisation": "中共测试区委", "volume": "test-yearbook", "note": "12月离", "start_month": None, "end_month": 12}
    ]
    one = client.get(f"/api/people/{zhang['id']}").json()
    assert one["name"] == "张楠" and one["appointments"] == zhang["appointments"]


def test_people_search_finds_aliases(client, volume):
    Person.objects.filter(name="王五", region="测试区").update(aliases=["王伍"])
    assert [p["name"] for p in client.get("/api/people", {"q": "王伍"}).json()["people"]] == ["王五"]


@pytest.mark.parametrize(
    "url",
    ["/api/entries/999999", "/api/people/999999", "/api/volumes/no-such-volume", "/api/nothing-here", "/api/volumes/%0A%C2%9F"],
)
def test_unknown_ids_are_json_404s(client, db, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "error" in response.json()


@pytest.mark.parametrize("params", [{"page": "x"}, {"page": "0"}, {"page": "99"}, {"q": "长" * 51}])
def test_bad_people_parameters_are_json_400s(client, db, params):
    response = client.get("/api/people", params)
    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_the_api_is_read_only(client, volume):
    assert client.post("/api/volumes").status_code == 405


def test_entries_show_their_kicker_notes_and_toc_spelling(client, db):
    # From the sample corpus as loaded: newspaper line 5, plan line 758, yearbook part 2 line 1155.
    article = Entry.objects.get(volume__slug="weidu-newspaper-2022-12", position=0)
    data = client.get(f"/api/entries/{article.pk}").json()
    assert (data["kicker"], data["title"], data["subtitle"]) == (
        "认真学习贯彻党的二十大精神",
        "中国共产党许昌市魏都区第十五届委员会第三次全体会议举行",
        "高质量建设城乡融合共同富裕先行试验区 全面开创社会主义现代化魏都建设新局面",
    )
    assert (data["notes"], data["alt_titles"]) == ([], [])
    green = Entry.objects.get(volume__slug="weidu-14th-five-year-plan", title="第三节 持续推进绿色低碳循环发展")
    assert client.get(f"/api/entries/{green.pk}").json()["notes"] == ["EOD模式，就是以生态为导向的发展模式。"]
    speech = Entry.objects.filter(volume__slug="weidu-yearbook-2021", kind="speech").first()
    assert client.get(f"/api/entries/{speech.pk}").json()["notes"] == ["根据录音整理"]
    brigade = Entry.objects.get(volume__slug="weidu-yearbook-2021", title="推进队伍政治建设")
    assert client.get(f"/api/entries/{brigade.pk}").json()["alt_titles"] == ["推进队伍政治教育建设"]


def test_sections_show_the_other_spelling_of_their_title(client, db):
    data = client.get("/api/volumes/weidu-yearbook-2021").json()
    party = data["sections"][6]
    assert (party["title"], party["alt_titles"]) == ("中共魏都区委", ["中共魏都区区委"])
    discipline = next(s for s in data["sections"][10]["children"] if s["title"] == "纪检监察")
    assert discipline["alt_titles"] == ["纪监察"]
    assert Section.objects.filter(volume__slug="weidu-yearbook-2021").exclude(alt_titles=[]).count() == 3


def test_an_entry_running_into_the_next_file_names_both_files(client, db):
    # The plan cut after line 757, inside 第三节 (line 756), stored as a volume of two files.
    sources = cut(CORPUS / "weidu-14th-five-year-plan.txt", 757)
    meta = store.VolumeMeta(slug="test-cut-plan", title="切分的规划", kind="plan", region="测试区", year=2021)
    files = [store.StoredFile(s.name, str(i) * 64, "utf-8", s.text) for i, s in enumerate(sources)]
    store.store_document(parse_sources(sources, "plan"), meta, files)
    green = Entry.objects.get(volume__slug="test-cut-plan", title="第三节 持续推进绿色低碳循环发展")
    assert client.get(f"/api/entries/{green.pk}").json()["source"] == {
        "file": "weidu-14th-five-year-plan-a.txt",
        "line_start": 756,
        "line_end": 3,
        "file_end": "weidu-14th-five-year-plan-b.txt",
    }
    after = Entry.objects.get(volume__slug="test-cut-plan", title="第四节 健全生态治理体系")
    assert client.get(f"/api/entries/{after.pk}").json()["source"] == {
        "file": "weidu-14th-five-year-plan-b.txt",
        "line_start": 4,
        "line_end": 7,
    }
