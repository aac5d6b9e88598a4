"""SECURITY.md cases 10, 17 and 22: log-in throttling behind the proxy (core/proxy.py,
config/security.py)."""

import logging

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from core.proxy import client_ip
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NGINX = "127.0.0.1"  # REMOTE_ADDR of every request that came through the proxy


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def login(username, password, forwarded_for=None, remote=NGINX):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return Client().post(
        reverse("login"),
        {"username": username, "password": password},
        headers=headers,
        REMOTE_ADDR=remote,
    )


def fail(username, forwarded_for=None, remote=NGINX):
    response = login(username, "wrong", forwarded_for, remote)
    assert response.status_code in (200, 429)
    return response


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "10.1.1.1"),  # no proxy trusted: the header proves nothing
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.7, 203.0.113.5", "203.0.113.5"),  # the client's own prefix
        (2, "198.51.100.7, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (1, "", "10.1.1.1"),  # came around the proxy
        (1, "not-an-ip", "10.1.1.1"),
        (2, "203.0.113.5", "10.1.1.1"),  # fewer entries than proxies
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_trusts_only_the_proxies_entries(settings, hops, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = hops
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.1.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_ip_limit_is_higher_than_the_username_limit():
    assert settings.LOGIN_FAILURE_LIMIT_PER_IP > settings.AXES_FAILURE_LIMIT


def test_behind_the_proxy_one_client_is_locked_and_its_neighbour_is_not(behind_proxy):
    UserFactory(username="anna")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail("anna", "203.0.113.5")
    assert login("anna", "pw", "203.0.113.5").status_code == 429
    # Another client behind the same proxy (same REMOTE_ADDR) logs in as anna.
    assert login("anna", "pw", "203.0.113.6").status_code == 302


def test_a_spoofed_forwarded_prefix_does_not_escape_the_lock(behind_proxy):
    """The attacker writes a new X-Forwarded-For on every try; nginx's entry comes last."""
    UserFactory(username="anna")
    for i in range(settings.AXES_FAILURE_LIMIT):
        fail("anna", f"198.51.100.{i}, 203.0.113.5")
    assert login("anna", "pw", "198.51.100.99, 203.0.113.5").status_code == 429
    assert login("anna", "pw", "203.0.113.5").status_code == 429


def test_without_a_trusted_proxy_the_header_is_ignored():
    """TRUSTED_PROXY_COUNT=0 (development): a client choosing X-Forwarded-For stays locked."""
    UserFactory(username="anna")
    for i in range(settings.AXES_FAILURE_LIMIT):
        fail("anna", f"198.51.100.{i}", remote="10.0.0.9")
    assert login("anna", "pw", "198.51.100.200", remote="10.0.0.9").status_code == 429


def test_many_usernames_from_one_ip_lock_that_ip(behind_proxy):
    """Password spraying: one guess for each of many usernames, never five for one."""
    UserFactory(username="bent")
    spray = "203.0.113.5"
    for i in range(settings.LOGIN_FAILURE_LIMIT_PER_IP - 1):
        fail(f"user{i}", spray)
    # One below the limit: a colleague at the same address still gets in.
    assert login("bent", "pw", spray).status_code == 302
    fail("one-more", spray)
    locked = login("bent", "pw", spray)
    assert locked.status_code == 429
    assert locked.context["lock_scope"] == "ip"
    assert "forskellige brugernavne" in locked.content.decode()
    assert login("bent", "pw", "203.0.113.6").status_code == 302


def test_failed_login_is_logged_with_an_escaped_username(behind_proxy, caplog):
    with caplog.at_level(logging.INFO, logger="opfoelgning.security"):
        fail("anna\nFAKE login_ok username='root'", "198.51.100.1, 203.0.113.5")
    lines = [r.getMessage() for r in caplog.records if r.name == "opfoelgning.security"]
    assert len(lines) == 1
    line = lines[0]
    assert line.startswith("login_failed ")
    assert "username=\"anna\\nFAKE login_ok username='root'\"" in line
    assert "ip='203.0.113.5'" in line
    assert "\n" not in line and "198.51.100.1" not in line


def test_the_lock_is_logged_as_locked(caplog):
    UserFactory(username="anna")
    with caplog.at_level(logging.INFO, logger="opfoelgning.security"):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            fail("anna", remote="10.0.0.1")
    lines = [r.getMessage() for r in caplog.records if r.name == "opfoelgning.security"]
    assert "locked=False" in lines[0]
    assert lines[-1].endswith("locked=True scope=username+ip")


def test_lock_page_is_429_with_retry_after_in_danish():
    UserFactory(username="anna")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        fail("anna", remote="10.0.0.1")
    response = login("anna", "pw", remote="10.0.0.1")
    assert response.status_code == 429
    cool_off_seconds = int(settings.AXES_COOLOFF_TIME * 3600)
    assert response["Retry-After"] == str(cool_off_seconds)
    page = response.content.decode()
    assert "For mange mislykkede forsøg på at logge ind" in page
    assert f"Prøv igen om {cool_off_seconds // 60} minutter" in page
