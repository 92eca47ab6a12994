"""Issue 12 over the real sample corpus: every exact occurrence, ranking that knows what
entries are, counts that agree, names however typed, and a bounded cost per search."""

import time
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gazetteer.models import Byline, Entry, Person
from gazetteer.search import service, suggest
from gazetteer.search.query import MAX_WORDS, normalize
from gazetteer.search.service import BUDGET, search
from gazetteer.search_indexes import searchable_parts

pytestmark = pytest.mark.django_db


def all_hits(q):
    """Return every hit of a search, page by page, checking that the pages add up to the total."""
    first = search({"q": q})
    hits = list(first.hits)
    for page in range(2, first.pages + 1):
        hits += search({"q": q, "page": page}).hits
    assert len(hits) == first.total, q
    return first, hits


def scan(needle):
    """Return the ids of the entries whose searchable parts contain ``needle``, line by line."""
    needle = normalize(needle)
    qs = Entry.objects.prefetch_related("bylines__person", "captions")
    return {
        e.pk
        for e in qs
        if any(needle in normalize(line) for part in searchable_parts(e) for line in part.split("\n"))
    }


@pytest.mark.parametrize(
    "needle, inside",
    [("颍汝", 11), ("潩河", 6), ("314天", 2), ("慈善总会", 18), ("区政府", 74), ("魏都区委", 36)],
)
def test_a_string_inside_longer_words_finds_every_entry_that_has_it(needle, inside):
    expected = scan(needle)
    assert len(expected) == inside
    for q in (needle, f'"{needle}"'):
        result, hits = all_hits(q)
        assert {h["id"] for h in hits} == expected, q
        assert all(f"<mark>{needle}</mark>" in h["snippet"] for h in hits), q


def test_a_word_cut_in_pieces_matches_only_where_it_is_written():
    # 教育高质量发展 has 教育 and 质量 side by side as words, but not the string 教育质量.
    result, hits = all_hits("教育质量")
    assert {h["id"] for h in hits} == scan("教育质量")
    assert result.total == 5
    assert all("<mark>教育质量</mark>" in h["snippet"] for h in hits)


def test_whole_words_rank_above_matches_inside_a_longer_word():
    hits = search({"q": "地震"}).hits
    assert hits[0]["title"] == "地震"
    assert search({"q": "政府工作报告"}).hits[0]["title"] == "政府工作报告"


def test_a_persons_name_ranks_their_speeches_first_and_names_their_page():
    result = search({"q": "李朝锋"})
    speeches = set(Entry.objects.filter(speaker="李朝锋").values_list("pk", flat=True))
    assert len(speeches) == 3
    assert {h["id"] for h in result.hits[:3]} == speeches
    assert result.total == 76
    person = Person.objects.get(name="李朝锋")
    assert result.names == [{"kind": "person", "id": person.pk, "name": "李朝锋", "url": f"/people/{person.pk}/"}]
    report = search({"q": "张晓丽"}).hits[0]
    assert (report["title"], report["speaker"]) == ("政府工作报告", "张晓丽")


def test_an_authors_name_ranks_their_bylined_entries_first():
    bylined = set(Byline.objects.filter(person__name="许廷合").values_list("entry_id", flat=True))
    hits = search({"q": "许廷合"}).hits
    assert bylined and {h["id"] for h in hits[: len(bylined)]} == bylined


def test_total_facets_and_hits_come_from_the_same_matches_and_a_caption_match_shows_the_caption():
    result, hits = all_hits('"我为河山赋能助力"')
    assert result.total == len(hits) == 3
    assert sum(result.facets["kind"].values()) == 3
    caption_hit = next(h for h in hits if h["title"] == "思想政治工作")
    assert "老干部“<mark>我为河山赋能助力</mark>”情暖重阳节主题活动" in caption_hit["snippet"]


@pytest.mark.parametrize("typed", ["zhangshujie", "zhang shujie", "Zhāng Shūjié", "zhang1 shu1 jie2"])
def test_a_name_typed_in_pinyin_finds_the_person(typed):
    result = search({"q": typed})
    assert result.pinyin == ["张书杰"]
    assert result.total == search({"q": "张书杰"}).total == 56
    assert result.names[0]["name"] == "张书杰"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_the_alias_lookup_reads_only_the_rows_that_have_aliases():
    # Every search looks its words up among the aliases: through the partial index of
    # the rows that have some, not a scan of every person (5 ms a search at 30×).
    with CaptureQueriesContext(connection) as ctx:
        suggest.aliased(["张树杰"])
    plans = []
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            plans.append(" ".join(row[-1] for row in cursor.fetchall()))
    assert plans == [
        "SCAN gazetteer_person USING INDEX person_aliased",
        "SCAN gazetteer_organisation USING INDEX organisation_aliased",
    ]


def test_a_place_typed_in_pinyin_finds_it():
    result = search({"q": "Xuchang"})
    assert result.pinyin == ["许昌"]
    assert result.total == search({"q": "许昌"}).total > 0


def test_a_variant_of_a_known_name_suggests_the_archives_name_on_the_page_and_in_the_api(client):
    result = search({"q": "李朝峰"})
    assert result.total == 4
    assert [s["label"] for s in result.suggestions] == ["李朝峰 — 也写作 李朝锋，共 76 条"]
    page = client.get("/search/", {"q": "李朝峰"}).content.decode()
    assert '李朝峰 — 也写作 <a href="?q=%E6%9D%8E%E6%9C%9D%E9%94%8B">李朝锋</a>，共 76 条' in page
    api = client.get("/api/search", {"q": "李朝峰"}).json()
    assert api["suggestions"] == [
        {"query": "李朝峰", "name": "李朝锋", "reason": "variant", "count": 76,
         "label": "李朝峰 — 也写作 李朝锋，共 76 条"}
    ]  # fmt: skip
    # The archive's own name suggests nothing.
    assert search({"q": "李朝锋"}).suggestions == []


def test_an_alias_suggests_the_name_it_stands_for(index_restored):
    person = Person.objects.get(name="张书杰")
    person.aliases = ["张树杰"]
    person.save()
    result = search({"q": "张树杰"})
    assert [(s["name"], s["reason"], s["count"]) for s in result.suggestions] == [("张书杰", "alias", 56)]
    assert result.names[0]["name"] == "张书杰"


HOSTILE = [
    "的 " * 100,
    "的" * 200,
    " ".join("的了在是和有为与中对上下来去说要就也年月日" * 5),
    " OR ".join("一二三四五六七八九十" * 3),
    "-的 " * 60,
    '"' + "全面建成小康社会" * 25 + '"',
    "区 " * 30 + "政府 " * 30,
    "(((((" * 40,
]


@pytest.mark.parametrize("q", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_query_is_answered_within_the_budget(client, q):
    started = time.monotonic()
    result = search({"q": q})
    elapsed = time.monotonic() - started
    assert result.words <= MAX_WORDS
    assert result.dropped == 0 or result.limited.startswith("检索条件过多")
    assert elapsed < BUDGET * 3  # a safety net only: the figures are in bench/
    response = client.get("/search/?" + urlencode({"q": q}))
    assert response.status_code == 200


def test_repeated_words_are_collapsed_and_extra_words_dropped_with_a_notice(client):
    assert (search({"q": "的 " * 100}).words, search({"q": "的 " * 100}).dropped) == (1, 0)
    many = " ".join("春夏秋冬东西南北甲乙丙丁")
    result = search({"q": many})
    assert (result.words, result.dropped) == (MAX_WORDS, 12 - MAX_WORDS)
    assert result.limited == f"检索条件过多，已按前 {MAX_WORDS} 个词检索"
    assert f"检索条件过多，已按前 {MAX_WORDS} 个词检索" in client.get("/search/", {"q": many}).content.decode()
    assert client.get("/api/search", {"q": many}).json()["limited"] == result.limited


def test_past_the_deadline_a_search_halves_its_words_then_reports_what_it_found(monkeypatch):
    # No budget at all: the first try runs out, the second (half the words) counts what
    # it found by then; total, facets and hits still agree.
    result = search({"q": "区 政府 魏都 许昌"}, budget=0)
    assert (result.words, result.dropped) == (2, 2)
    assert result.complete is False
    assert result.limited == "检索条件过多，已按前 2 个词检索"
    assert result.total == sum(result.facets["kind"].values()) >= len(result.hits)
    single = search({"q": "区"}, budget=0)
    assert (single.words, single.complete) == (1, False)
    assert single.limited.startswith(f"检索用时超过 {service.BUDGET:g} 秒的上限")


@pytest.mark.parametrize(
    "q", ["魏都", "颍汝", "疫情防控", "李朝锋", "教育质量", "许昌 OR 长葛", '"我为河山赋能助力"', "區政府", "的", "PM2.5", "发展 规划"]
)
def test_the_posting_lists_answer_as_whooshs_matchers_do(q, monkeypatch):
    # postings.py reads the matches and the scores from the posting lists; with it off,
    # Whoosh's own matchers and collector do the same work. Every page must agree.
    from gazetteer.search.postings import Postings

    fast = [search({"q": q, "page": p}) for p in (1, 2)]
    monkeypatch.setattr(Postings, "matches", lambda *args, **kwargs: None)
    monkeypatch.setattr(Postings, "scores", lambda *args, **kwargs: None)
    slow = [search({"q": q, "page": p}) for p in (1, 2)]
    assert fast[0].total > 0
    for a, b in zip(fast, slow, strict=True):
        assert (a.total, a.facets, [h["id"] for h in a.hits]) == (b.total, b.facets, [h["id"] for h in b.hits])


def test_hits_matched_only_by_their_author_read_their_snippets_in_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    # 赫连康娅 is an author (a byline), not in the text of the 8 entries she wrote: each
    # snippet comes from the entry read whole. One by one that was 87 queries for 8 hits.
    bylined = set(Byline.objects.filter(person__name="赫连康娅").values_list("entry_id", flat=True))
    with django_assert_max_num_queries(12):
        hits = search({"q": "赫连康娅"}).hits
    assert len(bylined) == 8 and {h["id"] for h in hits} == bylined
    assert all(h["snippet"] == "<mark>赫连康娅</mark>" for h in hits)
