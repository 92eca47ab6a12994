"""Citations a reference manager understands: Highwire meta tags, RIS, BibTeX, CSL-JSON."""

import datetime
import json
from html.parser import HTMLParser

import pytest

from gazetteer import citations
from gazetteer.models import Entry


class MetaTags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("name", "").startswith("citation_"):
            self.tags.append((attrs["name"], attrs["content"]))


def meta_tags(client, entry):
    parser = MetaTags()
    parser.feed(client.get(entry.get_absolute_url()).content.decode())
    return parser.tags


def values(tags, name):
    return [content for tag, content in tags if tag == name]


@pytest.mark.parametrize(
    "lookup",
    [
        {"title": "侨界疫情防控"},  # a yearbook entry with a byline and a page
        {"title": "在全区领导干部会议上的讲话", "speaker": "李朝锋"},  # a speech
        {"title__startswith": "魏都区:“联院帮户”"},  # a newspaper article with two authors
    ],
)
def test_the_meta_tags_agree_with_the_api(client, db, lookup):
    entry = Entry.objects.get(**lookup)
    tags = meta_tags(client, entry)
    api = client.get(f"/api/entries/{entry.pk}").json()
    assert values(tags, "citation_title") == [api["title"]]
    assert values(tags, "citation_author") == (api["authors"] or [api["speaker"]])
    book = "citation_journal_title" if entry.volume.kind == "newspaper" else "citation_inbook_title"
    assert values(tags, book) == [api["volume_title"]]
    assert values(tags, "citation_firstpage") == ([str(api["page"])] if api["page"] else [])
    assert values(tags, "citation_public_url") == [api["url"]]
    assert values(tags, "citation_publication_date") == [str(entry.volume.year)]


def test_the_yearbook_entry_carries_every_tag(client, db):
    entry = Entry.objects.get(title="侨界疫情防控")
    assert meta_tags(client, entry) == [
        ("citation_title", "侨界疫情防控"),
        ("citation_author", "罗晓丹"),
        ("citation_inbook_title", "魏都年鉴（2021）"),
        ("citation_book_title", "魏都年鉴（2021）"),
        ("citation_publisher", "许昌市魏都区地方史志编纂委员会"),
        ("citation_publication_date", "2021"),
        ("citation_firstpage", "106"),
        ("citation_language", "zh"),
        ("citation_public_url", f"http://testserver/entries/{entry.pk}/"),
    ]


def test_an_entry_without_byline_or_speaker_is_the_compilers(db):
    entry = Entry.objects.filter(volume__slug="weidu-yearbook-2021", bylines=None, speaker="").first()
    assert values(citations.highwire(entry, "u"), "citation_author") == ["许昌市魏都区地方史志编纂委员会"]


def test_ris_bibtex_and_csl_json_exports(client, db):
    entry = Entry.objects.get(title="侨界疫情防控")
    url = f"http://testserver/entries/{entry.pk}/"
    today = datetime.date.today().isoformat()
    ris = client.get(f"/entries/{entry.pk}/cite.ris")
    assert ris["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert ris.content.decode() == (
        "TY  - CHAP\r\nTI  - 侨界疫情防控\r\nAU  - 罗晓丹\r\nT2  - 魏都年鉴（2021）\r\n"
        "PB  - 许昌市魏都区地方史志编纂委员会\r\nPY  - 2021\r\nSP  - 106\r\n"
        f"UR  - {url}\r\nY2  - {today}\r\nLA  - zh\r\nDB  - 方志档案\r\nID  - gazetteer-entry-{entry.pk}\r\nER  - \r\n"
    )
    bib = client.get(f"/entries/{entry.pk}/cite.bib")
    assert bib["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert bib.content.decode() == (
        f"@incollection{{gazetteer-entry-{entry.pk},\n"
        "  title = {侨界疫情防控},\n  author = {{罗晓丹}},\n  booktitle = {魏都年鉴（2021）},\n"
        "  publisher = {许昌市魏都区地方史志编纂委员会},\n  year = {2021},\n  pages = {106},\n"
        f"  url = {{{url}}},\n  urldate = {{{today}}},\n  language = {{chinese}}\n}}\n"
    )
    csl = client.get(f"/entries/{entry.pk}/cite.json")
    assert csl["Content-Type"] == "application/vnd.citationstyles.csl+json; charset=utf-8"
    (item,) = json.loads(csl.content)
    assert item | {"accessed": None} == {
        "id": f"gazetteer-entry-{entry.pk}",
        "type": "chapter",
        "title": "侨界疫情防控",
        "author": [{"literal": "罗晓丹"}],
        "container-title": "魏都年鉴（2021）",
        "publisher": "许昌市魏都区地方史志编纂委员会",
        "issued": {"date-parts": [[2021]]},
        "page": "106",
        "URL": url,
        "language": "zh-CN",
        "accessed": None,
    }
    assert client.get("/entries/999999/cite.ris").status_code == 404
    assert client.get(f"/entries/{entry.pk}/cite.xml").status_code == 404


def test_a_newspaper_article_is_cited_as_one(db):
    entry = Entry.objects.get(title__startswith="魏都区:“联院帮户”")
    ris = citations.ris(entry, "u", datetime.date(2026, 1, 1))
    assert ris.startswith("TY  - NEWS\r\n") and "AU  - 许廷合\r\nAU  - 王若晖\r\nJO  - 魏都新闻版面（2022年12月）\r\n" in ris
    assert citations.bibtex(entry, "u", datetime.date(2026, 1, 1)).startswith(f"@article{{gazetteer-entry-{entry.pk},")
    assert json.loads(citations.csl_json(entry, "u", datetime.date(2026, 1, 1)))[0]["type"] == "article-newspaper"


def test_bibtex_escapes_braces(db):
    entry = Entry.objects.get(title="侨界疫情防控")
    entry.title = "a{b}c\\"
    assert "title = {a\\{b\\}c\\textbackslash{}}" in citations.bibtex(entry, "u", datetime.date(2026, 1, 1))


def test_the_citation_box_offers_the_formats(client, db):
    entry = Entry.objects.get(title="侨界疫情防控")
    html = client.get(entry.get_absolute_url()).content.decode()
    for fmt in ("ris", "bib", "json"):
        assert f'href="/entries/{entry.pk}/cite.{fmt}"' in html
