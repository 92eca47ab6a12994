"""Every gunicorn worker serves the newest index after a rebuild, and a worker notices a
new index by its TOC file's stamp, not its generation number: before, a rebuild that
ended on the same generation (_MAIN_1.toc both times) left every worker on the old one.
A rebuild now switches to a new build numbered past the live one; the same-generation
case is made by hand below, with two builds of one generation swapped under a searcher.
"""

import contextlib
import json
import sqlite3
import urllib.parse

import pytest

from tests.live import LiveArchive

pytestmark = pytest.mark.slow
WORKERS = 2
OLD, NEW = "地震", "地动仪测试条目"


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    archive = LiveArchive(tmp_path_factory.mktemp("fresh-search"), workers=WORKERS)
    archive.prepare()
    archive.manage("rebuild_index", "--noinput")
    archive.start()
    yield archive
    archive.stop()


def titles_on_each_worker(archive, q):
    """Return {worker pid: titles found for ``q``}, one search served by each worker."""
    answers = archive.get_on_every_worker("/api/search?" + urllib.parse.urlencode({"q": q}))
    assert sorted(answers) == sorted(archive.worker_pids())
    return {
        pid: [h["title"] for h in json.loads(body)["hits"]] for pid, (status, body, *_) in answers.items()
    }


def toc(archive):
    return sorted(p.name for p in archive.index_dir.glob("_MAIN_*.toc"))


def test_after_a_rebuild_onto_the_same_generation_every_worker_serves_the_new_index(archive):
    before = toc(archive)
    assert all(OLD in found for found in titles_on_each_worker(archive, OLD).values())
    # Change a title behind the indexer's back (no queued task, so no commit of its own),
    # then rebuild: every worker must answer from the new build.
    with contextlib.closing(sqlite3.connect(archive.data_dir / "gazetteer.sqlite3")) as db, db:
        assert db.execute("UPDATE gazetteer_entry SET title = ? WHERE title = ?", (NEW, OLD)).rowcount == 1
    archive.manage("rebuild_index", "--noinput")
    assert toc(archive) != before
    for worker, found in titles_on_each_worker(archive, NEW).items():
        assert found == [NEW], worker
    for worker, found in titles_on_each_worker(archive, OLD).items():
        assert OLD not in found, worker


@pytest.mark.django_db
def test_a_searcher_follows_a_new_build_of_the_same_generation(settings):
    """Two builds whose TOC files have one name: the searcher must still switch."""
    import shutil
    from pathlib import Path

    from haystack.constants import ID
    from whoosh.index import open_dir

    from gazetteer.models import Entry
    from gazetteer.search import versions
    from gazetteer.search.service import search

    path = Path(settings.HAYSTACK_CONNECTIONS["default"]["PATH"])
    live = versions.live_build(path)
    quake = Entry.objects.get(title=OLD)
    other = Entry.objects.exclude(pk=quake.pk).order_by("pk").first()
    builds = []
    for gone in (quake, other):  # each build lacks one entry, and both commit once
        build = versions.new_build(path)
        shutil.rmtree(build)
        shutil.copytree(live, build)
        writer = open_dir(str(build)).writer()
        writer.delete_by_term(ID, f"gazetteer.entry.{gone.pk}")
        writer.commit(optimize=False)
        builds.append(build)
    without_quake, with_quake = builds
    assert sorted(p.name for p in without_quake.glob("_MAIN_*.toc")) == sorted(
        p.name for p in with_quake.glob("_MAIN_*.toc")
    )
    try:
        versions.switch(path, without_quake)
        assert quake.pk not in [h["id"] for h in search({"q": OLD}).hits]
        versions.switch(path, with_quake)
        assert quake.pk in [h["id"] for h in search({"q": OLD}).hits]
    finally:
        versions.switch(path, live)
        for build in builds:
            shutil.rmtree(build, ignore_errors=True)
    assert quake.pk in [h["id"] for h in search({"q": OLD}).hits]
