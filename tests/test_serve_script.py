"""bin/serve with stand-ins for Python and gunicorn: what it runs and what it says."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FAKE_PYTHON = """#!/usr/bin/env bash
echo "python $*" >> "$CALLS"
if [ "$2" = load_corpus ]; then exit "${FAKE_LOAD_STATUS:-0}"; fi
"""
FAKE_GUNICORN = """#!/usr/bin/env bash
echo "gunicorn $*" >> "$CALLS"
"""


def serve(tmp_path, *args, **env):
    (tmp_path / "bin").mkdir(exist_ok=True)
    shutil.copy(ROOT / "bin" / "serve", tmp_path / "bin" / "serve")
    (tmp_path / "bin" / "_setup").write_text('cd "$(dirname "${BASH_SOURCE[0]}")/.."\n')
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True, exist_ok=True)
    for name, script in (("python", FAKE_PYTHON), ("gunicorn", FAKE_GUNICORN)):
        (venv / name).write_text(script)
        (venv / name).chmod(0o755)
    calls = tmp_path / "calls"
    calls.unlink(missing_ok=True)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("GAZETTEER_", "DJANGO_"))}
    environment |= {"CALLS": str(calls), "DJANGO_SECRET_KEY": "x" * 50, **env}
    done = subprocess.run(
        ["bash", str(tmp_path / "bin" / "serve"), *args], env=environment, capture_output=True, text=True, timeout=60
    )
    return done, calls.read_text().splitlines() if calls.exists() else []


def test_serve_prints_the_address_it_really_binds(tmp_path):
    done, calls = serve(tmp_path, GAZETTEER_BIND="0.0.0.0:9000")
    assert done.returncode == 0, done.stderr
    assert "Serving the archive on http://0.0.0.0:9000 (Ctrl-C stops it)" in done.stdout
    assert calls[-1] == "gunicorn -c gunicorn.conf.py gazetteer.wsgi"


def test_serve_passes_the_editors_choice_to_the_load(tmp_path):
    _, calls = serve(tmp_path, "--keep-edits")
    assert "python manage.py load_corpus --keep-edits" in calls
    _, calls = serve(tmp_path, GAZETTEER_EDITS="discard")
    assert "python manage.py load_corpus --discard-edits" in calls
    done, calls = serve(tmp_path, "--bogus")
    assert done.returncode == 2 and "unknown option --bogus" in done.stderr and calls == []


def test_a_refused_load_still_serves_the_archive_and_says_what_to_do(tmp_path):
    done, calls = serve(tmp_path, FAKE_LOAD_STATUS="1")
    assert done.returncode == 0
    assert "bin/serve --keep-edits or bin/serve --discard-edits" in done.stderr
    assert calls[-1].startswith("gunicorn ")
