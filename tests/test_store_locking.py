"""A load and an editor's save at the same moment: the load waits its turn, it does not fail.

SQLite only: PostgreSQL has row locks and MVCC, and no database-wide write lock to take.
The test runs in a child process on a database file of its own (the test database is in
memory and inside a transaction, where no second connection can write).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3", reason="SQLite's write lock"
)

SCRIPT = r"""
import sqlite3, sys, threading
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from gazetteer import editing
from gazetteer.corpus import load_corpus

call_command("migrate", verbosity=0)
manifest = sys.argv[1]
load_corpus(manifest)
database = settings.DATABASES["default"]["NAME"]
sqlite3.connect(database, isolation_level=None).execute("CREATE TABLE editor_saves (n INTEGER)").connection.close()
saved = threading.Event()


def editor_saves():
    # What the admin does for a change to another volume: a short write transaction.
    other = sqlite3.connect(database, timeout=30, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO editor_saves VALUES (1)")
    other.execute("COMMIT")
    other.close()
    saved.set()


edited_records = editing.edited_records


def save_in_the_middle_of_the_load(volume):
    # Called inside the load's transaction, after it read the volume: the editor saves now.
    thread = threading.Thread(target=editor_saves)
    thread.start()
    thread.join(1)
    return edited_records(volume)


editing.edited_records = save_in_the_middle_of_the_load
results = load_corpus(manifest, force=True, edits="keep")
saved.wait(30)
print("loaded", [r.status for r in results], "saved", saved.is_set())
"""


def test_a_forced_load_waits_for_an_editors_save_instead_of_failing(tmp_path):
    manifest = tmp_path / "volumes.toml"
    news = ROOT / "corpus" / "weidu-newspaper-2022-12.txt"
    manifest.write_text(
        f'[[volume]]\nslug = "news"\ntitle = "新闻"\nkind = "newspaper"\nregion = "许昌市魏都区"\nfiles = ["{news}"]\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAZETTEER_", "DATABASE_URL"))}
    env |= {"DJANGO_SETTINGS_MODULE": "tests.settings", "GAZETTEER_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(manifest)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "loaded ['updated'] saved True"
