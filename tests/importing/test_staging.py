"""The staging folder is the deployment's own: 0700, refused when shared; files 0600."""

import os
import stat

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from importing import staging


@pytest.fixture
def folder(settings, tmp_path):
    settings.IMPORT_STAGING_DIR = tmp_path / "staging"
    return settings.IMPORT_STAGING_DIR


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_created_private_and_files_0600(folder):
    old = os.umask(0)  # even a careless umask gives private files
    try:
        token = staging.stage(b"data")
    finally:
        os.umask(old)
    assert mode(folder) == 0o700
    assert mode(folder / f"{token}.upload") == 0o600
    assert staging.load(token) == b"data"
    assert staging.check_staging_dir() == []


def test_the_default_folder_is_per_deployment_user(settings):
    del settings.IMPORT_STAGING_DIR
    assert staging.configured_dir().name == f"opfoelgning-import-{os.geteuid()}"


@pytest.mark.parametrize("wide", [0o755, 0o770, 0o701])
def test_a_wider_mode_is_refused_at_use_and_at_start_up(folder, wide):
    folder.mkdir()
    folder.chmod(wide)
    with pytest.raises(ImproperlyConfigured, match="mode"):
        staging.stage(b"data")
    assert list(folder.iterdir()) == []
    [error] = staging.check_staging_dir()
    assert error.id == "importing.E001"
    assert str(folder) in error.msg
    # Registered: `manage.py check` reports it.
    assert any(e.id == "importing.E001" for e in checks.run_checks(tags=[checks.Tags.security]))


def test_another_owner_is_refused(folder, monkeypatch):
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    real_uid = os.geteuid()
    monkeypatch.setattr(staging.os, "geteuid", lambda: real_uid + 1)
    with pytest.raises(ImproperlyConfigured, match="another user"):
        staging.stage(b"data")
    assert staging.check_staging_dir()[0].id == "importing.E001"


def test_a_symbolic_link_is_refused(folder, tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    folder.symlink_to(target)
    with pytest.raises(ImproperlyConfigured, match="symbolic link"):
        staging.stage(b"data")


def test_a_folder_swapped_for_a_link_after_staging_is_refused_when_read(folder, tmp_path):
    """The commit reads the staged file again: the folder is checked then too, so a file
    swapped in through a link (or a folder opened to others) is never imported."""
    token = staging.stage(b"previewed")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (elsewhere / f"{token}.upload").write_bytes(b"swapped")
    folder.rename(tmp_path / "moved")
    folder.symlink_to(elsewhere)
    with pytest.raises(ImproperlyConfigured, match="symbolic link"):
        staging.load(token)
    with pytest.raises(ImproperlyConfigured, match="symbolic link"):
        staging.discard(token)
    assert (elsewhere / f"{token}.upload").exists()


def test_a_folder_opened_to_others_after_staging_is_refused_when_read(folder):
    token = staging.stage(b"previewed")
    folder.chmod(0o777)
    with pytest.raises(ImproperlyConfigured, match="mode"):
        staging.load(token)
