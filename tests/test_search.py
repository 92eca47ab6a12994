"""Search over the real sample corpus: relevance, the stack's pitfalls, the query language,
the API, freshness through the indexer queue, and the index commands."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from gazetteer.models import Entry, IndexTask, Section
from gazetteer.search import analysis, dictionary, indexing
from gazetteer.search.query import normalize
from gazetteer.search.service import search

pytestmark = pytest.mark.django_db
EVAL = Path(settings.BASE_DIR) / "tests" / "data" / "eval" / "queries-dev.tsv"


def dev_queries():
    rows = [line.rstrip("\n").split("\t") for line in EVAL.read_text(encoding="utf-8").splitlines()]
    return [(q, phrase) for q, phrase, _ in (r for r in rows if r and not r[0].startswith("#"))]


def titles(q, **filters):
    return [h["title"] for h in search({"q": q, **filters}).hits]


@pytest.fixture
def new_entry(django_capture_on_commit_callbacks):
    """Create entries through the ORM as an editor would, index them through the queue,
    and take their documents out of the index again afterwards."""
    created = []
    section = Section.objects.get(volume__slug="weidu-yearbook-2021", title="区情概况")

    def make(title, text, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            entry = Entry.objects.create(
                volume=section.volume,
                section=section,
                position=100000 + len(created),
                title=title,
                text=text,
                source_file="editor",
                line_start=1,
                line_end=1,
                **fields,
            )
        created.append(entry.pk)
        assert indexing.process_queue() >= 1
        return entry

    yield make
    indexing.write({}, {Entry: created})


@pytest.mark.parametrize("query, phrase", dev_queries())
def test_every_dev_query_finds_its_passage_in_the_top_ten(query, phrase):
    hits = search({"q": query}).hits
    texts = [normalize(Entry.objects.get(pk=h["id"]).text) for h in hits[:10]]
    assert any(normalize(phrase) in t for t in texts), [h["title"] for h in hits[:10]]


def test_the_entry_about_a_thing_ranks_above_entries_that_mention_it():
    assert titles("地震")[0] == "地震"
    assert titles("建置沿革")[0] == "建置沿革"
    assert titles("政府工作报告")[0] == "政府工作报告"


def test_snippets_highlight_chinese_terms_as_escaped_html(new_entry):
    # Pitfall 1: haystack's highlighter finds nothing in Chinese.
    hit = search({"q": "春节团拜会"}).hits[0]
    assert "<mark>春节团拜会</mark>" in hit["snippet"]
    new_entry("标记测试", "会上展示了<script>alert(1)</script>红旗渠精神。")
    snippet = search({"q": "红旗渠"}).hits[0]["snippet"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in snippet and "<script>" not in snippet
    assert "<mark>红旗渠</mark>" in snippet


def test_a_hit_shows_the_whole_section_path_however_deep(new_entry):
    # A hit's path is read with its row down to four levels; deeper ones from the model.
    top = Section.objects.get(volume__slug="weidu-yearbook-2021", title="区情概况")
    parent, made = top, []
    for depth in range(2, 7):
        parent = Section.objects.create(
            volume=top.volume, parent=parent, title=f"第{depth}层", position=900 + depth, level=depth
        )
        made.append(parent)
    try:
        entry = new_entry("深层条目", "深藏于第六层的颍川郡旧事。")
        for section in (made[1], made[-1]):
            Entry.objects.filter(pk=entry.pk).update(section=section)
            hit = search({"q": "颍川郡旧事"}).hits[0]
            assert hit["section_path"] == [s.title for s in section.path()]
        assert hit["section_path"] == ["区情概况", "第2层", "第3层", "第4层", "第5层", "第6层"]
    finally:
        Entry.objects.filter(section__in=made).update(section=top)


def test_notes_and_the_tocs_spelling_of_a_title_are_searched():
    # 证券化 is printed only in the plan's footnote on ABS (line 777).
    assert titles("证券化") == ["第四节 创新投融资机制"]
    # The TOC spells 【多措并举宣传“豫事办”】 as 多策并举宣传“豫事办”.
    assert "多措并举宣传“豫事办”" in titles("多策并举")


def test_a_quoted_phrase_matches_exactly_that_string():
    # Pitfall 2: jieba's tokenizer gives character offsets as positions, so no phrase matches.
    assert titles('"区委常委会第102次会议"') == ["区委常委会议纪要"]
    assert titles('"第102次会议区委常委会"') == []
    assert all("全面建成小康社会" in normalize(Entry.objects.get(pk=h["id"]).title + Entry.objects.get(pk=h["id"]).text)
               for h in search({"q": '"全面建成小康社会"'}).hits)  # fmt: skip


def test_rare_ideographs_digits_and_latin_words_are_searchable(new_entry):
    # Pitfall 3: jieba's tokenizer keeps only [\u4E00-\u9FA5].
    entry = new_entry("数字化测试", "旧志所载𠀋字碑，现建成5G基站，监测PM2.5浓度，型号XC2077。")
    assert [h["id"] for h in search({"q": "𠀋"}).hits] == [entry.pk]
    assert [h["id"] for h in search({"q": "xc2077"}).hits] == [entry.pk]
    for query in ("5G", "5g", "PM2.5", "pm2.5", "ＰＭ２．５"):
        assert entry.pk in [h["id"] for h in search({"q": query}).hits], query


def test_traditional_characters_find_simplified_text(new_entry):
    # Pitfall 4: no folding.
    assert titles("許昌德通 斯里蘭卡") == ["魏都区举行许昌德通赴斯里兰卡投资发展签约仪式"]
    entry = new_entry("人物测试", "龚华锋同志调研社区工作。")
    assert [h["id"] for h in search({"q": "龔華鋒"}).hits] == [entry.pk]
    assert [h["title"] for h in search({"q": "傅華"}).hits] == ["人才队伍建设"]  # its text names 傅华


def test_an_edit_is_queued_not_written_by_the_request_and_a_delete_leaves_no_stale_hit(
    new_entry, django_capture_on_commit_callbacks
):
    # Pitfall 5: saving holds no index lock; the indexer applies the queue.
    entry = new_entry("新增条目", "魏都区举办非遗展演周活动。")
    assert [h["id"] for h in search({"q": "非遗展演周"}).hits] == [entry.pk]
    held = indexing.backend().writer()  # the index is busy (another writer holds the lock)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            entry.text = "魏都区举办民俗展演周活动。"
            entry.save()
        assert IndexTask.objects.filter(object_id=entry.pk).count() == 1
    finally:
        held.cancel()
    indexing.process_queue()
    assert search({"q": "非遗展演周"}).hits == []
    assert [h["id"] for h in search({"q": "民俗展演周"}).hits] == [entry.pk]
    with django_capture_on_commit_callbacks(execute=True):
        entry.delete()
    # Not yet applied: the hit is dropped because the row is gone.
    assert search({"q": "民俗展演周"}).hits == []
    indexing.process_queue()
    assert search({"q": "民俗展演周"}).total == 0


def test_the_archives_names_stay_whole_through_the_user_dictionary():
    # Pitfall 6: the dictionary lives in the data dir and is regenerated by each load.
    words = set(dictionary.path().read_text(encoding="utf-8").split())
    assert dictionary.path().parent == settings.DATA_DIR
    assert {"李朝锋", "颍汝干渠", "魏都区", "中共魏都区委", "清潩河"} <= words
    for name in ("李朝锋", "颍汝干渠", "魏都区"):
        assert analysis.tokens(name, mode="query") == [name]
    assert len(search({"q": "颍汝干渠"}).hits) >= 5


def test_words_are_all_required_or_alternatives_or_excluded():
    both = {h["id"] for h in search({"q": "刑事案件 审结"}).hits}
    first = {h["id"] for h in search({"q": "刑事案件"}).hits}
    assert both and both <= first
    either = search({"q": "斯里兰卡 OR 糖豆妈妈"}).total
    assert either == search({"q": "斯里兰卡"}).total + search({"q": "糖豆妈妈"}).total
    without = {h["id"] for h in search({"q": "刑事案件 -审结"}).hits}
    assert without == first - both


@pytest.mark.parametrize("q", ['"区委', "(魏都", "title:地震", "地震)", "*", "?", "\\", "a:b:c", "OR", "-", '"', "AND NOT", "魏都~2"])
def test_query_syntax_never_causes_an_error(client, q):
    response = client.get("/api/search", {"q": q})
    assert response.status_code == 200
    assert client.get("/search/", {"q": q}).status_code == 200


def test_empty_and_overlong_queries(client):
    empty = client.get("/api/search", {"q": "  "}).json()
    assert (empty["total"], empty["hits"]) == (0, [])
    assert "检索帮助" in client.get("/search/").content.decode()
    long = client.get("/api/search", {"q": "魏都" * 150}).json()
    assert long["truncated"] is True and len(long["query"]) == 200
    assert "已截取前 200 字" in client.get("/search/", {"q": "魏都" * 150}).content.decode()


def test_the_api_returns_the_documented_shape(client):
    data = client.get("/api/search", {"q": "疫情防控"}).json()
    assert set(data) >= {"query", "total", "page", "pages", "hits", "facets"}
    assert set(data["facets"]) == {"volume", "kind", "year", "category"}
    assert set(data["hits"][0]) >= {"id", "title", "kind", "volume", "section_path", "date", "speaker", "snippet", "url"}
    assert len(data["hits"]) == 20 and data["pages"] == -(-data["total"] // 20)
    assert sum(data["facets"]["kind"].values()) == data["total"]


def test_filters_and_sorting(client):
    chronicle = client.get("/api/search", {"q": "疫情防控", "kind": "chronicle", "sort": "date"}).json()
    dates = [h["date"] for h in chronicle["hits"]]
    assert dates == sorted(dates) and all(h["kind"] == "chronicle" for h in chronicle["hits"])
    newest = client.get("/api/search", {"q": "疫情防控", "kind": "chronicle", "sort": "-date"}).json()
    assert newest["hits"][0]["date"] == max(dates + [newest["hits"][0]["date"]])
    ranged = client.get("/api/search", {"q": "疫情", "date_from": "2020-02-01", "date_to": "2020-02-29"}).json()
    assert ranged["total"] > 0 and all("2020-02-01" <= h["date"] <= "2020-02-29" for h in ranged["hits"])
    speaker = client.get("/api/search", {"q": "高质量发展", "speaker": "尹俊营"}).json()
    assert {h["speaker"] for h in speaker["hits"]} == {"尹俊营"} and speaker["total"] == 2
    author = client.get("/api/search", {"q": "综述", "author": "韩雪"}).json()
    assert author["total"] >= 1
    volume = client.get("/api/search", {"q": "魏都", "volume": "weidu-newspaper-2022-12", "year": 2022}).json()
    assert volume["total"] == 9 and volume["facets"]["volume"] == {"weidu-newspaper-2022-12": 9}
    # Browsing without words, sorted by date: undated entries come last either way.
    speeches = client.get("/api/search", {"kind": "speech", "sort": "date"}).json()["hits"]
    assert [h["date"] for h in speeches][:2] == ["2020-04-29", "2020-08-17"] and speeches[-1]["date"] is None
    assert client.get("/api/search", {"kind": "speech", "sort": "-date"}).json()["hits"][-1]["date"] is None
    category = client.get("/api/search", {"q": "疫情", "category": "大事记"}).json()
    assert all(h["section_path"][0] == "大事记" for h in category["hits"])


@pytest.mark.parametrize(
    "params, message",
    [
        ({"q": "x", "page": "0"}, "page"),
        ({"q": "x", "page": "abc"}, "page"),
        ({"q": "x", "kind": "poem"}, "kind"),
        ({"q": "x", "sort": "random"}, "sort"),
        ({"q": "x", "date_from": "2020-13-01"}, "date_from"),
        ({"q": "x", "date_from": "2020-05-01", "date_to": "2020-04-01"}, "起始日期晚于截止日期"),
        ({"q": "x", "volume": "no-such-volume"}, "volume"),
        ({"q": "疫情", "page": "400"}, "page"),
    ],
)
def test_invalid_parameters_are_a_400_with_a_message(client, params, message):
    response = client.get("/api/search", params)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_index_commands_report_and_rebuild():
    out = io.StringIO()
    call_command("search_health", stdout=out)
    assert "the index matches the database" in out.getvalue()
    call_command("rebuild_index", interactive=False, verbosity=0)
    call_command("search_health", stdout=io.StringIO())
    call_command("update_index", verbosity=0)
    call_command("search_health", stdout=io.StringIO())
    assert titles("建置沿革")[0] == "建置沿革"
