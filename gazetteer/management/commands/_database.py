"""Bring the database schema up to date before a command that writes volumes."""

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def ensure_migrated(command) -> None:
    """Apply pending migrations (a new data dir has none applied), saying so in one line."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        return
    names = [f"{m.app_label}.{m.name}" for m, _ in plan]
    fresh = not connection.introspection.table_names()
    what = "a new database" if fresh else f"{len(names)} pending migration(s): {', '.join(names[:3])}{' …' if len(names) > 3 else ''}"
    command.stdout.write(f"migrating {what} (manage.py migrate)")
    call_command("migrate", interactive=False, verbosity=0)
