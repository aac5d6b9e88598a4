"""Authentication backends: the password (for the demo and break-glass accounts) and
sign-on with the municipality's identity provider (OpenID Connect, mozilla-django-oidc).

mozilla-django-oidc runs the authorization code flow: the state, nonce and PKCE verifier
are kept in the session per state (views.SignOnStartView), the code is exchanged at the
token endpoint with the client secret and the verifier. This backend then verifies the ID
token itself, more strictly than the library's default: RS256 only, a key from the
provider's JWKS, our client id as audience, the discovered issuer, an unexpired token and
the nonce of this browser's request. Every refusal is a line in the security log."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from accounts import discovery
from accounts.services import user_sign_on
from core.proxy import client_ip

security_log = logging.getLogger("opfoelgning.security")

SIGNING_ALGORITHM = "RS256"


class SignOnRefused(Exception):
    """A sign-on attempt is refused; `reason` names why in the security log."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def record_refusal(request, reason: str, detail: str = "") -> None:
    """One security-log line per refused sign-on; the view shows the user why (roughly).

    %r: details quote the provider's or the browser's text, which must not write lines of
    their own into the log."""
    if getattr(request, "sign_on_refusal", None):
        return
    request.sign_on_refusal = reason
    security_log.warning(
        "oidc_login_refused reason=%s ip=%r detail=%r", reason, client_ip(request), detail[:500]
    )


# PASSWORD_LOGIN's values: anyone with a password, or only the break-glass accounts.
PASSWORD_LOGIN_ALL = "all"  # noqa: S105 (a setting's value, not a password)
PASSWORD_LOGIN_BREAK_GLASS = "break-glass"  # noqa: S105


def password_login_restricted() -> bool:
    return settings.PASSWORD_LOGIN == PASSWORD_LOGIN_BREAK_GLASS


def password_login_allowed(user) -> bool:
    """PASSWORD_LOGIN = "break-glass": only superusers and the accounts named in
    PASSWORD_LOGIN_USERS may log in with a password; everyone else signs on."""
    if not password_login_restricted():
        return True
    return user.is_superuser or user.get_username() in settings.PASSWORD_LOGIN_USERS


class PasswordBackend(ModelBackend):
    """Django's username and password, subject to PASSWORD_LOGIN.

    The check sits in the backend, so the admin's own log-in form obeys it too, and a
    password session of someone no longer allowed ends at their next request (Django asks
    user_can_authenticate again in get_user)."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and password_login_allowed(user)


def _groups(claims: Mapping[str, Any]) -> list[str]:
    value = claims.get(settings.OIDC_GROUPS_CLAIM, [])
    # AD FS sends a single value as a string, several as a list.
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _groups_overage(claims: Mapping[str, Any]) -> bool:
    """Entra ID leaves the groups out of the token when a user is in more than 200 (it
    then names a Graph source in _claim_names). Signing on with no groups would take the
    user's access away, so the sign-on is refused instead (README: assign groups to the
    application to avoid the overage)."""
    names = claims.get("_claim_names")
    return (isinstance(names, Mapping) and settings.OIDC_GROUPS_CLAIM in names) or bool(
        claims.get("hasgroups")
    )


class MunicipalityOIDCBackend(OIDCAuthenticationBackend):
    def __init__(self, *args, **kwargs):
        # Django builds every backend for every log-in and this one for every request of a
        # signed-on user: the library's __init__ would read the endpoints then; here they
        # are read (from discovery) only when a sign-on actually needs them.
        self.UserModel = get_user_model()

    OIDC_RP_SIGN_ALGO = SIGNING_ALGORITHM
    OIDC_RP_IDP_SIGN_KEY = None

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:  # noqa: N802 (the library's attribute names)
        return settings.OIDC_RP_CLIENT_ID

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:  # noqa: N802
        return settings.OIDC_RP_CLIENT_SECRET

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:  # noqa: N802
        return discovery.provider().token_endpoint

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:  # noqa: N802
        return discovery.provider().jwks_uri

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str:  # noqa: N802
        return discovery.provider().userinfo_endpoint

    def authenticate(self, request, nonce=None, code_verifier=None, **kwargs):
        # Only the callback view passes a nonce: a password log-in is not ours.
        if request is None or nonce is None or not discovery.enabled():
            return None
        try:
            return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)
        except SignOnRefused as exc:
            record_refusal(request, exc.reason, exc.detail)
        except discovery.DiscoveryError as exc:
            record_refusal(request, "provider_unavailable", str(exc))
        except requests.RequestException as exc:
            # The token endpoint refused the code (reused, expired, wrong PKCE verifier) or
            # could not be reached.
            record_refusal(request, "token_request_failed", str(exc))
        return None

    def verify_token(self, token, **kwargs):
        nonce = kwargs.get("nonce")
        if not token:
            raise SignOnRefused("no_id_token")
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.InvalidTokenError as exc:
            raise SignOnRefused("malformed_token", str(exc)) from exc
        if algorithm != SIGNING_ALGORITHM:
            raise SignOnRefused("wrong_algorithm", str(algorithm))
        try:
            key = self.retrieve_matching_jwk(token)
        except (SuspiciousOperation, KeyError, jwt.PyJWKError) as exc:
            raise SignOnRefused("unknown_signing_key", str(exc)) from exc
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[SIGNING_ALGORITHM],
                audience=settings.OIDC_RP_CLIENT_ID,
                issuer=discovery.provider().issuer,
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidSignatureError as exc:
            raise SignOnRefused("bad_signature", str(exc)) from exc
        except jwt.ExpiredSignatureError as exc:
            raise SignOnRefused("expired", str(exc)) from exc
        except jwt.InvalidIssuerError as exc:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            raise SignOnRefused("unknown_issuer", f"{exc}: {issuer!r}") from exc
        except jwt.InvalidAudienceError as exc:
            raise SignOnRefused("wrong_audience", str(exc)) from exc
        except jwt.InvalidTokenError as exc:
            raise SignOnRefused("invalid_token", str(exc)) from exc
        if not nonce or payload.get("nonce") != nonce:
            raise SignOnRefused("nonce_mismatch")
        audiences = payload["aud"] if isinstance(payload["aud"], list) else [payload["aud"]]
        if len(audiences) > 1 and payload.get("azp") != settings.OIDC_RP_CLIENT_ID:
            raise SignOnRefused("wrong_audience", f"azp={payload.get('azp')!r}")
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        # The claims are the verified ID token's: Entra ID's userinfo endpoint holds no
        # groups, and the token is signed where a userinfo answer need not be.
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        if _groups_overage(payload):
            raise SignOnRefused("groups_overage", f"sub={payload['sub']!r}")
        result = user_sign_on(issuer=payload["iss"], claims=payload, groups=_groups(payload))
        user = result.user
        if not user.is_active:
            raise SignOnRefused("inactive_user", f"user={user.username!r}")
        if not result.has_access:
            raise SignOnRefused("no_role", f"user={user.username!r} groups={_groups(payload)!r}")
        security_log.info(
            "oidc_login user=%r sub=%r created=%s roles=%s memberships=%s",
            user.username,
            payload["sub"],
            result.created,
            ",".join(sorted(result.grants.global_roles)) or "-",
            ",".join(f"{k}:{v}" for k, v in sorted(result.grants.memberships.items())) or "-",
        )
        return user

    def get_user(self, user_id):
        # The library's get_user ignores is_active; a deactivated user must be out at their
        # next request, as with a password session.
        user = super().get_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
