"""The 500 page renders even when the static files were never collected."""

from django.test import RequestFactory
from django.urls import get_resolver


def test_the_500_page_renders_without_the_static_files_manifest(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "never-collected"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    handler = get_resolver().resolve_error_handler(500)
    response = handler(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "服务器出错了" in response.content.decode()


def test_the_500_page_keeps_its_styles_when_the_static_files_are_there(settings):
    handler = get_resolver().resolve_error_handler(500)
    html = handler(RequestFactory().get("/")).content.decode()
    assert 'href="/static/css/site.css"' in html and "服务器出错了" in html
