"""The recovery command the README gives for a lost or damaged index is the fast path."""

import io

import pytest
from django.core.management import call_command, get_commands
from django.core.management.base import CommandError
from whoosh.writing import SegmentWriter

from gazetteer.models import Entry, Organisation, Person
from gazetteer.search import indexing

pytestmark = pytest.mark.django_db


def test_rebuild_index_is_the_archives_one_commit_rebuild_not_haystacks():
    assert get_commands()["rebuild_index"] == "gazetteer"


def test_rebuild_index_brings_an_emptied_index_back_in_one_commit(monkeypatch):
    indexing.backend().clear(commit=True)
    assert not indexing.in_sync()
    commits = []
    commit = SegmentWriter.commit
    monkeypatch.setattr(SegmentWriter, "commit", lambda self, *a, **k: (commits.append(1), commit(self, *a, **k))[1])
    out = io.StringIO()
    call_command("rebuild_index", "--noinput", stdout=out)
    documents = Entry.objects.count() + Person.objects.count() + Organisation.objects.count()
    assert f"search index rebuilt: {documents} documents in" in out.getvalue()
    assert commits == [1]
    assert indexing.in_sync()


def test_rebuild_index_asks_first_and_a_no_changes_nothing(monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    before = indexing.health()
    with pytest.raises(CommandError, match="rebuild cancelled"):
        call_command("rebuild_index", stdout=io.StringIO())
    assert indexing.health() == before


def test_a_rebuild_by_two_writer_processes_writes_the_index_one_writer_process_writes():
    """The archive's own corpus through ``ProcessBuild``: the same documents, numbered the
    same, with the same postings and field lengths as one writer gives.

    (Both builds are written by spawned processes, which set up their segmenter from the
    dictionary file as a new web worker does; this test process may still know words
    that earlier tests added and took away again.)
    """
    from whoosh.filedb.filestore import FileStorage

    from tests.search.test_writer import contents

    def snapshot():
        ix = FileStorage(indexing.backend().path).open_index(indexing.INDEX_NAME)
        return contents(ix, length_fields=("text", "title"))

    assert indexing.rebuild(writers=1) == Entry.objects.count() + Person.objects.count() + Organisation.objects.count()
    one = snapshot()
    indexing.rebuild(writers=2)
    two = snapshot()
    assert len(one[2]) == Entry.objects.count() + Person.objects.count() + Organisation.objects.count()
    assert two[0] == one[0]
    assert two[1] == one[1]
    assert two[2] == one[2]
    indexing.rebuild(writers=0)  # as the rest of this session's tests cut words


def _index_of(tmp_path, schema):
    from whoosh.filedb.filestore import FileStorage

    from gazetteer.search.backend import ArchiveWhooshBackend

    tmp_path.mkdir()
    FileStorage(str(tmp_path)).create_index(schema, indexname="MAIN").writer().commit()
    return ArchiveWhooshBackend("default", PATH=str(tmp_path))


def test_an_index_written_by_an_earlier_version_is_known(tmp_path):
    from whoosh.fields import TEXT

    from gazetteer.search.analysis import ChineseAnalyzer

    schema = indexing.backend().searcher().schema  # what this version writes
    assert _index_of(tmp_path / "now", schema).outdated() is None
    earlier = schema.copy()
    for name in ("text", "title"):  # word positions, as written before they were dropped
        earlier.remove(name)
        earlier.add(name, TEXT(analyzer=ChineseAnalyzer(), phrase=True))
    assert _index_of(tmp_path / "positions", earlier).outdated() == (
        "the index was written by an earlier version (word positions in text, title)"
    )
    earlier.remove("grams")
    assert _index_of(tmp_path / "no-grams", earlier).outdated() == "the index has no grams field"


def test_an_outdated_index_makes_search_unavailable_and_a_load_rebuild_it(client, monkeypatch):
    from gazetteer.search.backend import ArchiveWhooshBackend

    monkeypatch.setattr(ArchiveWhooshBackend, "outdated", lambda self: "the index was written by an earlier version")
    indexing.backend().reset()
    try:
        response = client.get("/search/", {"q": "许昌"})
        assert response.status_code == 503 and "检索暂时不可用" in response.content.decode()
        assert not indexing.in_sync() and not indexing.index_usable()
    finally:
        monkeypatch.undo()
        indexing.backend().reset()
    assert client.get("/search/", {"q": "许昌"}).status_code == 200
    assert indexing.in_sync()
