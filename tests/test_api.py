import pytest

from gazetteer import store
from gazetteer.models import Entry, Person
from tests.factories import small_document


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
    assert set(month) == {"id", "title", "level", "page", "digitized", "entries", "children"}
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


@pytest.mark.parametrize("url", ["/api/entries/999999", "/api/people/999999", "/api/volumes/no-such-volume", "/api/nothing-here"])
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
