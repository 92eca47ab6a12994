"""Gunicorn settings for the archive (override any of them with GUNICORN_CMD_ARGS)."""

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

bind = os.environ.get("GAZETTEER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GAZETTEER_WORKERS", min(multiprocessing.cpu_count() * 2 + 1, 8)))
# Load the app (and the segmenter's dictionary) once in the master; workers share it.
preload_app = True
# A request still running after this is killed and its worker replaced: no page of the
# archive needs more than a second, so 30 s means something is stuck (a lock, a disk).
timeout = int(os.environ.get("GAZETTEER_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5  # behind a reverse proxy that reuses connections
# Replace each worker after this many requests (with jitter, so not all at once): a
# site that runs for years must not depend on a worker never leaking memory.
max_requests = 2000
max_requests_jitter = 200
# Refuse oversized request lines and headers before Django sees them.
limit_request_line = 8190
limit_request_fields = 100
# The heartbeat file in memory, not on a disk that may be slow or full.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = os.environ.get("GAZETTEER_ACCESS_LOG", "-")
errorlog = "-"
# Client address (as the proxy reports it), request, status, bytes, duration in ms, worker.
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(f)s" "%(a)s" pid=%(p)s'
# Trust X-Forwarded-* only from the reverse proxy on this machine (or those listed).
forwarded_allow_ips = os.environ.get("GAZETTEER_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "gazetteer"
# gunicorn's control socket (gunicornc) defaults to one path per user account: a second
# instance took over the first one's socket and removed it on stopping. Each data dir
# (one per instance) has its own; a path too long for a Unix socket turns it off.
_data_dir = Path(os.environ.get("GAZETTEER_DATA_DIR", Path(__file__).resolve().parent / "var")).resolve()
control_socket = str(_data_dir / "gunicorn.ctl")
control_socket_disable = len(control_socket.encode()) > 100

_indexer = None
_stopping = threading.Event()
RESTART_DELAY = (1, 60)  # seconds before restarting a dead indexer: first, at most


def _supervise(server):
    """Run the indexer and start it again whenever it dies, until gunicorn stops."""
    global _indexer
    manage = Path(__file__).resolve().parent / "manage.py"
    delay = RESTART_DELAY[0]
    while not _stopping.is_set():
        started = time.monotonic()
        _indexer = subprocess.Popen([sys.executable, str(manage), "run_indexer"])
        server.log.info("search indexer started (pid %s)", _indexer.pid)
        code = _indexer.wait()
        if _stopping.is_set():
            return
        # One that keeps dying at once (a broken index dir) is retried less and less often.
        delay = RESTART_DELAY[0] if time.monotonic() - started > 60 else min(delay * 2, RESTART_DELAY[1])
        server.log.error("search indexer exited (status %s); restarting it in %s s", code, delay)
        _stopping.wait(delay)


def when_ready(server):
    """Start the one search indexer beside the workers (see gazetteer/search/indexing.py)."""
    if os.environ.get("GAZETTEER_INDEXER", "1") == "0":
        return
    threading.Thread(target=_supervise, args=(server,), name="indexer-supervisor", daemon=True).start()


def on_exit(server):
    _stopping.set()
    if _indexer and _indexer.poll() is None:
        _indexer.terminate()
        _indexer.wait(timeout=10)
