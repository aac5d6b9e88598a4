"""Linking an existing user to their identity at the provider, in the admin."""

import pytest
from django.urls import reverse

from accounts.models import ExternalIdentity
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_an_admin_links_a_password_user_with_history(admin_client, settings):
    settings.OIDC_ISSUER = "https://login.microsoftonline.com/t/v2.0"
    user = UserFactory(username="aho")
    add = reverse("admin:accounts_externalidentity_add")
    assert settings.OIDC_ISSUER in admin_client.get(add).content.decode()
    response = admin_client.post(
        add, {"user": user.pk, "issuer": settings.OIDC_ISSUER, "subject": "sub-aho"}
    )
    assert response.status_code == 302
    identity = ExternalIdentity.objects.get(user=user)
    assert identity.subject == "sub-aho"
    assert identity.history.get().history_user.is_superuser


def test_a_link_is_not_moved_to_another_person(admin_client):
    person = UserFactory()
    identity = ExternalIdentity.objects.create(user=person, issuer="i", subject="s")
    change = reverse("admin:accounts_externalidentity_change", args=[identity.pk])
    response = admin_client.post(change, {"user": UserFactory().pk, "issuer": "i", "subject": "s"})
    assert response.status_code == 403
    identity.refresh_from_db()
    assert identity.user == person
