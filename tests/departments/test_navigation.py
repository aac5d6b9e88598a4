"""The main menu offers the dashboard and the import only to the roles that may open them."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    ("who", "dashboard", "importing"),
    [
        ("officer", False, False),
        ("manager", True, False),
        ("council", False, False),
        ("ombudsman", True, False),
        ("secretariat", True, True),
    ],
)
def test_menu_links_follow_the_roles(client, request, who, dashboard, importing):
    client.force_login(request.getfixturevalue(who))
    html = client.get(reverse("home")).content.decode()
    assert (f'href="{reverse("dashboard:dashboard")}"' in html) == dashboard
    assert (f'href="{reverse("importing:upload")}"' in html) == importing
