"""Backup and restore: the whole corpus with editor changes, record for record."""

import io
import json
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from gazetteer import backup
from gazetteer.models import Appointment, Caption, Entry, IndexTask, Person
from gazetteer.search import versions
from gazetteer.search.indexing import backend
from gazetteer.search.service import search


@pytest.fixture
def shared_db(django_db_setup, django_db_blocker):
    """The session's database itself, outside a test transaction (restore replaces it whole).

    The test leaves it as it found it: the sample corpus, indexed. (pytest-django sets up
    the test database only for sessions with a django_db test: this module has one.)
    """
    with django_db_blocker.unblock():
        yield


def records():
    """Every row of every table, in primary-key order, except the index queue."""
    out = {}
    for model in apps.get_models(include_auto_created=True):
        if model is IndexTask or not model._meta.managed:
            continue
        out[model._meta.db_table] = list(model.objects.order_by("pk").values())
    return out


def edit_like_an_editor():
    """Change, add and delete records the way the admin does (signals, history and all)."""
    User.objects.create_superuser("editor", "editor@example.org", "a-long-editor-password")
    entry = Entry.objects.get(volume__slug="weidu-newspaper-2022-12", position=0)
    entry.title = "备份校验修订标题"
    entry.text += "\n编辑补记：备份往返测试。"
    entry.save()
    person = Person.objects.get(name="李朝锋")
    person.aliases = [*person.aliases, "李朝峰"]
    person.notes = [*person.notes, "编辑合并笔名"]
    person.save()
    Caption.objects.filter(entry__volume__slug="weidu-newspaper-2022-12").first().delete()
    appointment = Appointment.objects.first()
    appointment.note = "编辑核对：任职时间见原书"
    appointment.save()
    return entry.pk


def test_restore_brings_an_emptied_database_back_record_for_record(shared_db, tmp_path):
    pristine = tmp_path / "pristine"
    backup.backup(pristine)
    try:
        entry_id = edit_like_an_editor()
        before = records()
        out = io.StringIO()
        call_command("backup", str(tmp_path / "b1"), stdout=out)
        assert "4 volumes, 690 entries" in out.getvalue()
        manifest = json.loads((tmp_path / "b1" / "backup.json").read_text())
        assert [v["slug"] for v in manifest["volumes"]] == sorted(
            [
                "weidu-yearbook-2021",
                "changge-speeches-2020-2021",
                "weidu-14th-five-year-plan",
                "weidu-newspaper-2022-12",
            ]
        )
        yearbook = next(v for v in manifest["volumes"] if v["slug"] == "weidu-yearbook-2021")
        assert [f["name"] for f in yearbook["files"]] == [
            "weidu-yearbook-2021.part1.txt",
            "weidu-yearbook-2021.part2.txt",
        ]
        corpus_file = Path(settings.CORPUS_DIR) / "weidu-yearbook-2021.part1.txt"
        assert yearbook["files"][0]["sha256"] == backup._sha256(corpus_file)
        assert manifest["tables"]["gazetteer_entry"] == 690

        # An empty data dir: no rows, no search index.
        call_command("flush", interactive=False, verbosity=0)
        versions.remove(settings.HAYSTACK_CONNECTIONS["default"]["PATH"])
        backend().reset()
        assert Entry.objects.count() == 0

        out = io.StringIO()
        call_command("restore", str(tmp_path / "b1"), stdout=out)
        assert "search index rebuilt" in out.getvalue()
        after = records()
        assert after.keys() == before.keys()
        for table in before:
            assert after[table] == before[table], table
        hits = search({"q": "备份校验修订标题"}).hits
        assert [h["id"] for h in hits] == [entry_id]
        assert User.objects.get(username="editor").check_password("a-long-editor-password")
    finally:
        backup.restore(pristine, replace=True)
    assert Entry.objects.count() == 690 and not User.objects.exists()


@pytest.mark.django_db
def test_restore_refuses_a_database_that_holds_records(tmp_path):
    backup.backup(tmp_path / "b")
    with pytest.raises(CommandError, match=r"the database is not empty \(4 rows in gazetteer_volume"):
        call_command("restore", str(tmp_path / "b"), stdout=io.StringIO())


def test_a_damaged_or_unfinished_backup_is_refused_before_anything_changes(shared_db, tmp_path):
    manifest = backup.backup(tmp_path / "b")
    dump = tmp_path / "b" / manifest["database"]["file"]
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="is missing or damaged"):
        call_command("restore", str(tmp_path / "b"), "--replace", stdout=io.StringIO())
    (tmp_path / "b" / "backup.json").unlink()
    with pytest.raises(CommandError, match="holds no complete backup"):
        call_command("restore", str(tmp_path / "b"), "--replace", stdout=io.StringIO())
    assert Entry.objects.count() == 690


def test_backup_never_overwrites_an_earlier_backup(shared_db, tmp_path):
    backup.backup(tmp_path / "b")
    with pytest.raises(CommandError, match="already holds a backup"):
        call_command("backup", str(tmp_path / "b"), stdout=io.StringIO())


def test_a_backup_is_readable_by_its_owner_only(shared_db, tmp_path):
    # A dump holds password hashes and live session keys.
    import os
    import stat

    old = os.umask(0o022)  # the usual umask, under which files are world-readable
    try:
        manifest = backup.backup(tmp_path / "b")
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [tmp_path / "b", *(tmp_path / "b").iterdir()]}
    assert modes == {"b": 0o700, manifest["database"]["file"]: 0o600, "backup.json": 0o600}
