"""The error pages are the product's own, in Danish and in the design system (issue 25.11)."""

import pytest
from django.test import Client
from django.urls import reverse

from config import views

DESIGN_SYSTEM = "vendor/dkfds/css/dkfds.min.css"


def assert_own_page(response, status: int, heading: str) -> str:
    assert response.status_code == status
    html = response.content.decode()
    assert '<html lang="da">' in html
    assert DESIGN_SYSTEM in html
    assert f"<h1>{heading}</h1>" in html
    assert 'href="#main-content"' in html
    assert "Traceback" not in html
    return html


@pytest.mark.django_db
def test_404_is_danish(client, officer):
    client.force_login(officer)
    html = assert_own_page(client.get("/findes-ikke/"), 404, "Siden findes ikke")
    assert "Gå til forsiden" in html


@pytest.mark.django_db
def test_404_for_an_anonymous_user_too(client):
    assert_own_page(client.get("/static-findes-ikke/"), 404, "Siden findes ikke")


@pytest.mark.django_db
def test_403_is_danish_and_says_why(client, officer):
    client.force_login(officer)
    html = assert_own_page(client.get(reverse("importing:upload")), 403, "Adgang nægtet")
    assert "sekretariatet" in html


@pytest.mark.django_db
def test_500_is_danish(officer, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError

    monkeypatch.setattr(views, "_my_tasks", broken)
    client = Client(raise_request_exception=False)
    client.force_login(officer)
    response = client.get(reverse("home"))
    html = assert_own_page(response, 500, "Der opstod en fejl")
    assert "ZeroDivisionError" not in html


@pytest.mark.django_db
def test_csrf_failure_is_danish(officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    response = client.post(reverse("logout"))
    html = assert_own_page(response, 403, "Formularen er udløbet")
    assert "cookies" in html
