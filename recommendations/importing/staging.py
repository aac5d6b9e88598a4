"""Uploaded files waiting between the preview and the commit, keyed by a random token."""

from __future__ import annotations

import re
import secrets
import tempfile
import time
from pathlib import Path

from django.conf import settings

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
MAX_AGE_SECONDS = 24 * 60 * 60


def staging_dir() -> Path:
    default = Path(tempfile.gettempdir()) / "opfoelgning-import"
    path = Path(getattr(settings, "IMPORT_STAGING_DIR", default))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _path(token: str) -> Path | None:
    return staging_dir() / f"{token}.upload" if TOKEN_RE.match(token or "") else None


def stage(data: bytes) -> str:
    _forget_old()
    token = secrets.token_urlsafe(32)
    (staging_dir() / f"{token}.upload").write_bytes(data)
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
