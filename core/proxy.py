"""The client's address behind the reverse proxy (log-in throttling and the security log)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind N trusted proxies the N-th
    X-Forwarded-For entry from the right.

    Each trusted proxy adds the address it received the request from at the right end of
    the header, so everything left of those N entries was written by the client and proves
    nothing. The documented nginx sets the header to $remote_addr (one entry); a proxy that
    appends instead still leaves its own entry last. Missing or malformed entries fall back
    to REMOTE_ADDR, which the client cannot choose.
    """
    remote = request.META.get("REMOTE_ADDR")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < hops:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-hops]))
    except ValueError:
        return remote
