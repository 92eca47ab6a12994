"""The application as gunicorn loads it (``preload_app``: once, in the master)."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_what_the_master_loads_is_kept_out_of_the_garbage_collectors_sight(tmp_path):
    # pypinyin's tables alone are 194,000 lists: walked by every full collection, they
    # paused a worker for 100-130 ms in the middle of some request.
    code = "import gc, sys; import gazetteer.wsgi; print(gc.get_freeze_count(), 'pypinyin' in sys.modules)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "GAZETTEER_DATA_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    frozen, views_loaded = out.stdout.split()
    assert views_loaded == "True"
    assert int(frozen) > 194_000
