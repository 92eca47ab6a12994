"""Years before the common era and lunar months by option, from the command to the page."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from gazetteer import corpus
from gazetteer.models import Entry, Volume
from loaders.document import LoaderError
from tests.test_import import data_dir  # noqa: F401 — the upload directory, per test

DATA = Path(__file__).resolve().parent / "data" / "chronicle"


@pytest.fixture
def ancient(db, monkeypatch):
    # Keep this throw-away volume out of the session's search index.
    monkeypatch.setattr("gazetteer.management.commands.load_volume.after_load", lambda results, progress=None: None)
    call_command(
        "load_volume", str(DATA / "before-common-era.txt"), title="柳城大事志", slug="liucheng-dashizhi",
        lunar_eras=["民国"], stdout=io.StringIO(),
    )  # fmt: skip
    return Volume.objects.get(slug="liucheng-dashizhi")


def test_every_item_stores_its_year_and_the_named_eras_are_lunar(ancient):
    rows = list(ancient.entries.filter(kind="chronicle").values_list("year", "date", "lunar", "title"))
    assert [(year, str(date), lunar) for year, date, lunar, _ in rows] == [
        (-651, "None", False),
        (-221, "None", False),
        (1752, "1752-01-01", False),
        (1938, "1938-03-01", True),
        (1938, "1938-05-12", True),
    ]
    assert ancient.lunar_eras == ["民国"]


def test_the_timeline_lists_years_before_the_common_era_first(client, ancient, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = client.get("/chronicle/", {"volume": "liucheng-dashizhi"})
    html = response.content.decode()
    headings = [html.index(f'<h2 id="year-{y}">{label}</h2>') for y, label in
                [(-651, "公元前651年"), (-221, "公元前221年"), (1752, "1752年"), (1938, "1938年")]]  # fmt: skip
    assert headings == sorted(headings)
    assert "公元前651年（晋献公二十六年）" in html  # the printed era year beside the item
    assert "符合条件的 <strong>5</strong> 则" in html
    nav = client.get("/chronicle/").content.decode()
    assert '<a href="/chronicle/?year=-651">公元前651年</a>' in nav
    one = client.get("/chronicle/", {"year": "-221"}).content.decode()
    assert "置县，属河东郡" in one and "晋侯会盟于柳城" not in one


def test_a_date_range_ending_in_the_common_era_keeps_the_years_before_it(client, ancient):
    html = client.get("/chronicle/", {"volume": "liucheng-dashizhi", "date_to": "1800-12-31"}).content.decode()
    assert "符合条件的 <strong>3</strong> 则" in html
    assert "县城遭轰炸" not in html


def test_the_api_gives_the_year_where_the_date_cannot_hold_it(client, ancient):
    item = Entry.objects.get(volume=ancient, year=-651)
    data = client.get(f"/api/entries/{item.pk}").json()
    assert (data["year"], data["date"], data["date_label"]) == (-651, None, "公元前651年（晋献公二十六年）")


def test_the_exports_hold_only_items_with_a_calendar_date(client, ancient):
    rows = client.get("/chronicle/export.csv", {"volume": "liucheng-dashizhi"}).content.decode().splitlines()
    assert len(rows) == 1 + 3


def test_an_editor_changing_the_date_moves_the_year_with_it(ancient):
    item = Entry.objects.get(volume=ancient, title="知县重修县志")
    item.date = "1753-01-01"
    item.save()
    item.refresh_from_db()
    assert item.year == 1753


def test_the_manifest_takes_lunar_eras_as_a_list(tmp_path):
    manifest = tmp_path / "volumes.toml"
    manifest.write_text(
        '[[volume]]\nslug = "a"\ntitle = "甲"\nkind = "chronicle"\nfiles = ["a.txt"]\nlunar_eras = ["民国"]\n',
        encoding="utf-8",
    )
    (volume,) = corpus.read_manifest(manifest)
    assert volume.meta.lunar_eras == ("民国",)
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('["民国"]', '"民国"'), encoding="utf-8")
    with pytest.raises(LoaderError, match="lunar_eras must be a list"):
        corpus.read_manifest(manifest)


def test_the_import_page_takes_the_lunar_eras(client, editor, data_dir):  # noqa: F811
    from tests.test_import import IMPORT, confirm, upload

    client.force_login(editor)
    details = {"title": "柳城大事志", "region": "", "year_covered": "", "year": "", "kind": "auto", "slug": "liucheng"}
    data = (DATA / "before-common-era.txt").read_bytes()
    previewed = client.post(IMPORT, {**details, "lunar_eras": "民国", "files": [upload("liucheng.txt", data)]})
    assert previewed.status_code == 200
    assert 'name="lunar_eras" value="民国"' in previewed.content.decode()  # carried to the confirmation
    assert "1938年3月（民国27年（1938年）3月，农历）" in previewed.content.decode()
    assert confirm(client, previewed, **details, lunar_eras="民国").status_code == 302
    volume = Volume.objects.get(slug="liucheng")
    assert volume.lunar_eras == ["民国"]
    assert list(volume.entries.filter(year=1938).values_list("lunar", flat=True)) == [True, True]
