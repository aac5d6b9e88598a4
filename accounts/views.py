"""Log-in page, log-out, and the two ends of sign-on (to the provider and back)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from accounts import discovery
from accounts.backends import password_login_restricted, record_refusal

MSG_SIGN_ON_FAILED = _(
    "Logging in with %(provider)s failed, so you are not logged in. Please try again; if it "
    "fails again, contact IT support."
)
MSG_NO_ACCESS = _(
    "%(provider)s knows you, but none of your groups gives access to Opfølgning. Ask your "
    "manager or IT support for access."
)
MSG_PROVIDER_UNAVAILABLE = _(
    "%(provider)s cannot be reached right now, so you are not logged in. Please try again "
    "in a moment."
)

NO_ACCESS_REASONS = {"no_role", "inactive_user"}


def provider_name() -> str:
    return settings.OIDC_PROVIDER_NAME or settings.MUNICIPALITY_NAME


class LoginView(auth_views.LoginView):
    """Django's log-in form, with the provider's button first when sign-on is set up."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sign_on_enabled"] = discovery.enabled()
        context["sign_on_provider"] = provider_name()
        context["password_login_restricted"] = password_login_restricted()
        return context


class LogoutView(auth_views.LogoutView):
    """Log out here and, after a sign-on, at the provider too (RP-initiated logout), so
    that the next person at the same computer is asked for their own credentials."""

    def post(self, request, *args, **kwargs):
        provider_logout = _provider_logout_url(request)
        response = super().post(request, *args, **kwargs)
        if not provider_logout:
            return response
        # Not a redirect: the log-out form's page allows form submissions (and their
        # redirects) to our own origin only (CSP form-action), so the browser goes on to the
        # provider from this page, by the Refresh header or the link.
        response = render(
            request,
            "accounts/provider_logout.html",
            {"provider": provider_name(), "provider_logout_url": provider_logout},
        )
        response["Refresh"] = f"0;url={provider_logout}"
        return response


def _provider_logout_url(request: HttpRequest) -> str:
    id_token = request.session.get("oidc_id_token")
    if not (id_token and discovery.enabled()):
        return ""
    try:
        endpoint = discovery.provider().end_session_endpoint
    except discovery.DiscoveryError:
        return ""
    if not endpoint:
        return ""
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("login")),
        }
    )
    return f"{endpoint}?{query}"


def _refused(request: HttpRequest) -> HttpResponse:
    reason = getattr(request, "sign_on_refusal", "")
    if reason in NO_ACCESS_REASONS:
        message = MSG_NO_ACCESS
    elif reason == "provider_unavailable":
        message = MSG_PROVIDER_UNAVAILABLE
    else:
        message = MSG_SIGN_ON_FAILED
    messages.error(request, message % {"provider": provider_name()})
    return redirect("login")


class SignOnStartView(OIDCAuthenticationRequestView):
    """Send the browser to the provider (authorization code flow with PKCE, a fresh
    state and nonce kept in the session)."""

    def __init__(self, **kwargs):
        # The library reads the endpoint in __init__; ours comes from discovery in get().
        View.__init__(self, **kwargs)

    def get(self, request):
        if not discovery.enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = discovery.provider().authorization_endpoint
        except discovery.DiscoveryError as exc:
            record_refusal(request, "provider_unavailable", str(exc))
            return _refused(request)
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class SignOnCallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer: the library checks the state and exchanges the code; the
    backend verifies the ID token; refusals come back to the log-in page."""

    def get(self, request):
        if not discovery.enabled():
            raise Http404
        if request.GET.get("error"):
            record_refusal(
                request,
                "provider_error",
                f"{request.GET.get('error')}: {request.GET.get('error_description', '')}",
            )
        try:
            return super().get(request)
        except SuspiciousOperation as exc:
            # The library raises this for a state this browser's session did not start:
            # a forged or replayed answer, or one meant for another browser.
            record_refusal(request, "state_mismatch", str(exc))
            return self.login_failure()

    def login_failure(self):
        request = self.request
        if not getattr(request, "sign_on_refusal", None):
            # The library's own refusals: no sign-on started in this session (e.g. it
            # expired), or an answer without code and state.
            record_refusal(request, "no_state_in_session", request.GET.get("state", ""))
        request.session.pop("oidc_id_token", None)
        return _refused(request)
