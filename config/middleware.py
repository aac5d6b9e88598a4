"""Project-wide middleware."""

import logging
import time
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers

from departments.access import access_for

security_log = logging.getLogger("opfoelgning.security")

# POSTs a read-only user may still make: leaving, and choosing a language.
READ_ONLY_ALLOWED_POSTS = {"logout", "set_language", "login"}


class NoStoreForAuthenticatedMiddleware:
    """Pages shown to a logged-in user must not stay in shared or browser caches."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
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
        from django.conf import settings

        response = self.get_response(request)
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
    """A lost database answers a fast 503 with Retry-After instead of a traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        from django.db import InterfaceError, OperationalError
        from django.utils.translation import gettext

        if isinstance(exception, OperationalError | InterfaceError):
            security_log.error("database_unavailable path=%r", request.path_info)
            response = HttpResponse(
                gettext("Opfølgning is unavailable for a moment. Please try again shortly."),
                status=503,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = "30"
            return response
        return None
