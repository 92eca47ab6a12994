"""Serve the archive with gunicorn for the end-to-end test, as `bin/serve` does.

The server gets a data dir of its own (database, index, collected static files), runs
with DEBUG off (so static files are compressed and cache-busted by whitenoise) and is
stopped when the test ends. Nothing here touches the test database.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(data_dir: Path, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GAZETTEER_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="gazetteer.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="browser-test-only-not-a-secret",
        GAZETTEER_DATA_DIR=str(data_dir),
        GAZETTEER_BIND=f"127.0.0.1:{port}",
        GAZETTEER_WORKERS="2",
    )
    return env


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300
    )


EDITOR_SCRIPT = """
from django.contrib.auth.models import Group, User
user = User.objects.create_user({username!r}, password={password!r}, is_staff=True)
user.groups.add(Group.objects.get(name="编辑"))
"""


@contextlib.contextmanager
def archive_server(data_dir: Path, editor: tuple[str, str] | None = None):
    """Prepare a data dir like `bin/serve`, start gunicorn on a free port, yield its base URL.

    ``editor``: (user name, password) of an account to make in the 编辑 group.
    """
    port = free_port()
    env = server_env(data_dir, port)
    # Static files and the database are independent: collect the one while loading the other.
    collect = subprocess.Popen(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "load_corpus", "-v", "0")
    if editor:
        manage(env, "shell", "-c", EDITOR_SCRIPT.format(username=editor[0], password=editor[1]))
    _, errors = collect.communicate(timeout=300)
    if collect.returncode:
        raise RuntimeError(f"collectstatic failed:\n{errors.decode(errors='replace')}")
    log = open(data_dir / "gunicorn.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "gazetteer.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, data_dir / "gunicorn.log")
        yield base
    finally:
        # SIGINT: gunicorn's quick shutdown (still stops the indexer); nothing is in flight.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_until_up(base: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with {process.returncode}:\n{log.read_text(errors='replace')}"
            )
        try:
            with urllib.request.urlopen(base + "/", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{log.read_text(errors='replace')}")
