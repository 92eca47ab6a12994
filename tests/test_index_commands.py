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
