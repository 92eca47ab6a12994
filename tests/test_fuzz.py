"""Arbitrary input to the search page and the JSON API: never a 5xx, never raw markup back.

Values are sent percent-encoded as a browser or a script would send them, including
what no form produces: control characters, lone UTF-16 surrogates (as the bytes
``%ED%A0%80`` an encoder with ``surrogatepass`` writes), invalid UTF-8, NUL and values
thousands of characters long.
"""

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# A tag no page writes: seen raw in a page, user input was reflected unescaped.
MARKER = '"><fz-x>'
RAW_MARKER = "<fz-x"

SEARCH_PARAMS = [
    "q",
    "volume",
    "kind",
    "year",
    "category",
    "speaker",
    "author",
    "date_from",
    "date_to",
    "sort",
    "page",
]
INTERESTING = [
    "",
    "0",
    "-1",
    "501",
    "1e3",
    "9" * 30,
    "weidu-yearbook-2021",
    "chronicle",
    "-date",
    "2020-02-30",
    "2020-01-01",
    "魏都",
    '"魏都区',
    "魏都 OR",
    "-",
    "OR OR",
    '""',
    "*",
    "?",
    "title:魏都",
    "\\",
    "(魏都",
    "\x00",
    "\ud800",
    "\udfff魏",
    "\u202e",
    "\ufeff",
    "<script>alert(1)</script>",
    MARKER,
]
chars = st.characters(
    categories=("Cc", "Cf", "Cs", "Co", "Lo", "Lu", "Ll", "Nd", "Pd", "Po", "Ps", "Pe", "Sm", "So", "Zs")
)
texts = st.one_of(
    st.text(chars, max_size=40),
    st.sampled_from(INTERESTING),
    st.integers(-(10**20), 10**20).map(str),
    st.tuples(st.text(chars, min_size=1, max_size=3), st.integers(50, 2000)).map(lambda t: t[0] * t[1]),
    st.tuples(st.text(chars, max_size=10), st.sampled_from(INTERESTING)).map("".join),
)


def encode(value: str) -> str:
    """Percent-encode like a client that passes lone surrogates through as UTF-8 bytes."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


raw_values = st.one_of(texts.map(encode), st.binary(max_size=24).map(lambda b: quote(b, safe="")))
query_strings = st.lists(
    st.tuples(st.one_of(st.sampled_from(SEARCH_PARAMS), st.text(chars, max_size=8).map(encode)), raw_values),
    max_size=6,
).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def assert_no_markup_reflected(response, query_string):
    body = response.content.decode("utf-8")
    assert RAW_MARKER not in body, query_string


@pytest.mark.django_db
@FUZZ
@given(query_strings)
def test_the_search_page_never_fails_or_reflects_markup(client, query_string):
    response = client.get("/search/?" + query_string)
    assert response.status_code in (200, 400), query_string
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert_no_markup_reflected(response, query_string)


@pytest.mark.django_db
@FUZZ
@given(query_strings)
def test_the_search_api_never_fails_and_answers_json(client, query_string):
    response = client.get("/api/search?" + query_string)
    assert response.status_code in (200, 400), query_string
    assert response["Content-Type"] == "application/json"
    data = json.loads(response.content)
    if response.status_code == 400:
        assert data["status"] == 400 and data["error"]
    else:
        assert {"query", "total", "page", "pages", "hits", "facets"} <= set(data)
        for hit in data["hits"]:
            # Snippets are HTML (with <mark>): everything else in them must be escaped.
            assert RAW_MARKER not in hit["snippet"], query_string


@pytest.mark.django_db
@FUZZ
@given(query_strings, st.sampled_from(["/api/people", "/people/", "/", "/api/volumes"]))
def test_list_pages_and_endpoints_never_fail(client, query_string, path):
    query_string = query_string.replace("volume=", "q=", 1)
    response = client.get(f"{path}?{query_string}")
    # A page number past the end of a reader's list is "not found" there.
    assert response.status_code in (200, 400, 404), (path, query_string)
    if response["Content-Type"].startswith("text/html"):
        assert_no_markup_reflected(response, query_string)


@pytest.mark.django_db
@FUZZ
@given(
    st.sampled_from(
        [
            "/api/entries/{}",
            "/entries/{}/",
            "/api/people/{}",
            "/people/{}/",
            "/organisations/{}/",
            "/api/volumes/{}",
        ]
    ),
    st.one_of(st.integers(0, 10**30).map(str), texts.map(encode)),
)
def test_detail_paths_never_fail(client, template, value):
    response = client.get(template.format(value))
    assert response.status_code in (200, 301, 404), (template, value)
    if response["Content-Type"].startswith("text/html"):
        assert_no_markup_reflected(response, value)
