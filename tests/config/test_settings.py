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
