"""Faults while serving: a killed worker, a lost or corrupt index, a locked database, a full disk.

The first tests serve the sample corpus with gunicorn (the repository's config, two
workers and the indexer) from a data dir of their own, on the engine the session
runs on (a database of their own on PostgreSQL). Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import sqlite3
import threading
import uuid

import dj_database_url
import pytest
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction

from gazetteer import corpus
from gazetteer.models import Entry, IndexTask, Person, Volume
from gazetteer.search import versions
from tests.live import Browser, LiveArchive, raw_status, wait_until

POSTGRES = settings.DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")


class Databases:
    """Throw-away PostgreSQL databases on the session's server, dropped at the end."""

    def __init__(self):
        self.created = []
        self.base = os.environ["DATABASE_URL"]

    def _admin(self):
        import psycopg

        c = dj_database_url.parse(self.base)
        return psycopg.connect(
            dbname="postgres",
            user=c["USER"],
            password=c["PASSWORD"],
            host=c["HOST"],
            port=c["PORT"] or 5432,
            autocommit=True,
        )

    def new(self) -> str:
        name = f"gazetteer_live_{uuid.uuid4().hex[:10]}"
        with self._admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.base.rsplit("/", 1)[0] + "/" + name

    def drop_all(self):
        with self._admin() as admin:
            for name in self.created:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def databases():
    dbs = Databases() if POSTGRES else None
    yield dbs
    if dbs:
        dbs.drop_all()


@pytest.fixture(scope="module")
def live(tmp_path_factory, databases):
    archive = LiveArchive(
        tmp_path_factory.mktemp("live"), database_url=databases.new() if databases else None
    )
    archive.prepare()
    archive.start()
    try:
        yield archive
    finally:
        archive.stop()


def json_get(live, path):
    status, body, _ = Browser(live.url).get(path)
    assert status == 200, (path, status, body[:300])
    return json.loads(body)


def newspaper_entry_ids(live):
    data = json_get(live, "/api/volumes/weidu-newspaper-2022-12")
    ids = []

    def walk(sections):
        for s in sections:
            ids.extend(e["id"] for e in s["entries"])
            walk(s["children"])

    walk(data["sections"])
    return ids


def reader_paths(live):
    entry = newspaper_entry_ids(live)[0]
    return [
        "/",
        "/volumes/weidu-yearbook-2021/",
        f"/entries/{entry}/",
        f"/api/entries/{entry}",
        "/api/volumes",
        "/people/",
    ]


def statuses_on_every_worker(live, path):
    """Each worker serves ``path`` once; return the statuses."""
    return [status for status, *_ in live.get_on_every_worker(path).values()]


def test_a_worker_killed_mid_request_is_replaced_while_the_others_serve(live):
    paths = reader_paths(live)
    before = set(live.worker_pids())
    live.clear_held()
    held = {}
    thread = threading.Thread(
        target=lambda: held.setdefault("result", raw_status(live.url, paths[2], {"X-Fault-Hold": "30"}))
    )
    thread.start()
    (victim,) = wait_until(live.held_pids, timeout=30, what="a worker to hold the request")
    assert victim in before
    # The other worker goes on serving while one is stuck in a request ...
    assert [Browser(live.url).get(p)[0] for p in paths] == [200] * len(paths)
    os.kill(victim, signal.SIGKILL)
    thread.join(60)
    # ... the killed request's connection closes (no response at all, never a 5xx) ...
    assert isinstance(held["result"], Exception)
    # ... and the rest keep serving while gunicorn starts a replacement.
    assert [Browser(live.url).get(p)[0] for p in paths * 3] == [200] * len(paths) * 3
    replaced = wait_until(
        lambda: (lambda pids: victim not in pids and len(pids) == live.workers and pids)(
            set(live.worker_pids())
        ),
        timeout=60,
        what="a replacement worker",
    )
    assert len(replaced & before) == live.workers - 1


def search_total(live, q="魏都"):
    return json_get(live, f"/api/search?q={q}")["total"]


def assert_search_unavailable_and_the_rest_serves(live):
    browser = Browser(live.url)
    status, body, headers = browser.get("/search/?q=%E9%AD%8F%E9%83%BD")
    assert status == 503
    assert "检索暂时不可用" in body
    status, body, headers = browser.get("/api/search?q=%E9%AD%8F%E9%83%BD")
    assert status == 503 and headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"error": "search is unavailable: the index cannot be read", "status": 503}
    assert [browser.get(p)[0] for p in reader_paths(live)] == [200] * len(reader_paths(live))
    status, body, _ = browser.get("/healthz")
    assert status == 503
    health = json.loads(body)
    assert health["status"] == "unavailable" and health["database"]["ok"] and not health["search"]["ok"]


def rebuild_and_check(live, expected_total):
    live.manage("rebuild_index", "--noinput", "-v", "0")
    assert search_total(live) == expected_total
    status, body, _ = Browser(live.url).get("/healthz")
    assert (status, json.loads(body)["status"]) == (200, "ok")


def test_a_deleted_index_makes_only_search_unavailable_until_rebuild_index(live):
    total = search_total(live)
    assert total > 100
    # Every worker has its searcher open when the directory goes, as on a busy site.
    assert statuses_on_every_worker(live, "/search/?q=魏都") == [200] * live.workers
    versions.remove(live.index_dir)
    assert_search_unavailable_and_the_rest_serves(live)
    rebuild_and_check(live, total)


def corrupt_index(live):
    """Leave what a crash in the middle of a commit, or a bad copy, leaves: the newest
    table of contents is garbage and the segment files it names are gone."""
    (toc,) = live.index_dir.glob("_MAIN_*.toc")
    generation = int(toc.stem.rsplit("_", 1)[1])
    (live.index_dir / f"_MAIN_{generation + 1}.toc").write_bytes(os.urandom(2048))
    toc.unlink()
    for segment in live.index_dir.glob("*.seg"):
        segment.unlink()


def test_a_corrupt_index_makes_only_search_unavailable(live):
    total = search_total(live)
    assert statuses_on_every_worker(live, "/search/?q=魏都") == [200] * live.workers
    corrupt_index(live)
    assert_search_unavailable_and_the_rest_serves(live)
    # The README's recovery for a corrupt index: remove the directory, rebuild. (rebuild_index
    # alone fails here: haystack's clear step opens the index before emptying it.)
    versions.remove(live.index_dir)
    rebuild_and_check(live, total)


def database_path(live):
    return live.data_dir / "gazetteer.sqlite3"


def test_a_long_transaction_makes_requests_fail_fast_with_503_not_hang(live):
    editor = Browser(live.url, timeout=60)
    editor.login()
    entry_id = newspaper_entry_ids(live)[1]
    change = f"/admin/gazetteer/entry/{entry_id}/change/"
    reader_entry = f"/entries/{entry_id}/"
    if POSTGRES:
        import psycopg

        holder = psycopg.connect(live.env["DATABASE_URL"])
        holder.execute("UPDATE gazetteer_entry SET title = title WHERE id = %s", [entry_id])
    else:
        holder = sqlite3.connect(database_path(live), timeout=1, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE gazetteer_entry SET title = title WHERE id = ?", [entry_id])
    try:
        # Readers are not blocked by a writer (WAL / MVCC) ...
        assert Browser(live.url).get(reader_entry)[0] == 200
        # ... and a save that needs the lock gives up after the lock timeout with a 503.
        status, body = editor.save(change, {"title": "锁等待中的修改"})
        assert status == 503
        assert "数据库暂时繁忙或不可用" in body
        if POSTGRES:
            # A lock that keeps readers out too (ACCESS EXCLUSIVE, as some migrations take)
            # turns reading pages into 503s as well, and /healthz. (SQLite in WAL mode has
            # no such lock while other connections are open: readers always go on.)
            holder.execute("LOCK TABLE gazetteer_entry IN ACCESS EXCLUSIVE MODE")
            status, body, headers = Browser(live.url).get(reader_entry)
            assert (status, headers["Retry-After"]) == (503, "10")
            status, body, headers = Browser(live.url).get(f"/api/entries/{entry_id}")
            assert status == 503 and json.loads(body)["status"] == 503
    finally:
        if POSTGRES:
            holder.rollback()
        elif holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()
    # Once the transaction ends everything works again, and the save goes through.
    assert Browser(live.url).get(reader_entry)[0] == 200
    status, body = editor.save(change, {"title": "锁释放后的修改"})
    assert status == 302, body[:500]
    assert json_get(live, f"/api/entries/{entry_id}")["title"] == "锁释放后的修改"
    found = wait_until(
        lambda: [h["id"] for h in json_get(live, "/api/search?q=锁释放后的修改")["hits"]],
        timeout=30,
        what="the indexer to apply the save",
    )
    assert found == [entry_id]


@pytest.mark.django_db
def test_a_database_that_cannot_be_read_answers_503_on_pages_the_api_and_healthz(client):
    entry_id = Entry.objects.values_list("pk", flat=True).first()

    def locked(execute, sql, params, many, context):
        raise OperationalError("database is locked")

    with connection.execute_wrapper(locked):
        page = client.get(f"/entries/{entry_id}/")
        api = client.get(f"/api/entries/{entry_id}")
        health = client.get("/healthz")
    assert (page.status_code, page["Retry-After"]) == (503, "10")
    assert "数据库暂时繁忙或不可用" in page.content.decode()
    assert (api.status_code, api.json()) == (
        503,
        {"error": "数据库暂时繁忙或不可用，请稍后再试。", "status": 503},
    )
    assert health.status_code == 503
    assert health.json()["database"] == {"ok": False, "error": "OperationalError"}
    assert health.json()["status"] == "unavailable"


@pytest.mark.django_db
def test_healthz_reports_database_and_index_for_a_balancer_probing_by_ip_over_http(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.0.0.7")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert response.json() == {
        "status": "ok",
        "database": {
            "ok": True,
            "engine": connection.vendor,
            "volumes": 4,
            "index_queue": 0,
            "index_queue_age_seconds": 0,
        },
        "search": {
            "ok": True,
            "documents": {
                "gazetteer.entry": 690,
                # People follow the loaders' reading of names (bylines, namesakes told apart).
                "gazetteer.person": Person.objects.count(),
                "gazetteer.organisation": 104,
            },
            "missing": 0,
            "in_sync": True,
        },
    }
    # Everything else is redirected to HTTPS and checks the host.
    assert client.get("/", HTTP_HOST="localhost").status_code == 301
    assert client.get("/", HTTP_HOST="10.0.0.7", secure=True).status_code == 400


@pytest.mark.django_db
def test_healthz_is_degraded_when_the_index_lags_with_nothing_queued_and_unavailable_when_empty(
    client, monkeypatch
):
    from gazetteer import health

    lagging = [
        ("gazetteer.entry", 690, 680),
        ("gazetteer.person", 697, 697),
        ("gazetteer.organisation", 104, 104),
    ]
    monkeypatch.setattr(health.indexing, "health", lambda: lagging)
    data = client.get("/healthz").json()
    assert (data["status"], data["search"]["missing"], data["search"]["in_sync"]) == ("degraded", 10, False)
    # Changes waiting for the indexer are normal operation, not degradation.
    IndexTask.objects.create(model="gazetteer.entry", object_id=1)
    assert client.get("/healthz").json()["status"] == "ok"
    empty = [("gazetteer.entry", 690, 0), ("gazetteer.person", 697, 0), ("gazetteer.organisation", 104, 0)]
    monkeypatch.setattr(health.indexing, "health", lambda: empty)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["search"]["error"] == "EmptyIndex"


def test_backup_while_editors_save_is_consistent_and_restores(live, databases, tmp_path):
    editor = Browser(live.url, timeout=60)
    editor.login()
    ids = newspaper_entry_ids(live)
    saves = []

    def save_in_a_loop():
        for i in range(6):
            entry_id = ids[i % len(ids)]
            saves.append(
                editor.save(f"/admin/gazetteer/entry/{entry_id}/change/", {"title": f"备份期间修改{i}"})[0]
            )

    thread = threading.Thread(target=save_in_a_loop)
    thread.start()
    live.manage("backup", str(tmp_path / "b"))
    thread.join(120)
    assert saves == [302] * 6
    manifest = json.loads((tmp_path / "b" / "backup.json").read_text())
    assert manifest["tables"]["gazetteer_entry"] == 690
    # Restore into a new, empty data dir; restore checks every table count and file hash.
    restored = LiveArchive(tmp_path / "restored", database_url=databases.new() if databases else None)
    restored.manage("migrate", "--noinput", "-v", "0")
    out = restored.manage("restore", str(tmp_path / "b")).stdout
    assert "690 entries; search index rebuilt" in out
    assert "the index matches the database" in restored.manage("search_health").stdout


# -- A full disk while loading: in-process, on the session's database -------------------


@pytest.fixture
def shared_db(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        yield


def gazetteer_rows():
    return {
        m._meta.db_table: list(m.objects.order_by("pk").values())
        for m in apps.get_app_config("gazetteer").get_models(include_auto_created=True)
        if m is not IndexTask
    }


def manifest_volume(slug="weidu-newspaper-2022-12"):
    return next(v for v in corpus.read_manifest() if v.meta.slug == slug)


class FullDisk:
    """Fail the ``after``-th INSERT or UPDATE as a full disk does, through Django's execute hook.

    This is the write path every engine shares: PostgreSQL reports ENOSPC as "could not
    extend file ... No space left on device", SQLite as "database or disk is full".
    """

    def __init__(self, after: int):
        self.after = after
        self.writes = 0

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            self.writes += 1
            if self.writes >= self.after:
                raise OperationalError("could not extend file: No space left on device")
        return execute(sql, params, many, context)


def count_writes(meta, files) -> int:
    """Count the INSERTs and UPDATEs a load makes, in a transaction rolled back."""
    counter = FullDisk(after=10**9)

    class Undo(Exception):
        pass

    with contextlib.suppress(Undo), transaction.atomic(), connection.execute_wrapper(counter):
        corpus.load_volume(meta, files)
        raise Undo
    return counter.writes


@pytest.mark.django_db
@pytest.mark.parametrize("when", ["first", "middle", "last"])
def test_a_full_disk_while_loading_a_new_volume_leaves_the_database_unchanged(when):
    before = gazetteer_rows()
    v = manifest_volume()
    meta = dataclasses.replace(v.meta, slug="disk-full-test")
    writes = count_writes(meta, v.files)
    assert writes >= 5  # volume, files, sections, entries, bylines, captions
    full = FullDisk({"first": 1, "middle": writes // 2, "last": writes}[when])
    with connection.execute_wrapper(full), pytest.raises(DatabaseError, match="No space left on device"):
        corpus.load_volume(meta, v.files)
    assert full.writes == full.after
    assert not Volume.objects.filter(slug="disk-full-test").exists()
    assert gazetteer_rows() == before


def test_a_full_disk_while_reloading_a_volume_keeps_its_old_rows(shared_db):
    before = gazetteer_rows()
    v = manifest_volume()
    writes = count_writes(v.meta, v.files)
    with connection.execute_wrapper(FullDisk(writes - 1)), pytest.raises(DatabaseError):
        corpus.load_volume(v.meta, v.files, force=True)
    assert gazetteer_rows() == before


@pytest.mark.skipif(
    POSTGRES, reason="SQLite's own size limit; PostgreSQL is covered through the write path above"
)
def test_sqlite_reporting_a_full_database_leaves_it_unchanged(shared_db):
    """A real SQLITE_FULL: cap the database at the size it has now, then load the largest volume."""
    before = gazetteer_rows()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA max_page_count")
        (limit,) = cursor.fetchone()
        cursor.execute("PRAGMA page_count")
        (pages,) = cursor.fetchone()
        cursor.execute(f"PRAGMA max_page_count = {pages}")  # no growth; free pages are reused
    try:
        v = manifest_volume("weidu-yearbook-2021")
        with pytest.raises(OperationalError, match="database or disk is full"):
            corpus.load_volume(dataclasses.replace(v.meta, slug="disk-full-test"), v.files)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA max_page_count = {limit}")
    assert gazetteer_rows() == before
