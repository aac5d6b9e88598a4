import importlib
import os
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import base


def test_sqlite_without_database_url():
    with mock.patch.dict(os.environ, {}, clear=True):
        config = base.database_from_env()
    assert config["ENGINE"] == "django.db.backends.sqlite3"


def test_database_url_selects_postgres_with_health_checks():
    url = "postgres://app:secret@db.example:5433/opf"
    with mock.patch.dict(os.environ, {"DATABASE_URL": url}):
        plain = base.database_from_env()
        pooled = base.database_from_env(pool=True)
    assert plain["ENGINE"] == "django.db.backends.postgresql"
    assert (plain["HOST"], plain["PORT"], plain["NAME"]) == ("db.example", 5433, "opf")
    assert plain["CONN_HEALTH_CHECKS"] is True
    assert pooled["CONN_MAX_AGE"] == 0
    assert pooled["OPTIONS"]["pool"]["max_size"] >= pooled["OPTIONS"]["pool"]["min_size"]


def test_production_refuses_missing_secret():
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.prod", "ALLOWED_HOSTS": "x"}
    with mock.patch.dict(os.environ, env, clear=True), pytest.raises(ImproperlyConfigured):
        importlib.reload(importlib.import_module("config.settings.base"))
        importlib.reload(importlib.import_module("config.settings.prod"))
    importlib.reload(base)


def test_danish_is_the_default_language(settings):
    assert settings.LANGUAGE_CODE == "da"
    assert [code for code, _name in settings.LANGUAGES] == ["da", "en"]


@pytest.mark.postgres
def test_production_settings_open_a_real_pooled_connection(settings):
    """The production settings, loaded in a process of their own, reach PostgreSQL through
    Django's psycopg pool: a query answers and the connection came from the pool."""
    import subprocess
    import sys
    from pathlib import Path

    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('select 41 + 1')\n"
        "    print(c.fetchone()[0], type(connection.pool).__name__)\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "test-prod-connection-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "opfoelgning.example",
        "DATABASE_URL": url,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["42", "ConnectionPool"]


def test_stored_and_uploaded_files_are_not_world_readable(settings, tmp_path):
    """Files in media storage: 0640, their folders 0750 (SECURITY.md case 24), whatever the
    process's umask would give."""
    import stat

    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage
    from django.core.files.uploadedfile import TemporaryUploadedFile

    settings.MEDIA_ROOT = tmp_path / "media"
    storage = FileSystemStorage()
    old_umask = os.umask(0o002)
    try:
        stored = storage.save("editions/2025/rapport.pdf", ContentFile(b"%PDF-1.7"))
        upload = TemporaryUploadedFile("plan.xlsx", "application/octet-stream", 3, None)
        upload.write(b"abc")
        upload.seek(0)
        uploaded = storage.save("imports/plan.xlsx", upload)  # moved, not copied
        upload.close()
    finally:
        os.umask(old_umask)

    def mode(path):
        return stat.S_IMODE(os.stat(path).st_mode)

    assert mode(storage.path(stored)) == 0o640
    assert mode(storage.path(uploaded)) == 0o640
    assert mode(tmp_path / "media" / "editions") == 0o750
    assert mode(tmp_path / "media" / "editions" / "2025") == 0o750
