"""Settings shared by every environment; dev, test and prod override what differs."""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "simple_history",
    "axes",
    "csp",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "departments",
    "recommendations",
    "followups",
    "collaboration",
    "importing",
    "reports",
    "accounts",
    "notifications",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.SlidingSessionMiddleware",
    "config.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "config.middleware.NoStoreForAuthenticatedMiddleware",
    "config.middleware.ReadOnlyRolesMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
                "config.context_processors.municipality",
                "departments.context_processors.navigation",
            ],
        },
    },
]


def database_from_env(*, pool: bool = False) -> dj_database_url.DBConfig:
    """SQLite in a local file unless DATABASE_URL names another database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    config = dj_database_url.parse(url, conn_max_age=0 if pool else 60, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.postgresql":
        # JIT compilation costs more per query over large tables than our short page queries
        # take (bench/FINDINGS.md, "JIT").
        config.setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    if config["ENGINE"] == "django.db.backends.postgresql" and pool:
        # Django builds the psycopg ConnectionPool itself and passes its own `check`
        # (ConnectionPool.check_connection, because CONN_HEALTH_CHECKS is on): these options
        # must not name it again. A gunicorn sync worker serves one request at a time, so a
        # small pool per process suffices; the timeout bounds how long a request waits for a
        # connection when the database is down (then the 503 page, config.middleware).
        config.setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DB_POOL_MIN", "1")),
            "max_size": int(os.environ.get("DB_POOL_MAX", "4")),
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "1.5")),
            # A lost connection is retried in the background, with growing pauses, for
            # this long; then the next request asks for a new one at once. psycopg's
            # default (5 minutes, pauses up to minutes) would keep answering 503 long
            # after the database is back; kept shorter than the timeout plus a pause, the
            # first request after the database is back finds an attempt within its wait.
            "reconnect_timeout": float(os.environ.get("DB_POOL_RECONNECT_TIMEOUT", "2")),
        }
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's password check, limited by PASSWORD_LOGIN (accounts/backends.py).
    "accounts.backends.PasswordBackend",
    # Sign-on with the municipality's identity provider, when OIDC_ISSUER is set.
    "accounts.backends.MunicipalityOIDCBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "da"
LANGUAGES = [("da", _("Danish")), ("en", _("English"))]
# The footer's language choice is remembered for a year (Django's default: until the browser
# closes); the request's Accept-Language is not consulted (config.middleware).
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LOCALE_PATHS = [BASE_DIR / "locale"]
# Date formats per language (templates use |date:"DATE_FORMAT" and friends, never a literal
# Danish pattern, so English pages get English dates in the same order).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/Copenhagen"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Front-end packages come pinned from npm (package-lock.json) and are served from here.
STATICFILES_DIRS = [BASE_DIR / "static"] + [
    (prefix, path)
    for prefix, path in [
        ("vendor/dkfds", BASE_DIR / "node_modules" / "dkfds" / "dist"),
        ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ]
    if path.is_dir()
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Static files are public and served by the web server (nginx runs as another user), so
# collectstatic writes them world-readable, unlike uploads (FILE_UPLOAD_PERMISSIONS).
STATIC_FILE_MODES = {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        "OPTIONS": STATIC_FILE_MODES,
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Uploaded and archived files: readable by the service's group (backups), not by others.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
DATA_UPLOAD_MAX_MEMORY_SIZE = 10_485_760
# Importing follow-up documents (the importing app): limits checked before parsing.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 10 * 1024 * 1024))
# Files attached to follow-ups and statuses (collaboration.files).
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))
IMPORT_MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 10_000))
if os.environ.get("IMPORT_STAGING_DIR"):
    IMPORT_STAGING_DIR = os.environ["IMPORT_STAGING_DIR"]

# Sessions: short idle timeout, renewed on activity (ASVS 7.3).
SESSION_COOKIE_AGE = 60 * 60 * 2
# Idle timeout: the session's expiry restarts with activity, saved at most every five
# minutes (config.middleware.SlidingSessionMiddleware), not written on every request.
SESSION_REFRESH_SECONDS = 5 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# The client's address (log-in throttling, security log): how many reverse proxies in front
# of the application each vouch for one X-Forwarded-For entry. 0 = REMOTE_ADDR, the header
# is ignored; 1 behind the documented nginx (deploy/), which sets the header itself.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Brute force (config/security.py): lock username+IP, so one shared town-hall IP does not
# lock everyone out, and lock an IP address after many failures across usernames (password
# spraying), high enough that a town hall's typos do not reach it within the cool-off.
AXES_FAILURE_LIMIT = 5
LOGIN_FAILURE_LIMIT_PER_IP = 30
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "core.proxy.client_ip"
AXES_HANDLER = "config.security.LoginThrottle"
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_HTTP_RESPONSE_CODE = 429

# Dev, demo and tests run tasks immediately; production uses a database-backed queue.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Covering indexes (Index.include) serve PostgreSQL, the production database; SQLite, the
# embedded default, builds them without their extra columns, which is all W040 says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "opfoelgning.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # The PDF libraries' step-by-step INFO lines (WeasyPrint's "Step 1 - Fetching and
        # parsing HTML"..., pikepdf's logger bridge) are noise in the worker's and the
        # commands' output on production settings, where the root logs INFO.
        "weasyprint.progress": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
    },
}

MUNICIPALITY_NAME = os.environ.get("MUNICIPALITY_NAME", "Eksempelby Kommune")

# E-mail (notifications/, README "E-mail and reminders"): printed to the console in
# development and the demo; production sends through SMTP (config/settings/prod.py). Links
# in e-mails start with SITE_URL.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Opfølgning <opfoelgning@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# `load_demo` writes fictional users with a published password: development and tests only.
DEMO_ALLOWED = False

# The council's report PDF (README, "The council's report"): a report larger than these is
# refused (XLSX and CSV are not limited); a rendering running longer than the timeout is
# stopped; each user may have this many renderings queued; the rendering cache keeps files
# for at most this many seconds and this many bytes; an edition is tried this many times.
REPORT_MAX_CELLS = int(os.environ.get("REPORT_MAX_CELLS", 2_500))
REPORT_MAX_CHARS = int(os.environ.get("REPORT_MAX_CHARS", 700_000))
REPORT_RENDER_TIMEOUT = int(os.environ.get("REPORT_RENDER_TIMEOUT", 300))
# A report of at least REPORT_PDF_PARALLEL_MIN_CELLS rows and follow-ups is laid out in
# REPORT_PDF_PROCESSES processes (sections split between them) and merged; 1 turns that off.
REPORT_PDF_PROCESSES = int(os.environ.get("REPORT_PDF_PROCESSES", 2))
REPORT_PDF_PARALLEL_MIN_CELLS = int(os.environ.get("REPORT_PDF_PARALLEL_MIN_CELLS", 150))
REPORT_MAX_QUEUED_PER_USER = int(os.environ.get("REPORT_MAX_QUEUED_PER_USER", 3))
REPORT_CACHE_MAX_AGE = int(os.environ.get("REPORT_CACHE_MAX_AGE", 30 * 24 * 60 * 60))
REPORT_CACHE_MAX_BYTES = int(os.environ.get("REPORT_CACHE_MAX_BYTES", 500 * 1024 * 1024))
REPORT_EDITION_MAX_ATTEMPTS = int(os.environ.get("REPORT_EDITION_MAX_ATTEMPTS", 3))
# Seconds after a year's latest change before the worker renders its current reports again
# (reports/current.py): a burst of changes gives one rendering.
REPORT_REFRESH_DELAY = int(os.environ.get("REPORT_REFRESH_DELAY", 30))

# Sign-on with the municipality's identity provider (OpenID Connect; accounts/, README
# "Sign-on"). Offered when OIDC_ISSUER and OIDC_RP_CLIENT_ID are set; the endpoints and keys
# come from the issuer's discovery document.
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid profile email")
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
# Group id → global role or department membership (JSON, accounts/mapping.py), inline or
# in a file.
OIDC_GROUP_MAP = os.environ.get("OIDC_GROUP_MAP", "")
OIDC_GROUP_MAP_FILE = os.environ.get("OIDC_GROUP_MAP_FILE", "")
# The button says "Log ind med <this>"; MUNICIPALITY_NAME when empty.
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "")
OIDC_TIMEOUT = float(os.environ.get("OIDC_TIMEOUT", "10"))
OIDC_CLOCK_SKEW_SECONDS = int(os.environ.get("OIDC_CLOCK_SKEW_SECONDS", "60"))
# mozilla-django-oidc: authorization code flow with PKCE (S256), state and nonce; RS256 ID
# tokens only; the ID token is kept in the session for the provider's log-out.
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_STORE_ID_TOKEN = True
# "all": anyone with a password may use the password form (the demo); "break-glass": only
# superusers and the usernames in PASSWORD_LOGIN_USERS (comma-separated), all others sign on.
PASSWORD_LOGIN = os.environ.get("PASSWORD_LOGIN", "all")
PASSWORD_LOGIN_USERS = [
    u.strip() for u in os.environ.get("PASSWORD_LOGIN_USERS", "").split(",") if u.strip()
]
