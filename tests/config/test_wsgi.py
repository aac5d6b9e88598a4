"""The web process's entry point (config/wsgi.py)."""

import gc
import importlib
import sys


def test_the_web_process_freezes_what_it_loaded_at_start():
    gc.unfreeze()
    try:
        sys.modules.pop("config.wsgi", None)
        wsgi = importlib.import_module("config.wsgi")
        assert callable(wsgi.application)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
