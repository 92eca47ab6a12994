#!/usr/bin/env python
import os
import sys

# Commands that never serve a page or sign anything a browser keeps: they need no
# secret key, so a fresh data dir works before bin/serve has made one.
OFFLINE_COMMANDS = {
    "load_corpus", "load_volume", "export_volume", "backup", "restore", "search_health",
    "run_indexer", "rebuild_index", "update_index", "clear_index", "migrate", "showmigrations",
    "makemigrations", "createsuperuser", "changepassword", "collectstatic", "shell", "dbshell",
}

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gazetteer.settings")
    if len(sys.argv) > 1 and sys.argv[1] in OFFLINE_COMMANDS:
        os.environ["GAZETTEER_OFFLINE_COMMAND"] = sys.argv[1]
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
