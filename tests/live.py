"""The archive served by gunicorn from a data dir of its own, for fault tests and bench/load.py.

``LiveArchive`` prepares a data dir (migrate, load a manifest, an editor account),
starts ``gunicorn -c gunicorn.conf.py`` on a free loopback port with the repository's
config plus one test hook, and stops it. ``Browser`` is a cookie-keeping HTTP client
that can sign in to the admin and save a change form as an editor does.

The extra hook (``pre_request``) holds a request whose ``X-Fault-Hold`` header names a
number of seconds, after writing the worker's pid to ``held-<pid>`` in the data dir:
that is how a test catches a worker in the middle of a request.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EDITOR = ("fault-editor", "a-long-editor-password-1")

HOOK = """
__file__ = {conf!r}
exec(compile(open(__file__, encoding="utf-8").read(), __file__, "exec"))


def post_fork(server, worker):
    # Diagnostics: log why a search failed (the page only says "unavailable"), once per
    # kind of error and worker; the search still fails exactly as it would.
    import sys, traceback
    from gazetteer.search import backend
    original, seen = backend.ArchiveWhooshBackend.execute, set()
    def execute(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        except Exception as error:
            key = (type(error).__name__, str(error)[:80])
            if key not in seen:
                seen.add(key)
                sys.stderr.write(f"[search failure in worker {{worker.pid}}]\\n" + traceback.format_exc())
                sys.stderr.flush()
            raise
    backend.ArchiveWhooshBackend.execute = execute


def pre_request(worker, req):
    import pathlib, time
    for name, value in req.headers:
        if name == "X-FAULT-HOLD":
            pathlib.Path({data!r}, f"held-{{worker.pid}}").write_text(req.path)
            time.sleep(float(value))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll ``predicate`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout} s")
        time.sleep(interval)


class LiveArchive:
    def __init__(
        self, data_dir: Path, *, database_url: str | None = None, workers: int = 2, settings="tests.settings"
    ):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GAZETTEER_", "DATABASE_URL"))
        }
        self.env |= {
            "DJANGO_SETTINGS_MODULE": settings,
            "DJANGO_SECRET_KEY": "live-tests-only-not-a-secret",
            "GAZETTEER_DATA_DIR": str(self.data_dir),
            "GAZETTEER_BIND": f"127.0.0.1:{self.port}",
            "GAZETTEER_WORKERS": str(workers),
            "PYTHONUNBUFFERED": "1",
        }
        if database_url:
            self.env["DATABASE_URL"] = database_url
        self.process: subprocess.Popen | None = None
        self.log = self.data_dir / "gunicorn.log"

    def manage(self, *args, timeout=900, check=True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def prepare(self, manifest: Path | None = None) -> None:
        """Migrate, load the manifest (the sample corpus by default) and add an editor."""
        self.manage("migrate", "--noinput", "-v", "0")
        self.manage("load_corpus", "-v", "0", *(["--manifest", str(manifest)] if manifest else []))
        self.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User;"
            f"User.objects.filter(username={EDITOR[0]!r}).exists() or "
            f"User.objects.create_superuser({EDITOR[0]!r}, 'editor@example.org', {EDITOR[1]!r})",
        )

    def start(self, timeout: float = 90) -> None:
        conf = self.data_dir / "gunicorn-test.conf.py"
        conf.write_text(HOOK.format(conf=str(ROOT / "gunicorn.conf.py"), data=str(self.data_dir)))
        log = open(self.log, "ab")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "-c", str(conf), "gazetteer.wsgi"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

        def up():
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                return Browser(self.url).get("/healthz")[0] == 200
            return False

        wait_until(up, timeout=timeout, interval=0.2, what="gunicorn to answer /healthz")
        wait_until(lambda: len(self.worker_pids()) == self.workers, timeout=timeout, what="all workers")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def children(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in text.split()]

    def worker_pids(self) -> list[int]:
        """Gunicorn's workers: the master's children except the search indexer."""
        pids = []
        for pid in self.children():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"run_indexer" not in cmdline:
                pids.append(pid)
        return pids

    def held_pids(self) -> list[int]:
        return [int(p.name.split("-")[1]) for p in self.data_dir.glob("held-*")]

    def clear_held(self) -> None:
        for p in self.data_dir.glob("held-*"):
            p.unlink()

    def get_on_every_worker(self, path: str, hold: float = 2.0) -> dict[int, tuple]:
        """Return {worker pid: Browser.get(path)}, one request served by each worker.

        The requests are held (``X-Fault-Hold``) and sent one after another, each once the
        previous one is held: a sync worker takes one request at a time, so the next one
        can only go to a worker not yet asked. Left to the kernel, one worker may take
        every request (seen in CI). ``hold`` must outlast sending the rest.
        """
        self.clear_held()
        answers, threads, pids = {}, [], []
        for _ in range(self.workers):
            slot = len(pids)
            thread = threading.Thread(
                target=lambda slot=slot: answers.__setitem__(
                    slot, Browser(self.url).get(path, headers={"X-Fault-Hold": str(hold)})
                )
            )
            thread.start()
            threads.append(thread)
            held = wait_until(
                lambda: [p for p in self.held_pids() if p not in pids],
                timeout=30,
                what=f"a worker to hold request {slot + 1} of {self.workers}",
            )
            assert len(held) == 1, held
            pids.append(held[0])
        for thread in threads:
            thread.join(60)
        return {pid: answers[slot] for slot, pid in enumerate(pids)}

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "whoosh_index"


class FormFields(HTMLParser):
    """Collect the fields of one <form> as a browser would submit them."""

    def __init__(self, form_id: str | None = None):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._selected: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (self.form_id is None or a.get("id") == self.form_id):
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, ""))
        elif tag == "select" and name:
            self._select, self._selected, self._first_option = name, None, None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                self._selected = a.get("value", "")

    def handle_data(self, data):
        if self._textarea is not None:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
            # A browser drops the newline right after <textarea>.
            name, value = self.fields[-1]
            self.fields[-1] = (name, value[1:] if value.startswith("\n") else value)
        elif tag == "select" and self._select:
            value = self._selected if self._selected is not None else None
            if value is not None:
                self.fields.append((self._select, value))
            self._select = None
        elif tag == "form" and self.inside:
            self.inside = False


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    """A cookie-keeping client. ``get``/``post`` return (status, body text, headers)."""

    def __init__(self, base: str, timeout: float = 30):
        self.base = base
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect
        )

    def request(self, path, data=None, headers=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        # Non-ASCII in a path is sent percent-encoded, as browsers do.
        path = urllib.parse.quote(path, safe="/?&=%:+,;@-_.~")
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        if data is not None:
            req.add_header("Referer", self.base + path)
        try:
            with self.opener.open(req, timeout=self.timeout) as response:
                return response.status, response.read().decode("utf-8", "replace"), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace"), error.headers

    def get(self, path, headers=None):
        return self.request(path, headers=headers)

    def post(self, path, data, headers=None):
        return self.request(path, data, headers)

    def csrf_token(self) -> str:
        return next(c.value for c in self.cookies if c.name == "csrftoken")

    def login(self, username=EDITOR[0], password=EDITOR[1]) -> None:
        self.get("/admin/login/")
        status, body, headers = self.post(
            "/admin/login/?next=/admin/",
            {
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.csrf_token(),
                "next": "/admin/",
            },
        )
        if status != 302:
            raise RuntimeError(f"admin sign-in failed with {status}: {body[:500]}")

    def change_form(self, path) -> list[tuple[str, str]]:
        status, body, _ = self.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
        # /admin/<app>/<model>/<id>/change/ has <form id="<model>_form">.
        parser = FormFields(form_id=f"{path.strip('/').split('/')[2]}_form")
        parser.feed(body)
        return parser.fields

    def save(self, path, changes: dict) -> tuple[int, str]:
        """Load an admin change form, apply ``changes`` and submit it; return (status, body)."""
        fields = [(k, v) for k, v in self.change_form(path) if k not in changes]
        fields += list(changes.items()) + [("_save", "保存")]
        status, body, _ = self.post(path, fields)
        return status, body


def raw_status(url: str, path: str, headers=None, timeout: float = 60) -> int | Exception:
    """GET without any client logic; return the status, or the exception if the connection died."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        return conn.getresponse().status
    except (OSError, http.client.HTTPException) as error:
        return error
    finally:
        conn.close()


def news_manifest(directory):
    """A manifest of the one small volume, the newspaper page: a quick load."""
    news = ROOT / "corpus" / "weidu-newspaper-2022-12.txt"
    manifest = directory / "volumes.toml"
    manifest.write_text(
        f'[[volume]]\nslug = "news"\ntitle = "新闻"\nkind = "newspaper"\nregion = "许昌市魏都区"\nfiles = ["{news}"]\n',
        encoding="utf-8",
    )
    return manifest


@contextlib.contextmanager
def news_archive(data_dir, *, workers):
    """A served archive of the newspaper page alone, stopped afterwards."""
    archive = LiveArchive(data_dir, workers=workers)
    archive.prepare(news_manifest(archive.data_dir))
    archive.start()
    try:
        yield archive
    finally:
        archive.stop()
