"""Project-wide middleware."""

import logging
import time
from collections.abc import Callable
from typing import TypeGuard

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import add_never_cache_headers

from departments.access import access_for

security_log = logging.getLogger("opfoelgning.security")

# Seconds a client is asked to wait after the database was unreachable (503).
RETRY_AFTER_SECONDS = 30
# Errors that mean the database cannot be used right now: refused or broken connections,
# the pool's timeout, a server shutting down.
_UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
try:
    import psycopg
except ImportError:  # SQLite-only installations
    pass
else:
    _UNAVAILABLE_ERRORS += (psycopg.OperationalError, psycopg.InterfaceError)
_CHAIN_STEPS = 5

# POSTs a read-only user may still make: leaving, and choosing a language.
READ_ONLY_ALLOWED_POSTS = {"logout", "set_language", "login"}


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Danish unless the user chose another language (the footer's menu, kept in the language
    cookie). Django's LocaleMiddleware would follow the browser's Accept-Language header, so
    a browser set to English got English; the product is Danish by default."""

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else None
        except LookupError:
            language = None
        translation.activate(language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()


class NoStoreForAuthenticatedMiddleware:
    """Pages shown to a logged-in user must not stay in shared or browser caches."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500:
            # An error page is never cached either, and asking who the user is could reach
            # the database that has just failed (another wait for the pool).
            add_never_cache_headers(response)
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class SlidingSessionMiddleware:
    """The idle timeout (SESSION_COOKIE_AGE) restarts with activity, but a session is saved
    at most once per SESSION_REFRESH_SECONDS instead of on every request.

    SESSION_SAVE_EVERY_REQUEST would write (and commit) the session row on every page view,
    a database write per read. Here a session is idle-expired between SESSION_COOKIE_AGE
    minus the refresh interval and SESSION_COOKIE_AGE after its last request.
    """

    KEY = "_opf_refreshed"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500:
            # SessionMiddleware saves no session on a 5xx, and reading it here could reach
            # the database that has just failed.
            return response
        session = getattr(request, "session", None)
        if session is None or session.is_empty() or not session.session_key:
            return response
        now = int(time.time())
        if now - session.get(self.KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
            session[self.KEY] = now  # marks it modified: saved with a new expiry
        return response


class ReadOnlyRolesMiddleware:
    """Council members and users without a role get 403 on every state-changing request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and user is not None
            and user.is_authenticated
            and not user.is_staff
            and access_for(user).is_read_only
        ):
            try:
                name = resolve(request.path_info).url_name
            except Resolver404:
                name = None
            if name not in READ_ONLY_ALLOWED_POSTS:
                security_log.warning(
                    "forbidden_write user_id=%s path=%r", user.pk, request.path_info
                )
                raise PermissionDenied
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A lost database answers a fast 503 with Retry-After instead of a traceback.

    Every request first takes its database connection here, before sessions, users, axes
    or a view can reach for it: when the database is down, the request waits once (the
    pool's timeout) and no other middleware runs. A connection lost later in the request
    raises inside some inner layer, where Django turns it into a response at once; those
    end in config.views.server_error, which answers the same page
    (database_unavailable_response).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            connection.ensure_connection()
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            return database_unavailable_response(request, exc)
        return self.get_response(request)


def database_unavailable(exc: BaseException | None) -> TypeGuard[BaseException]:
    """Whether exc, or an error it was raised from, says the database cannot be used now.

    Django wraps the driver's errors in django.db's; the pool's PoolTimeout is a psycopg
    OperationalError. A view may also turn one into another error (`raise Http404 from
    exc`), so the chain is followed a few steps.
    """
    for _step in range(_CHAIN_STEPS):
        if exc is None:
            return False
        if isinstance(exc, _UNAVAILABLE_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def database_unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 page, rendered without the request: no context processor, no user, no
    session, nothing that reads the database."""
    first_line = (str(exc).strip().splitlines() or [""])[0][:200]
    security_log.error(
        "database_unavailable method=%s path=%r error=%s %r",
        request.method,
        request.path_info,
        type(exc).__name__,
        first_line,
    )
    language = translation.get_language_from_request(request)
    with translation.override(language):
        body = render_to_string(
            "503.html",
            {
                "LANGUAGE_CODE": language,
                "municipality_name": settings.MUNICIPALITY_NAME,
                "retry_url": request.get_full_path() if request.method in ("GET", "HEAD") else "",
            },
        )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    # Logged above in one line; Django would log it again with the whole traceback.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
