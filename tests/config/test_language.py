"""Danish by default, English only when the user chooses it (issue 25.12)."""

import pytest
from django.conf import settings
from django.urls import reverse


@pytest.mark.django_db
def test_a_browser_set_to_english_still_gets_danish(client, officer):
    client.force_login(officer)
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="da">' in html
    assert "Mine opgaver" in html


@pytest.mark.django_db
def test_choosing_english_is_remembered(client, officer):
    client.force_login(officer)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert int(cookie["max-age"]) >= 300 * 24 * 60 * 60
    assert cookie["httponly"]
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="da").content.decode()
    assert '<html lang="en">' in html
    assert "My tasks" in html
    client.post(reverse("set_language"), {"language": "da", "next": "/"})
    assert '<html lang="da">' in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_an_unknown_language_cookie_means_danish(client, officer):
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert '<html lang="da">' in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_the_language_menu_names_each_language_in_itself(client, officer):
    client.force_login(officer)
    html = client.get(reverse("home")).content.decode()
    assert '<option value="en" lang="en">English</option>' in html
    assert '<option value="da" lang="da" selected>Dansk</option>' in html
    assert "Engelsk" not in html
