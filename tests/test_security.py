"""Secure by default: production settings, headers, CSRF, a read-only API, validated search."""

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from gazetteer import middleware
from gazetteer.models import Entry, Organisation, Person, Section

ROOT = Path(__file__).resolve().parent.parent

# The production environment the README's "Deployment" section documents.
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "k3Jq9-Vx0wPz7L2mN8rT5yU1iO4pA6sD0fG3hJ7kL9zX2cV5bN8mQ1wE4rT7yU0iO",
    "DJANGO_ALLOWED_HOSTS": "archive.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://archive.example.org",
    "DJANGO_HTTPS": "true",
    "DJANGO_BEHIND_PROXY": "true",
}


def run_django(
    code_or_args, env_extra, tmp_path, *, unset=("DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_HTTPS")
):
    """Run manage.py (a list of arguments) or Python code (a string) with the real settings."""
    env = {k: v for k, v in os.environ.items() if k not in unset and not k.startswith("DJANGO_")}
    env |= {"DJANGO_SETTINGS_MODULE": "gazetteer.settings", "GAZETTEER_DATA_DIR": str(tmp_path)} | env_extra
    if isinstance(code_or_args, str):
        command = [sys.executable, "-c", "import django; django.setup()\n" + code_or_args]
    else:
        command = [sys.executable, str(ROOT / "manage.py"), *code_or_args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_reports_nothing_with_the_documented_production_environment(tmp_path):
    done = run_django(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_warns_when_https_is_not_declared(tmp_path):
    done = run_django(
        ["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV | {"DJANGO_HTTPS": "false"}, tmp_path
    )
    assert done.returncode == 1
    assert "security.W008" in done.stderr and "security.W012" in done.stderr


def test_a_missing_secret_key_stops_the_site_in_production_mode(tmp_path):
    done = run_django(["check"], {}, tmp_path)
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in done.stderr


def test_production_mode_is_the_default_and_https_turns_on_secure_cookies_and_hsts(tmp_path):
    show = (
        "from django.conf import settings as s; import json; print(json.dumps([s.DEBUG, s.ALLOWED_HOSTS, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_PROXY_SSL_HEADER]))"
    )
    plain = run_django(show, {"DJANGO_SECRET_KEY": "x" * 60}, tmp_path)
    assert json.loads(plain.stdout) == [
        False,
        ["localhost", "127.0.0.1", "[::1]"],
        False,
        False,
        False,
        0,
        None,
    ]
    https = run_django(show, PRODUCTION_ENV, tmp_path)
    assert json.loads(https.stdout) == [
        False,
        ["archive.example.org"],
        True,
        True,
        True,
        31536000,
        ["HTTP_X_FORWARDED_PROTO", "https"],
    ]


@pytest.fixture
def editor(db):
    return User.objects.create_superuser("editor", "editor@example.org", "a-long-editor-password")


def page_urls():
    entry = Entry.objects.filter(volume__slug="weidu-yearbook-2021", captions__isnull=False).first()
    section = Section.objects.filter(volume__slug="weidu-yearbook-2021", entries__isnull=False).first()
    person = Person.objects.get(name="李朝锋")
    return [
        "/",
        "/volumes/weidu-yearbook-2021/",
        f"/volumes/weidu-yearbook-2021/sections/{section.pk}/",
        f"/entries/{entry.pk}/",
        "/people/",
        f"/people/{person.pk}/",
        f"/organisations/{Organisation.objects.first().pk}/",
        "/search/?q=魏都",
        "/search/?q=%3Cscript%3E",
        "/search/?page=0",
        "/no-such-page/",
    ]


class InlineCode(HTMLParser):
    """Collect what a strict content security policy would block in a page."""

    def __init__(self):
        super().__init__()
        self.blocked = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src"):
            self.blocked.append("inline <script>")
        if tag == "style":
            self.blocked.append("<style> element")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.blocked.append(f"{name}= handler on <{tag}>")
            if name == "style":
                self.blocked.append(f"style= attribute on <{tag}>")
            if name in ("src", "href", "action") and (value or "").lower().startswith("javascript:"):
                self.blocked.append(f"javascript: URL on <{tag}>")
        for name in ("src",):
            if attrs.get(name) and attrs[name].startswith(("http:", "https:", "//")):
                self.blocked.append(f"third-party {name} {attrs[name]} on <{tag}>")


@pytest.mark.django_db
def test_every_page_satisfies_the_content_security_policy(client):
    for url in page_urls():
        response = client.get(url)
        assert response.status_code in (200, 400, 404), url
        assert response["Content-Security-Policy"] == middleware.CONTENT_SECURITY_POLICY
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        parser = InlineCode()
        parser.feed(response.content.decode())
        assert parser.blocked == [], url


@pytest.mark.django_db
def test_pages_and_the_api_send_the_protective_headers(client):
    for url in ["/", "/api/volumes", "/search/?q=魏都", "/admin/login/"]:
        response = client.get(url)
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url
        assert "camera=()" in response["Permissions-Policy"], url
        assert "Content-Security-Policy" in response, url


def test_admin_pages_run_no_inline_script(editor):
    client = Client()
    client.force_login(editor)
    entry = Entry.objects.filter(volume__slug="weidu-yearbook-2021").first()
    for url in [
        "/admin/",
        "/admin/gazetteer/entry/",
        f"/admin/gazetteer/entry/{entry.pk}/change/",
        "/admin/gazetteer/person/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Security-Policy"] == middleware.ADMIN_CONTENT_SECURITY_POLICY
        parser = InlineCode()
        parser.feed(response.content.decode())
        assert [b for b in parser.blocked if "style" not in b] == [], url


def test_admin_login_and_changes_need_the_csrf_token(editor):
    client = Client(enforce_csrf_checks=True)
    assert (
        client.post("/admin/login/", {"username": "editor", "password": "a-long-editor-password"}).status_code
        == 403
    )
    client.force_login(editor)
    entry = Entry.objects.filter(volume__slug="weidu-yearbook-2021").first()
    response = client.post(f"/admin/gazetteer/entry/{entry.pk}/change/", {"title": "篡改"})
    assert response.status_code == 403
    assert Entry.objects.get(pk=entry.pk).title == entry.title
    response = client.post(f"/admin/gazetteer/entry/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Entry.objects.filter(pk=entry.pk).exists()
    response = client.post(
        "/admin/gazetteer/entry/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert Entry.objects.filter(pk=entry.pk).exists()


def _views(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _views(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def test_no_view_is_exempt_from_csrf_protection():
    exempt = [route for route, view in _views() if getattr(view, "csrf_exempt", False)]
    assert exempt == []


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_json_api_is_read_only(client, method):
    entry = Entry.objects.first()
    person = Person.objects.first()
    urls = [
        "/api/volumes",
        "/api/volumes/weidu-yearbook-2021",
        f"/api/entries/{entry.pk}",
        "/api/people",
        f"/api/people/{person.pk}",
        "/api/search?q=魏都",
    ]
    for url in urls:
        response = getattr(client, method)(url, {"title": "x"}, content_type="application/json")
        assert response.status_code == 405, (method, url)
        assert response["Allow"] == "GET, HEAD, OPTIONS", url
        assert response.json() == {
            "error": f"method {method.upper()} not allowed: the site is read-only here (allowed: GET, HEAD, OPTIONS)",
            "status": 405,
        }
    assert Entry.objects.get(pk=entry.pk).title == entry.title


@pytest.mark.django_db
def test_an_api_write_without_a_csrf_token_gets_the_json_405_not_an_html_403():
    response = Client(enforce_csrf_checks=True).post("/api/volumes", {"title": "x"})
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == 405


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/search/?q=魏都", "/chronicle/", "/api/volumes", "/no-such-page/"])
def test_public_pages_answer_options_with_allow_and_no_page_and_refuse_trace(client, url):
    response = client.options(url)
    assert (response.status_code, response["Allow"], response.content) == (200, "GET, HEAD, OPTIONS", b"")
    response = client.generic("TRACE", url)
    assert response.status_code == 405
    assert "TRACE" in response.content.decode() and "<html" not in response.content.decode()
    assert client.post(url, {"q": "x"}).status_code == 405


def test_trace_is_refused_on_the_admin_too(client):
    assert client.generic("TRACE", "/admin/login/").status_code == 405


def test_a_refused_request_is_logged_in_one_line_without_a_traceback():
    import logging
    import sys

    from gazetteer.logs import OneLineClientErrors

    (handler,) = [h for h in logging.getLogger().handlers if any(isinstance(f, OneLineClientErrors) for f in h.filters)]
    try:
        raise PermissionError("no")
    except PermissionError:
        exc_info = sys.exc_info()
    forbidden = logging.LogRecord("django.request", logging.WARNING, "", 0, "Forbidden: /admin/auth/user/", (), exc_info)
    forbidden.status_code = 403
    assert handler.filter(forbidden) and handler.format(forbidden) == "Forbidden: /admin/auth/user/"
    failed = logging.LogRecord("django.request", logging.ERROR, "", 0, "Internal Server Error: /", (), exc_info)
    failed.status_code = 500
    assert handler.filter(failed) and "Traceback" in handler.format(failed)  # real errors keep theirs


BAD_SEARCHES = [
    ({"q": "魏都", "page": "0"}, "page"),
    ({"q": "魏都", "page": "501"}, "page"),
    ({"q": "魏都", "page": "abc"}, "page"),
    ({"q": "魏都", "page": "9" * 40}, "page"),
    ({"q": "魏都", "year": "二〇二〇"}, "year"),
    ({"q": "魏都", "year": "0"}, "year"),
    ({"q": "魏都", "kind": "poem"}, "kind"),
    ({"q": "魏都", "volume": "no-such-volume"}, "volume"),
    ({"q": "魏都", "sort": "random"}, "sort"),
    ({"q": "魏都", "date_from": "2020-13-01"}, "date_from"),
    ({"q": "魏都", "date_from": "2021-01-01", "date_to": "2020-01-01"}, "起始日期晚于截止日期"),
    ({"q": "魏" * 1001}, "q"),
    ({"q": "魏都\x00"}, "q"),
    ({"q": "魏都", "speaker": "长" * 51}, "speaker"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("params", "named"), BAD_SEARCHES)
def test_nonsense_search_parameters_answer_400_with_the_parameter_named(client, params, named):
    api = client.get("/api/search", params)
    assert api.status_code == 400
    assert api.json()["status"] == 400
    assert named in api.json()["error"]
    page = client.get("/search/", params)
    assert page.status_code == 400
    assert named in page.content.decode()


@pytest.mark.django_db
def test_a_page_past_the_last_answers_400_with_the_bounds(client):
    response = client.get("/api/search", {"q": "魏都", "page": "400"})
    assert response.status_code == 400
    total = client.get("/api/search", {"q": "魏都"}).json()["pages"]
    assert response.json()["error"] == f"page: must be between 1 and {total}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "named"),
    [({"page": "0"}, "page"), ({"page": "x"}, "page"), ({"q": "张" * 51}, "q"), ({"q": "张\x00"}, "q")],
)
def test_nonsense_people_parameters_answer_400(client, params, named):
    response = client.get("/api/people", params)
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{named}:")
