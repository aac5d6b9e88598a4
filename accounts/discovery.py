"""The provider's endpoints, read from its discovery document and kept for an hour.

Only OIDC_ISSUER is configured; the endpoints and keys follow from the provider's
`<issuer>/.well-known/openid-configuration`, so a provider moving an endpoint needs no
change here. The document is read on the first sign-on, not at start-up, so a provider that
is down does not stop the application (password log-in keeps working)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import requests
from django.conf import settings

MAX_AGE_SECONDS = 3600


class DiscoveryError(Exception):
    """The provider's discovery document could not be read or does not fit."""


@dataclass(frozen=True)
class ProviderConfig:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    end_session_endpoint: str


_lock = threading.Lock()
_cache: dict[str, tuple[float, ProviderConfig]] = {}


def enabled() -> bool:
    """Sign-on is offered when an issuer and a client id are configured."""
    return bool(settings.OIDC_ISSUER and settings.OIDC_RP_CLIENT_ID)


def forget() -> None:
    with _lock:
        _cache.clear()


def provider() -> ProviderConfig:
    issuer = settings.OIDC_ISSUER
    with _lock:
        cached = _cache.get(issuer)
    if cached and time.monotonic() - cached[0] < MAX_AGE_SECONDS:
        return cached[1]
    config = _fetch(issuer)
    with _lock:
        _cache[issuer] = (time.monotonic(), config)
    return config


def _fetch(issuer: str) -> ProviderConfig:
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise DiscoveryError(f"{url}: {exc}") from exc
    # OpenID Connect Discovery 1.0, 4.3: the document's issuer must be the one asked for,
    # or its keys and endpoints could speak for another provider.
    if document.get("issuer") != issuer:
        raise DiscoveryError(f"{url}: issuer {document.get('issuer')!r} is not {issuer!r}")
    try:
        return ProviderConfig(
            issuer=issuer,
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
            userinfo_endpoint=document.get("userinfo_endpoint", ""),
            end_session_endpoint=document.get("end_session_endpoint", ""),
        )
    except KeyError as exc:
        raise DiscoveryError(f"{url}: missing {exc}") from exc
