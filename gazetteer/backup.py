"""Consistent snapshots of the archive while it serves, and restoring one.

A backup directory holds the database (a SQLite copy made with SQLite's online backup
API, or a ``pg_dump`` custom-format archive) and ``backup.json``: what is in it — the
volumes with the SHA-256 of every loaded source file, the row count of every table,
the applied migrations and the dump's own SHA-256. ``backup.json`` is written last, so
a directory without it is an interrupted backup, never mistaken for a good one.

The search index, the segmenter's dictionary and the secret key are not in a backup:
the first two are rebuilt from the database by ``restore``, and a secret key does not
belong on backup media (``bin/serve`` makes a new one; only sessions are lost).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection

FORMAT = 1
MANIFEST = "backup.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"


class BackupError(Exception):
    """A backup cannot be made or restored; the message says why, and what to do."""


def tables() -> list[str]:
    """Return the database tables of every installed model, many-to-many tables included."""
    return sorted({m._meta.db_table for m in apps.get_models(include_auto_created=True) if m._meta.managed})


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def describe(cursor, existing: set[str]) -> dict:
    """Read what a snapshot holds through a DB-API cursor: volumes, files, counts, migrations."""
    from .models import SourceFile, Volume

    counts = {}
    for table in tables():
        if table in existing:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    v, f = Volume._meta.db_table, SourceFile._meta.db_table
    cursor.execute(
        f'SELECT v.slug, v.source_hash, f.name, f.sha256, f.encoding FROM "{v}" v '
        f'LEFT JOIN "{f}" f ON f.volume_id = v.id ORDER BY v.slug, f.position'
    )
    volumes: dict[str, dict] = {}
    for slug, source_hash, name, sha256, encoding in cursor.fetchall():
        volume = volumes.setdefault(slug, {"slug": slug, "source_hash": source_hash, "files": []})
        if name is not None:
            volume["files"].append({"name": name, "sha256": sha256, "encoding": encoding})
    cursor.execute('SELECT app, name FROM "django_migrations" ORDER BY app, name')
    migrations: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        migrations.setdefault(app, []).append(name)
    return {"volumes": list(volumes.values()), "tables": counts, "migrations": migrations}


def _private(path: Path) -> Path:
    """Create ``path`` empty and readable by this account only: a dump holds password hashes and sessions."""
    os.close(os.open(path, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600))
    path.chmod(0o600)
    return path


def backup(directory) -> dict:
    """Write a consistent snapshot of the database and its manifest into ``directory``.

    Safe while the site serves: SQLite's backup API copies one consistent state,
    ``pg_dump`` reads one transaction snapshot. Return the manifest.
    """
    directory = Path(directory)
    if (directory / MANIFEST).exists():
        raise BackupError(f"{directory} already holds a backup; choose a new directory")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        dump, description = _backup_sqlite(directory)
    elif connection.vendor == "postgresql":
        dump, description = _backup_postgres(directory)
    else:
        raise BackupError(f"cannot back up a {connection.vendor} database")
    manifest = {
        "format": FORMAT,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "engine": connection.vendor,
        "database": {"file": dump.name, "sha256": _sha256(dump), "bytes": dump.stat().st_size},
        **description,
    }
    partial = _private(directory / (MANIFEST + ".partial"))
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(partial, directory / MANIFEST)
    return manifest


def _backup_sqlite(directory: Path):
    target = directory / SQLITE_FILE
    partial = directory / (SQLITE_FILE + ".partial")
    partial.unlink(missing_ok=True)
    connection.ensure_connection()
    copy = sqlite3.connect(_private(partial))
    try:
        # One step (pages=-1): the whole database as of one read transaction.
        connection.connection.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        existing = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        description = describe(copy.cursor(), existing)
        (ok,) = copy.execute("PRAGMA integrity_check").fetchone()
        if ok != "ok":
            raise BackupError(f"the copy fails SQLite's integrity check: {ok}")
    finally:
        copy.close()
    os.replace(partial, target)
    return target, description


def pg_tool(name: str) -> str:
    """Find a PostgreSQL client program: on PATH, else the newest in Debian's layout."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parent.parent.name)
    )
    if not candidates:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return str(candidates[-1])


def pg_environment() -> dict:
    """Environment variables that point libpq programs at the configured database."""
    db = connection.settings_dict
    env = dict(os.environ)
    for key, value in (
        ("PGDATABASE", db["NAME"]),
        ("PGUSER", db["USER"]),
        ("PGPASSWORD", db["PASSWORD"]),
        ("PGHOST", db["HOST"]),
        ("PGPORT", db["PORT"]),
    ):
        if value:
            env[key] = str(value)
    return env


def _backup_postgres(directory: Path):
    target = directory / PG_FILE
    partial = _private(directory / (PG_FILE + ".partial"))
    # A transaction of our own whose snapshot pg_dump shares: the manifest describes
    # exactly what the dump holds, whatever editors save meanwhile.
    snapshot_connection = connection.copy()
    try:
        snapshot_connection.ensure_connection()
        snapshot_connection.set_autocommit(False)
        with snapshot_connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
            existing = set(snapshot_connection.introspection.table_names(cursor))
            description = describe(cursor, existing)
            done = subprocess.run(
                [
                    pg_tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={partial}",
                ],
                env=pg_environment(),
                capture_output=True,
                text=True,
            )
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    finally:
        snapshot_connection.rollback()
        snapshot_connection.close()
    os.replace(partial, target)
    return target, description


def read_manifest(directory) -> dict:
    """Return a backup's manifest after checking it is complete and its dump intact."""
    directory = Path(directory)
    path = directory / MANIFEST
    if not path.exists():
        raise BackupError(f"{directory} holds no complete backup ({MANIFEST} is missing)")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}")
    dump = directory / manifest["database"]["file"]
    if not dump.exists() or _sha256(dump) != manifest["database"]["sha256"]:
        raise BackupError(f"{dump} is missing or damaged: its SHA-256 differs from {MANIFEST}")
    return manifest


def database_rows() -> dict[str, int]:
    """Count the rows that make a database non-empty: volumes, people, users."""
    existing = set(connection.introspection.table_names())
    counts = {}
    with connection.cursor() as cursor:
        for table in ("gazetteer_volume", "gazetteer_person", "auth_user"):
            if table in existing:
                cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
                counts[table] = cursor.fetchone()[0]
    return counts


def restore(directory, *, replace=False, progress=None) -> dict:
    """Bring the configured database back to a backup's state and rebuild the search index.

    Refuse a database that already holds volumes, people or users unless ``replace``.
    Return the manifest.
    """
    from .models import IndexTask
    from .search import dictionary, indexing

    say = progress or (lambda message: None)
    manifest = read_manifest(directory)
    if manifest["engine"] != connection.vendor:
        raise BackupError(
            f"the backup is of a {manifest['engine']} database and this site uses {connection.vendor}: "
            "restore it into the same engine, then move the data with dumpdata/loaddata"
        )
    rows = {table: n for table, n in database_rows().items() if n}
    if rows and not replace:
        held = ", ".join(f"{n} rows in {table}" for table, n in rows.items())
        raise BackupError(
            f"the database is not empty ({held}); restore into an empty data dir, or pass --replace"
        )
    dump = Path(directory) / manifest["database"]["file"]
    say(f"restoring the database from {dump}")
    Path(settings.DATA_DIR).mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        source = sqlite3.connect(dump)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
        connection.close()  # reconnect, so the WAL setting of settings.py applies again
    else:
        connection.close()
        done = subprocess.run(
            [
                pg_tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={connection.settings_dict['NAME']}",
                str(dump),
            ],
            env=pg_environment(),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
    verify(manifest)
    # A backup from an older release gets this release's schema.
    call_command("migrate", verbosity=0, interactive=False)
    say("rebuilding the search index")
    IndexTask.objects.all().delete()  # the rebuild covers every queued change
    dictionary.regenerate()
    indexing.rebuild()
    return manifest


def verify(manifest: dict) -> None:
    """Check that the database holds what the manifest lists, table by table and file by file."""
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        found = describe(cursor, existing)
    differ = [
        f"{table}: {n} rows, expected {manifest['tables'][table]}"
        for table, n in found["tables"].items()
        if table in manifest["tables"] and n != manifest["tables"][table]
    ]
    if found["volumes"] != manifest["volumes"]:
        differ.append("the volumes or their source files differ from the manifest")
    if differ:
        raise BackupError("the restored database differs from the backup: " + "; ".join(differ))
