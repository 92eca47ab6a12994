"""Editors' changes reach search on the served site, with several gunicorn workers.

The site runs as it does in production: gunicorn with three workers and its search
indexer, on a free loopback port, with its own data dir, migrated and loaded. An
editor signs in through the real login form with a plain HTTP client (cookies and
CSRF token as a browser keeps them), saves, splits, merges, moves and deletes; after
each change /api/search is polled — for at most the two seconds the archive
promises — until it shows the change, then asked again several times so that every
worker answers, and none may give a stale hit.
"""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROMISE = 2.0  # seconds from a saved change to search showing it
PASSWORD = "a-long-editor-password-7"

pytestmark = pytest.mark.slow


class FormParser(HTMLParser):
    """Collect what a browser would submit from the forms of a page."""

    def __init__(self):
        super().__init__()
        self.fields = []
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "image", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if a.get("type") == "checkbox" else "")))
        elif tag == "textarea" and name:
            self._textarea = [name, ""]
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            name, text = self._textarea
            # A browser drops the one newline that follows <textarea>.
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data


class Browser:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.status, response.read().decode()

    def form(self, path):
        status, page = self.get(path)
        assert status == 200, path
        parser = FormParser()
        parser.feed(page)
        return dict(parser.fields), parser.fields

    def post(self, path, fields):
        data = urllib.parse.urlencode(fields, doseq=True).encode()
        request = urllib.request.Request(self.base + path, data=data, headers={"Referer": self.base + path})
        with self.opener.open(request, timeout=10) as response:
            return response.status, response.geturl(), response.read().decode()

    def search(self, **params):
        status, body = self.get("/api/search?" + urllib.parse.urlencode(params))
        assert status == 200
        return json.loads(body)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("served")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "gazetteer.settings",
        "GAZETTEER_DATA_DIR": str(data),
        "DJANGO_SECRET_KEY": "freshness-test-secret-key-not-for-production",
        "DJANGO_DEBUG": "false",
        "GAZETTEER_WORKERS": "3",
        "GAZETTEER_BIND": f"127.0.0.1:{port}",
    }
    for name in ("GAZETTEER_INDEX_DIR", "DJANGO_STATIC_ROOT", "DATABASE_URL", "DJANGO_HTTPS"):
        env.pop(name, None)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    manage(env, "load_corpus", "-v", "0")
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models import Group, User;"
        f"u = User.objects.create_user('editor', password='{PASSWORD}', is_staff=True);"
        "u.groups.add(Group.objects.get(name='编辑'))",
    )
    log = open(data / "gunicorn.log", "w")  # noqa: SIM115 — closed at teardown
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "gazetteer.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/", timeout=10).close()
                break
            except OSError:  # refused until gunicorn listens
                if server.poll() is not None:
                    raise RuntimeError((data / "gunicorn.log").read_text()) from None
                time.sleep(0.1)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def editor(site):
    browser = Browser(site)
    fields, _ = browser.form("/admin/login/?next=/admin/")
    status, url, page = browser.post(
        "/admin/login/?next=/admin/",
        {"csrfmiddlewaretoken": fields["csrfmiddlewaretoken"], "username": "editor", "password": PASSWORD, "next": "/admin/"},
    )
    assert url.endswith("/admin/"), page[:500]
    return browser


def until_fresh(check, browser, **params):
    """Poll the search API until ``check(hits)`` holds, for at most PROMISE seconds.

    Then ask again six times — three workers answer — and require it every time.
    """
    deadline = time.monotonic() + PROMISE
    while True:
        hits = browser.search(**params)["hits"]
        if check(hits):
            break
        assert time.monotonic() < deadline, f"search still shows {[h['title'] for h in hits]} after {PROMISE} s"
        time.sleep(0.05)
    for _ in range(6):
        assert check(browser.search(**params)["hits"])


def titles(hits):
    return [h["title"] for h in hits]


def entry_id(browser, title, q):
    hits = [h for h in browser.search(q=q)["hits"] if h["title"] == title]
    assert len(hits) == 1, title
    return hits[0]["id"]


def save_entry(browser, pk, **changes):
    fields, pairs = browser.form(f"/admin/gazetteer/entry/{pk}/change/")
    data = [(k, v) for k, v in pairs if k not in changes and not k.startswith("_")] + list(changes.items())
    status, url, page = browser.post(f"/admin/gazetteer/entry/{pk}/change/", data)
    assert url.endswith("/admin/gazetteer/entry/"), page[:2000]


def test_an_edit_is_searchable_on_every_worker_within_two_seconds(editor):
    pk = entry_id(editor, "新冠肺炎疫情应急科普", "疫问医答")
    save_entry(editor, pk, title="疫情防控应急科普宣传")
    until_fresh(lambda hits: titles(hits) == ["疫情防控应急科普宣传"], editor, q="疫情防控应急科普宣传")
    status, page = editor.get(f"/entries/{pk}/")
    assert "疫情防控应急科普宣传" in page


def test_a_split_is_searchable_within_two_seconds(editor):
    pk = entry_id(editor, "节日主题科普宣传", "节日主题科普宣传")
    fields, _ = editor.form(f"/admin/gazetteer/entry/{pk}/split/")
    status, url, page = editor.post(
        f"/admin/gazetteer/entry/{pk}/split/", {"csrfmiddlewaretoken": fields["csrfmiddlewaretoken"], "at": "2", "title": "拆分出的科普新条目"}
    )
    assert "/change/" in url, page[:2000]
    until_fresh(lambda hits: titles(hits) == ["拆分出的科普新条目"], editor, q="拆分出的科普新条目")


def test_a_merge_leaves_no_stale_hit(editor):
    pk = entry_id(editor, "落实省委巡视工作", "落实省委巡视工作")
    fields, _ = editor.form(f"/admin/gazetteer/entry/{pk}/merge/?with=previous")
    assert fields["title_as_paragraph"] == "1"  # ticked: the title becomes a paragraph
    status, url, page = editor.post(f"/admin/gazetteer/entry/{pk}/merge/", fields)
    assert "/change/" in url, page[:2000]
    # The merged entry's title is now a paragraph of 基层党建, which is found instead.
    until_fresh(
        lambda hits: pk not in [h["id"] for h in hits] and "基层党建" in titles(hits), editor, q="落实省委巡视工作"
    )
    # The merged-away id redirects (301) to the entry it was merged into.
    assert json.loads(editor.get(f"/api/entries/{pk}")[1])["title"] == "基层党建"


def test_a_move_changes_the_category_within_two_seconds(editor):
    pk = entry_id(editor, "科普志愿服务活动丰富多彩", "科普志愿服务活动丰富多彩")
    fields, _ = editor.form("/admin/gazetteer/entry/")
    token = fields["csrfmiddlewaretoken"]
    status, url, page = editor.post(
        "/admin/gazetteer/entry/", {"csrfmiddlewaretoken": token, "action": "move_to_section", "_selected_action": [pk]}
    )
    # The move page lists the volume's sections as options; pick 组织工作.
    section = re.search(r'<option value="(\d+)">\u3000*组织工作</option>', page).group(1)
    status, url, page = editor.post(
        "/admin/gazetteer/entry/",
        {"csrfmiddlewaretoken": token, "action": "move_to_section", "_selected_action": [pk], "section": section, "where": "end"},
    )
    assert status == 200 and "已将 1 条移到「组织工作」" in page
    category = json.loads(editor.get(f"/api/entries/{pk}")[1])["section_path"][0]
    assert category != "群众团体"
    until_fresh(
        lambda hits: titles(hits) == ["科普志愿服务活动丰富多彩"], editor, q="科普志愿服务活动丰富多彩", category=category
    )


def test_a_delete_leaves_no_stale_hit(editor):
    title = "魏都区召开环境污染防治攻坚警示教育大会"
    pk = entry_id(editor, title, title)
    fields, _ = editor.form(f"/admin/gazetteer/entry/{pk}/delete/")
    status, url, page = editor.post(f"/admin/gazetteer/entry/{pk}/delete/", fields)
    assert url.endswith("/admin/gazetteer/entry/"), page[:2000]
    until_fresh(lambda hits: title not in titles(hits), editor, q=title)
    with pytest.raises(urllib.error.HTTPError) as error:
        editor.get(f"/entries/{pk}/")
    assert error.value.code == 410  # gone, with a link to its volume (tests/test_identity.py)


def test_merged_people_show_the_union_on_the_site(editor):
    fields, pairs = editor.form("/admin/gazetteer/person/add/")
    data = dict(pairs) | {"name": "李朝峰", "region": "许昌市魏都区", "aliases": "[]", "notes": "[]"}
    status, url, page = editor.post("/admin/gazetteer/person/add/", data)
    assert url.endswith("/admin/gazetteer/person/"), page[:2000]
    people = json.loads(editor.get("/api/people?q=" + urllib.parse.quote("李朝"))[1])["people"]
    ids = {p["name"]: p["id"] for p in people}
    keep, other = ids["李朝锋"], ids["李朝峰"]
    fields, _ = editor.form("/admin/gazetteer/person/")
    token = fields["csrfmiddlewaretoken"]
    status, url, page = editor.post(
        "/admin/gazetteer/person/", {"csrfmiddlewaretoken": token, "action": "merge_people", "_selected_action": [keep, other], "keep": keep}
    )
    assert url.endswith(f"/admin/gazetteer/person/{keep}/change/"), page[:2000]
    person = json.loads(editor.get(f"/api/people/{keep}")[1])
    assert person["aliases"] == ["李朝峰"]
    status, page = editor.get(f"/people/{keep}/")
    assert "李朝峰" in page
    # The merged person's URL still answers: it redirects to the person kept.
    with editor.opener.open(f"{editor.base}/people/{other}/", timeout=10) as response:
        assert response.geturl() == f"{editor.base}/people/{keep}/"
