"""Random, truncated and re-encoded versions of the real texts, through the whole load:
either a volume is stored or LoaderError is raised and the database is unchanged."""

from pathlib import Path

import pytest
from django.apps import apps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazetteer.corpus import load_volume
from gazetteer.search.indexing import paused
from gazetteer.store import VolumeMeta
from loaders.document import LoaderError

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
TEXTS = {
    "yearbook": (CORPUS / "weidu-yearbook-2021.part2.txt").read_text(encoding="utf-8"),
    "speeches": (CORPUS / "changge-speeches-2020-2021.txt").read_text(encoding="utf-8"),
    "plan": (CORPUS / "weidu-14th-five-year-plan.txt").read_text(encoding="utf-8"),
    "newspaper": (CORPUS / "weidu-newspaper-2022-12.txt").read_text(encoding="utf-8"),
}
TOC = (CORPUS / "weidu-yearbook-2021.part1.txt").read_text(encoding="utf-8")[:20000]


def snapshot():
    return {m.__name__: m.objects.count() for m in apps.get_app_config("gazetteer").get_models() if m.__name__ != "IndexTask"}


@st.composite
def damaged_files(draw):
    kind = draw(st.sampled_from(sorted(TEXTS)))
    text = TOC + TEXTS[kind] if kind == "yearbook" else TEXTS[kind]
    start = draw(st.integers(0, len(text) - 1))
    end = draw(st.integers(start, min(len(text), start + 30000)))
    piece = text[start:end]
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
    data = piece.encode(encoding)
    if draw(st.booleans()):
        # Damage: cut the bytes anywhere, possibly inside a character.
        data = data[: draw(st.integers(0, len(data)))]
    return kind, data


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(damaged_files())
def test_a_damaged_file_loads_or_fails_cleanly(tmp_path, sample):
    kind, data = sample
    path = tmp_path / f"damaged-{kind}.txt"
    path.write_bytes(data)
    meta = VolumeMeta(slug=f"damaged-{kind}", title="损坏的文本", kind=kind, region="测试区")
    before = snapshot()
    with paused():
        try:
            load_volume(meta, [path], force=True)
        except LoaderError as error:
            assert path.name in str(error)
            assert snapshot() == before
