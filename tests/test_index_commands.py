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
