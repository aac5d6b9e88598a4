import importlib
import os
from pathlib import Path
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


DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_the_env_example_lists_every_variable_the_settings_read():
    import re

    settings_dir = Path(base.__file__).parent
    read = set()
    for module in settings_dir.glob("*.py"):
        read |= set(re.findall(r"os\.environ(?:\.get\(|\[)\"([A-Z0-9_]+)\"", module.read_text()))
    example = (DEPLOY / "env.example").read_text()
    listed = set(re.findall(r"^#?([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert {"SECRET_KEY", "DATABASE_URL", "TRUSTED_PROXY_COUNT"} <= read
    assert read - listed == set(), "add them to deploy/env.example"


def test_nginx_sets_the_forwarded_headers_and_admits_the_largest_import(settings):
    """The proxy replaces the client's X-Forwarded-For (TRUSTED_PROXY_COUNT=1 takes its one
    entry) and lets an import of IMPORT_MAX_BYTES through to the application's message."""
    import re

    site = (DEPLOY / "nginx" / "opfoelgning.conf").read_text()
    directives = [line.split("#")[0].strip() for line in site.splitlines()]
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in directives
    assert "proxy_set_header X-Forwarded-Proto https;" in directives
    assert "$proxy_add_x_forwarded_for" not in site
    size = re.search(r"client_max_body_size (\d+)m;", site)
    limit = int(size.group(1)) * 1024 * 1024
    assert limit > settings.IMPORT_MAX_BYTES
    assert limit > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    env = (DEPLOY / "env.example").read_text()
    assert re.search(r"^TRUSTED_PROXY_COUNT=1$", env, flags=re.MULTILINE)


def test_collected_static_files_are_readable_by_the_web_server(settings, tmp_path):
    """nginx (another user) serves STATIC_ROOT: collectstatic's files are 0644 in 0755
    folders, also under the services' umask 0027 and with uploads at 0640."""
    import json
    import stat
    import subprocess
    import sys

    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    settings.STATIC_ROOT = tmp_path / "static"
    storage = storages.create_storage(settings.STORAGES["staticfiles"])
    old_umask = os.umask(0o027)
    try:
        name = storage.save("vendor/dkfds/css/dkfds.css", ContentFile(b"body{}"))
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(storage.path(name)).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "static" / "vendor").st_mode) == 0o755

    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['staticfiles']))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "test-prod-static-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
        "ALLOWED_HOSTS": "opfoelgning.example",
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    prod = json.loads(done.stdout.strip().splitlines()[-1])
    assert prod["BACKEND"].startswith("whitenoise.")
    assert prod["OPTIONS"] == {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755}


def test_production_logs_no_pdf_library_chatter():
    """On production settings the root logs INFO; WeasyPrint's step-by-step lines and pikepdf's
    start-up line are not among what a command or the worker writes."""
    import subprocess
    import sys

    code = (
        "import django; django.setup()\n"
        "import logging\n"
        "from reports import pdf, pdf_merge\n"
        "pdf.html_to_pdf('<html lang=\"da\"><p>x</p></html>')\n"
        "logging.getLogger('opfoelgning.probe').info('probe line')\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "test-prod-logging-0123456789abcdefghijklmnopqrstuvwxyz-0123",
        "ALLOWED_HOSTS": "opfoelgning.example",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "INFO opfoelgning.probe probe line" in done.stderr
    assert "weasyprint" not in done.stderr
    assert "pikepdf" not in done.stderr
