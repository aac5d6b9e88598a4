"""Test runs: fast hashing, files in a temporary folder, same database choice as dev."""

import tempfile

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="opfoelgning-test-media-"))
AXES_ENABLED = True
LOGGING["root"]["level"] = "ERROR"
DEMO_ALLOWED = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SITE_URL = "https://opf.example.dk"
