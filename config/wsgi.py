"""WSGI entry point (gunicorn config.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
application = get_wsgi_application()


def freeze_startup_objects() -> None:
    """Import every view (through the URLconf), then take the objects loaded so far, which
    live as long as the process (modules, classes, compiled URL patterns), out of the garbage
    collector's full collections (gc.freeze): a full collection then scans a sixth of the
    objects, which halves the longest pause (bench/FINDINGS.md, "gc.freeze")."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports the views)
    gc.collect()  # start-up garbage is freed, not frozen for the process's life
    gc.freeze()


freeze_startup_objects()
