"""Gunicorn settings for the archive (override any of them with GUNICORN_CMD_ARGS)."""

import multiprocessing
import os

bind = os.environ.get("GAZETTEER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GAZETTEER_WORKERS", min(multiprocessing.cpu_count() * 2 + 1, 8)))
# Load the app (and jieba's dictionary) once in the master; workers share it.
preload_app = True
timeout = 30
graceful_timeout = 20
accesslog = "-"
