"""Gunicorn settings for the archive (override any of them with GUNICORN_CMD_ARGS)."""

import contextlib
import multiprocessing
import os
import subprocess
import sys
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

_supervisor = None


def when_ready(server):
    """Start the one search indexer beside the workers (see gazetteer/search/indexing.py).

    A process of its own (`run_indexer --supervise`) starts the indexer and starts it
    again whenever it dies. Not a thread of this master: gunicorn reaps any child of the
    master with waitpid(-1), so a thread here could lose the indexer's exit to it and
    never notice the death.
    """
    global _supervisor
    if os.environ.get("GAZETTEER_INDEXER", "1") == "0":
        return
    manage = Path(__file__).resolve().parent / "manage.py"
    _supervisor = subprocess.Popen([sys.executable, str(manage), "run_indexer", "--supervise"])
    server.log.info("search indexer supervisor started (pid %s)", _supervisor.pid)


def on_exit(server):
    if _supervisor and _supervisor.poll() is None:
        _supervisor.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            _supervisor.wait(timeout=15)
