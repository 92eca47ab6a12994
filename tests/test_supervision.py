"""A dead search indexer is noticed (/healthz) and started again (gunicorn.conf.py)."""

import datetime
import os
import signal
import stat
import time
from pathlib import Path

import pytest
from django.utils import timezone

from gazetteer.models import IndexTask
from tests.live import Browser, LiveArchive, news_archive, news_manifest, wait_until


@pytest.mark.django_db
def test_healthz_is_degraded_when_a_queued_change_waits_too_long_even_with_matching_counts(client, settings):
    settings.GAZETTEER_INDEX_QUEUE_STALE_SECONDS = 60
    task = IndexTask.objects.create(model="gazetteer.entry", object_id=1)
    assert client.get("/healthz").json()["status"] == "ok"  # the indexer is working through it
    IndexTask.objects.filter(pk=task.pk).update(queued_at=timezone.now() - datetime.timedelta(seconds=126))
    data = client.get("/healthz").json()
    assert (data["status"], data["search"]["in_sync"], data["database"]["index_queue_age_seconds"]) == (
        "degraded",
        True,
        126,
    )


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with news_archive(tmp_path_factory.mktemp("sup"), workers=1) as archive:
        yield archive


def _cmdline(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return b""


def _children(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def indexer_pids(archive):
    # gunicorn's master starts `run_indexer --supervise`, which starts the indexer.
    supervisors = [p for p in _children(archive.process.pid) if b"--supervise" in _cmdline(p)]
    return [p for s in supervisors for p in _children(s) if b"run_indexer" in _cmdline(p)]


def test_gunicorn_starts_the_indexer_again_when_it_dies(live):
    (first,) = wait_until(lambda: indexer_pids(live), timeout=30, what="the indexer")
    os.kill(first, signal.SIGKILL)
    (second,) = wait_until(
        lambda: [p for p in indexer_pids(live) if p != first], timeout=30, what="a new indexer"
    )
    assert second != first
    assert "search indexer exited" in live.log.read_text()


def test_each_instance_has_its_own_control_socket_in_its_data_dir(live, tmp_path):
    own = live.data_dir / "gunicorn.ctl"
    wait_until(own.exists, timeout=10, what="the control socket")
    assert stat.S_ISSOCK(own.stat().st_mode)
    other = LiveArchive(tmp_path / "other", workers=1)
    other.prepare(news_manifest(other.data_dir))
    other.start()
    try:
        # gunicorn's master opens its control socket on its own time, after the workers answer.
        theirs = other.data_dir / "gunicorn.ctl"
        wait_until(theirs.exists, timeout=10, what="the second instance's control socket")
        assert stat.S_ISSOCK(theirs.stat().st_mode)
    finally:
        other.stop()
    time.sleep(0.5)
    # Stopping the second instance left the first one's socket alone.
    assert stat.S_ISSOCK(own.stat().st_mode)
    assert Browser(live.url).get("/healthz")[0] == 200


def test_the_database_and_the_data_dir_are_readable_by_their_owner_only(live):
    assert stat.S_IMODE((live.data_dir / "gazetteer.sqlite3").stat().st_mode) == 0o600


def test_head_options_and_trace_under_gunicorn_leave_no_warning_and_no_body(live):
    import http.client

    def ask(method, path):
        connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
        try:
            connection.request(method, path)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Length"), response.read()
        finally:
            connection.close()

    for path in ["/", "/api/volumes", "/chronicle/export.ics", "/static/css/site.css", "/no-such-page"]:
        status, length, body = ask("HEAD", path)
        assert status in (200, 404) and body == b"", path
        assert int(length) > 0, path  # the length the GET would have
    assert ask("OPTIONS", "/")[0::2] == (200, b"")
    assert ask("TRACE", "/")[0] == 405
    time.sleep(0.5)
    assert "no-body response" not in live.log.read_text()
