"""Log-in throttling behind the reverse proxy (django-axes hooks).

django-axes counts failed log-ins; three settings point at the project's code:

- AXES_CLIENT_IP_CALLABLE = core.proxy.client_ip: the address the throttling locks and the
  security log names, taken from X-Forwarded-For only as far as TRUSTED_PROXY_COUNT proxies
  vouch for it.
- AXES_HANDLER = LoginThrottle: axes' database handler, plus a limit per IP address across
  usernames (LOGIN_FAILURE_LIMIT_PER_IP) beside axes' own limit per username and IP
  (AXES_FAILURE_LIMIT), and a security-log line for every failed log-in.
- AXES_LOCKOUT_CALLABLE = lockout_response: the Danish lock page, 429 with Retry-After.
"""

from __future__ import annotations

import logging
import math

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

security_log = logging.getLogger("opfoelgning.security")


class AxesRequest(HttpRequest):
    """A request as axes hands it to its handler (for type checking only): with the client's
    address, and the lock's scope once the limit per IP address locked it."""

    axes_ip_address: str
    login_lock_scope: str


class LoginThrottle(AxesDatabaseHandler):
    """axes' database handler with a second, higher limit per IP address.

    axes compares every lockout parameter against the one AXES_FAILURE_LIMIT, so a lock on
    the IP alone at that limit would lock a whole town hall (one NAT address) after five
    typos by anyone. Here username+IP locks at AXES_FAILURE_LIMIT, as axes does, and the IP
    alone at LOGIN_FAILURE_LIMIT_PER_IP failures (any usernames) within the cool-off, which
    stops password spraying (one guess for each of many usernames) from one address.
    """

    def ip_failures(self, request: AxesRequest) -> int:
        attempts = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address,
            attempt_time__gte=get_cool_off_threshold(request),
        )
        return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0

    def ip_limit_reached(self, request: AxesRequest) -> bool:
        if self.ip_failures(request) < settings.LOGIN_FAILURE_LIMIT_PER_IP:
            return False
        request.login_lock_scope = "ip"
        return True

    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or self.ip_limit_reached(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None:
            return
        username = get_client_username(request, credentials)
        if not getattr(request, "axes_locked_out", False) and self.ip_limit_reached(request):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes", request=request, username=username, ip_address=request.axes_ip_address
            )
        locked = bool(getattr(request, "axes_locked_out", False))
        # %r: a username is typed by the client; repr escapes newlines and control
        # characters, so no one can write a line of their own into the log.
        security_log.warning(
            "login_failed username=%r ip=%r locked=%s scope=%s",
            username,
            request.axes_ip_address,
            locked,
            getattr(request, "login_lock_scope", "username+ip") if locked else "-",
        )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """The lock page: 429 Too Many Requests with Retry-After in seconds.

    Every attempt while locked counts as a failure and restarts the cool-off
    (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT), so the whole cool-off is the wait.
    """
    seconds = int(get_cool_off(request).total_seconds())
    response = render(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        {
            "retry_minutes": math.ceil(seconds / 60),
            "lock_scope": getattr(request, "login_lock_scope", "username+ip"),
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(seconds)
    return response
