"""Every gunicorn worker serves the newest index, even after a rebuild that ends on the
same generation number as the index it replaced (the TOC file is then _MAIN_1.toc both
times, and a worker that compared generations kept the old one)."""

import contextlib
import json
import sqlite3
import threading
import urllib.parse

import pytest

from tests.live import Browser, LiveArchive, wait_until

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
    """Return {worker pid: titles found for ``q``}, asking every worker.

    A request that holds one worker (the test hook's X-Fault-Hold) leaves the search to
    the other; repeated until each worker has answered.
    """
    pids = set(archive.worker_pids())
    answers = {}
    for _ in range(40):
        archive.clear_held()
        holder = threading.Thread(
            target=lambda: Browser(archive.url).get("/healthz", headers={"X-Fault-Hold": "1.5"})
        )
        holder.start()
        held = wait_until(archive.held_pids, timeout=10, what="a held worker")[0]
        body = json.loads(Browser(archive.url).get("/api/search?" + urllib.parse.urlencode({"q": q}))[1])
        (other,) = pids - {held}
        answers[other] = [h["title"] for h in body["hits"]]
        holder.join()
        if set(answers) == pids:
            return answers
    raise AssertionError(f"only workers {sorted(answers)} of {sorted(pids)} answered")


def toc(archive):
    return sorted(p.name for p in archive.index_dir.glob("_MAIN_*.toc"))


def test_after_a_rebuild_onto_the_same_generation_every_worker_serves_the_new_index(archive):
    before = toc(archive)
    assert all(OLD in found for found in titles_on_each_worker(archive, OLD).values())
    # Change a title behind the indexer's back (no queued task, so no commit of its own),
    # then rebuild: the new index ends on the same TOC file name as the old one.
    with contextlib.closing(sqlite3.connect(archive.data_dir / "gazetteer.sqlite3")) as db, db:
        assert db.execute("UPDATE gazetteer_entry SET title = ? WHERE title = ?", (NEW, OLD)).rowcount == 1
    archive.manage("rebuild_index", "--noinput")
    assert toc(archive) == before
    for worker, found in titles_on_each_worker(archive, NEW).items():
        assert found == [NEW], worker
    for worker, found in titles_on_each_worker(archive, OLD).items():
        assert OLD not in found, worker
