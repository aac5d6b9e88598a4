"""SECURITY.md cases 2, 5, 8, 9, 10 and 17 on real requests."""

import logging

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_headers_on_authenticated_pages(client, officer):
    client.force_login(officer)
    response = client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_session_cookie_flags(client):
    UserFactory(username="anna")
    response = client.post(reverse("login"), {"username": "anna", "password": "pw"})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_csrf_required_and_foreign_origin_refused(plan, officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    url = reverse("followups:submit", args=[plan.followup.pk])
    assert client.post(url).status_code == 403
    client.get(plan.followup.get_absolute_url())
    token = client.cookies["csrftoken"].value
    response = client.post(
        url, {"csrfmiddlewaretoken": token}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403


def test_login_next_stays_on_site(client):
    UserFactory(username="anna")
    response = client.post(
        reverse("login") + "?next=//evil.example/x",
        {"username": "anna", "password": "pw", "next": "//evil.example/x"},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_new_session_at_login_and_old_cookie_dead_after_logout(client):
    UserFactory(username="anna")
    client.get(reverse("login"))
    client.post(reverse("login"), {"username": "anna", "password": "pw"})
    first = client.cookies["sessionid"].value
    stolen = Client()
    stolen.cookies["sessionid"] = first
    assert stolen.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert stolen.get(reverse("home")).status_code == 302


def test_deactivated_user_is_out_at_next_request(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200
    user.is_active = False
    user.save()
    assert client.get(reverse("home")).status_code == 302


def test_brute_force_locks_username_from_that_ip_only(client, caplog):
    UserFactory(username="anna")
    UserFactory(username="bent")
    for _ in range(5):
        client.post(
            reverse("login"), {"username": "anna", "password": "wrong"}, REMOTE_ADDR="10.0.0.1"
        )
    locked = client.post(
        reverse("login"), {"username": "anna", "password": "pw"}, REMOTE_ADDR="10.0.0.1"
    )
    assert locked.status_code == 429
    # A colleague behind the same town-hall IP can still log in.
    other = Client()
    ok = other.post(
        reverse("login"), {"username": "bent", "password": "pw"}, REMOTE_ADDR="10.0.0.1"
    )
    assert ok.status_code == 302


def test_forbidden_write_is_logged_without_forged_lines(client, council, plan, caplog):
    client.force_login(council)
    with caplog.at_level(logging.WARNING, logger="opfoelgning.security"):
        client.post("/opfoelgning/%0d%0aFAKE/")
    assert any("forbidden_write" in r.getMessage() for r in caplog.records)
    assert all("\nFAKE" not in r.getMessage() for r in caplog.records)


def test_database_outage_is_a_fast_503(client, officer, monkeypatch):
    from django.db import OperationalError

    from config import views

    client.force_login(officer)

    def broken(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(views, "_my_tasks", broken)
    client.raise_request_exception = False
    response = client.get(reverse("home"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Traceback" not in response.content.decode()
