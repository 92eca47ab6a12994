"""Gunicorn settings for the archive (override any of them with GUNICORN_CMD_ARGS)."""

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

bind = os.environ.get("GAZETTEER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GAZETTEER_WORKERS", min(multiprocessing.cpu_count() * 2 + 1, 8)))
# Load the app (and the segmenter's dictionary) once in the master; workers share it.
preload_app = True
timeout = 30
graceful_timeout = 20
accesslog = "-"

_indexer = None


def when_ready(server):
    """Start the one search indexer beside the workers (see gazetteer/search/indexing.py)."""
    global _indexer
    if os.environ.get("GAZETTEER_INDEXER", "1") == "0":
        return
    manage = Path(__file__).resolve().parent / "manage.py"
    _indexer = subprocess.Popen([sys.executable, str(manage), "run_indexer"])
    server.log.info("search indexer started (pid %s)", _indexer.pid)


def on_exit(server):
    if _indexer and _indexer.poll() is None:
        _indexer.terminate()
        _indexer.wait(timeout=10)
