"""Uploaded files waiting between the preview and the commit, keyed by a random token.

The folder is the deployment's own (SECURITY.md case 24): created with mode 0700, and
refused when it exists with another owner, a wider mode, or as a symbolic link, since
whoever can write there could swap a previewed file for another or read a municipality's
documents. Staged files are 0600. `check_staging_dir` says the same as a Django system
check at start-up (`manage.py check`, `migrate`, `runserver`).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
MAX_AGE_SECONDS = 24 * 60 * 60
# Not translated: an operator's message, in the logs and `manage.py check`.
MSG_UNSAFE = (
    "The import staging folder {path} {reason}. It must belong to the user running the "
    "application and have mode 0700 (set IMPORT_STAGING_DIR to a private folder, or remove "
    "this one so that it is created again)."
)


def configured_dir() -> Path:
    """IMPORT_STAGING_DIR, or a folder per deployment user in the system's temporary folder."""
    default = Path(tempfile.gettempdir()) / f"opfoelgning-import-{os.geteuid()}"
    return Path(getattr(settings, "IMPORT_STAGING_DIR", default))


def unsafe_reason(path: Path) -> str | None:
    """Why an existing folder may not hold staged files (None: it is private)."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a folder"
    if info.st_uid != os.geteuid():
        return f"belongs to another user (uid {info.st_uid})"
    if info.st_mode & 0o077:
        return f"has mode {stat.S_IMODE(info.st_mode):04o}, open to others"
    return None


def staging_dir() -> Path:
    path = configured_dir()
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    reason = unsafe_reason(path)
    if reason is not None:
        raise ImproperlyConfigured(MSG_UNSAFE.format(path=path, reason=reason))
    return path


def _path(token: str) -> Path | None:
    return staging_dir() / f"{token}.upload" if TOKEN_RE.match(token or "") else None


def stage(data: bytes) -> str:
    _forget_old()
    token = secrets.token_urlsafe(32)
    # Created 0600 and never opened if it exists (O_EXCL), whatever the process's umask.
    descriptor = os.open(
        staging_dir() / f"{token}.upload", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
    )
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return token


def load(token: str) -> bytes | None:
    path = _path(token)
    if path is None or not path.is_file():
        return None
    return path.read_bytes()


def discard(token: str) -> None:
    path = _path(token)
    if path is not None:
        path.unlink(missing_ok=True)


def _forget_old() -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in staging_dir().glob("*.upload"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def check_staging_dir(app_configs=None, **kwargs):
    """System check: an existing staging folder must be private (one that does not exist
    yet is created private when first used)."""
    from django.core import checks

    path = configured_dir()
    try:
        reason = unsafe_reason(path)
    except FileNotFoundError:
        return []
    except OSError as exc:
        reason = f"cannot be read ({exc.strerror})"
    if reason is None:
        return []
    return [checks.Error(MSG_UNSAFE.format(path=path, reason=reason), id="importing.E001")]
