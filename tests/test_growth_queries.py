"""The pages that list the archive make no more queries when the archive grows: twice the
sample corpus (a synthetic district of bench/scale.py beside it) costs what the sample does."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import scale
from gazetteer import corpus
from gazetteer.models import Entry, Volume

pytestmark = pytest.mark.django_db
GROWING = [
    "/",
    "/volumes/",
    "/people/",
    "/people/?page=2",
    "/organisations/",
    "/chronicle/",
    "/chronicle/?date_from=2020-01-01&date_to=2020-12-31",
    "/search/?q=许昌",
    "/search/?q=工作&kind=chronicle",
    "/api/volumes",
    "/api/people",
]


def queries(client, url):
    # Once to warm this process's caches (the pinyin name index, the searcher), as a
    # running worker has them; then counted.
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def entries_on_home(client):
    return int(re.search(r"<strong>(\d+)</strong> 个条目", client.get("/").content.decode()).group(1))


def test_pages_that_list_the_archive_make_as_many_queries_at_twice_its_size(
    client, tmp_path, django_assert_max_num_queries, index_put_back
):
    at_1x = {url: queries(client, url) for url in GROWING}
    at_1x_entries = entries_on_home(client)
    assert max(at_1x.values()) <= 15
    results = [corpus.load_volume(meta, paths) for k, meta, paths in scale.copies(2, tmp_path) if k == 1]
    corpus.after_load(results)
    assert Volume.objects.count() == 8
    assert "安川" in client.get("/volumes/").content.decode()  # the new district is listed
    # Home's figures, kept by each process, are counted again: the load wrote the index.
    assert entries_on_home(client) == Entry.objects.count() == 2 * at_1x_entries
    for url in GROWING:
        client.get(url)  # warm again: the load changed what the caches hold
        with django_assert_max_num_queries(at_1x[url]):
            client.get(url)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's index (SQLite's own puts NULLs first)")
def test_the_chronicle_order_has_its_index_on_postgresql(client):
    # /chronicle/ orders undated items first in their year; PostgreSQL's B-tree puts
    # NULLs last unless told: without this index it sorted every item of a year.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'entry_chronicle_order'")
        (definition,) = cursor.fetchone()
        assert "(kind, year, date NULLS FIRST)" in definition
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/chronicle/").status_code == 200
        page = next(q["sql"] for q in ctx.captured_queries if "ORDER BY" in q["sql"] and "LIMIT" in q["sql"])
        assert 'ORDER BY "gazetteer_entry"."year" ASC, "gazetteer_entry"."date" ASC NULLS FIRST,' in page
        # The page's order starts with the index's; whether the planner takes it for the
        # rest of the page's query depends on the table's size (at 100×: yes, 39 -> 0.6 ms),
        # so what is asserted is that this order is read from the index, sorting nothing.
        for setting in ("enable_seqscan", "enable_sort", "enable_incremental_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM gazetteer_entry WHERE kind = 'chronicle' ORDER BY year, date NULLS FIRST LIMIT 100"
        )
        plan = " ".join(row[0] for row in cursor.fetchall())
        assert "entry_chronicle_order" in plan and "Sort" not in plan, plan


@pytest.mark.parametrize("url", ["/", "/chronicle/"])
def test_the_counts_that_grow_with_the_archive_count_rows_not_ids(client, url):
    # PostgreSQL answers COUNT(*) from an index and fetched every counted row from the
    # table for COUNT(id) (at 100×: home's entries by kind 40 -> 13.5 ms, /chronicle/'s
    # years 31 -> 4 ms). The plan itself is not asserted: whether PostgreSQL reads an index
    # only depends on its visibility map, which a test's transaction cannot set.
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    # One column and its count over every entry (of a kind): the counts of the whole archive.
    counts = re.compile(r'SELECT [^,]+, COUNT\(([^)]*)\) AS "n" FROM "gazetteer_entry" (WHERE .*)?GROUP BY')
    counted = [m.group(1) for q in ctx.captured_queries if (m := counts.match(q["sql"])) and " JOIN " not in q["sql"]]
    assert counted and set(counted) == {"*"}, counted
