"""The JSON API against its published OpenAPI document, with schemathesis.

Every operation gets up to 25 generated requests through the WSGI application (no
network): any 5xx, a status code the document does not list, a wrong content type or
a body that does not match its schema fails the suite.
"""

import json
from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

DOCUMENT = Path(__file__).resolve().parent.parent / "gazetteer" / "openapi.json"
schema = schemathesis.openapi.from_path(DOCUMENT)
schema.app = get_wsgi_application()
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def connection_kept_across_requests():
    """Calling the WSGI application directly sends ``request_started`` and
    ``request_finished``, whose ``close_old_connections`` closes the test's connection in
    the middle of its transaction (it is not in autocommit mode): every later request
    then fails with "the connection is closed" on PostgreSQL (SQLite's in-memory test
    database ignores the close). Django's own test client disconnects it the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("connection_kept_across_requests")
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_openapi_document_says(case):
    case.call_and_validate(checks=CHECKS)


@pytest.mark.django_db
def test_the_openapi_document_is_published_and_lists_every_api_route(client):
    from gazetteer.urls import api_patterns

    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    published = response.json()
    assert published == json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert published["openapi"].startswith("3.")
    routes = {"/" + str(p.pattern).replace("<slug:slug>", "{slug}").replace("<int:pk>", "{id}") for p in api_patterns}
    routes.discard("/^api/(?P<rest>(?s:.*))$")
    assert set(published["paths"]) == routes


@pytest.mark.django_db
@pytest.mark.usefixtures("connection_kept_across_requests")
def test_merged_and_deleted_records_answer_as_documented(editor, index_restored):
    """The 301 of a merged entry and the 410 of a deleted one are in the document."""
    from gazetteer import editing
    from gazetteer.models import Entry

    first = Entry.objects.get(volume__slug="weidu-yearbook-2021", title="新冠肺炎疫情应急科普")
    second = editing.next_entry(first)
    editing.merge_entries(first, second, user=editor)
    gone = Entry.objects.get(volume__slug="weidu-yearbook-2021", title="设立总会分支机构")
    gone_id, gone._history_user = gone.pk, editor
    gone.delete()

    operation = schema["/api/entries/{id}"]["GET"]
    answers = {}
    for pk in (first.pk, second.pk, gone_id):
        case = operation.Case(path_parameters={"id": pk})
        response = case.call_and_validate(checks=CHECKS)
        answers[pk] = response.status_code
    assert answers == {first.pk: 200, second.pk: 301, gone_id: 410}
