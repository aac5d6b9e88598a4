"""The web process's entry point (config/wsgi.py)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_web_process_imports_its_views_and_freezes_them_at_start():
    """In a new process: after importing the entry point, the views are loaded (through the
    URLconf) and the objects loaded so far are frozen out of full garbage collections."""
    script = (
        "import gc, sys; import config.wsgi; "
        "print(gc.get_freeze_count() > 10000, 'reports.lists.views' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(  # noqa: S603 (our own interpreter and a constant script)
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    assert result.stdout.split() == ["True", "True"]
