"""The admin of who may do what: users (Django's user admin, audited), memberships, and the
logs of their changes the secretariat reads."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from departments import services
from departments.models import Membership
from tests.factories import UserFactory
from tests.history import assert_one_new_history_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True, username="admin")


def user_form(user, **changes):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [],
        "user_permissions": [],
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "last_login_0": "",
        "last_login_1": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def test_user_admin_records_a_role_and_active_change_once_with_the_admin(client, superuser):
    user = UserFactory(username="anna")
    group = Group.objects.create(name="council_member")
    before = user.history.count()
    client.force_login(superuser)
    url = reverse("admin:auth_user_change", args=[user.pk])
    response = client.post(url, user_form(user, groups=[group.pk], is_active=False))
    assert response.status_code == 302, response.content.decode()[:2000]
    # The user's fields and then its groups are saved: one row, after both, by the admin.
    row = assert_one_new_history_row(user, before=before, user=superuser)
    assert row.is_active is False
    assert [g.group for g in row.groups.all()] == [group]
    assert set(row.diff_against(row.prev_record).changed_fields) == {
        "is_active",
        "groups",
        "date_joined",
    }
    # Saving the form again unchanged records nothing.
    client.post(url, user_form(user, groups=[group.pk], is_active=False))
    assert user.history.count() == before + 1
    page = client.get(reverse("admin:auth_user_history", args=[user.pk])).content.decode()
    assert "admin" in page


def test_a_password_set_in_the_admin_is_recorded_without_the_hash(client, superuser):
    user = UserFactory()
    before = user.history.count()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": "Et-langt-nyt-kodeord-42", "password2": "Et-langt-nyt-kodeord-42"},
    )
    assert response.status_code == 302
    row = assert_one_new_history_row(user, before=before, user=superuser)
    assert row.history_change_reason
    assert not hasattr(row, "password")


@pytest.fixture
def secretariat_admin(client, secretariat):
    services.global_roles_sync()
    client.force_login(secretariat)
    return client


def test_the_secretariat_reads_who_changed_whose_roles(secretariat_admin, secretariat, department):
    user = UserFactory(username="bente")
    services.user_set_global_roles(user=user, roles={"ombudsman_office"}, actor=secretariat)
    services.membership_set(user=user, department=department, role="manager", actor=secretariat)
    page = secretariat_admin.get(reverse("admin:departments_historicaluser_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "bente" in text and "ombudsman_office" in text and secretariat.username in text
    assert "ændringer af brugeres roller og adgang" in text.lower()  # not "historical users"
    page = secretariat_admin.get(reverse("admin:departments_historicalmembership_changelist"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "bente" in text.lower() or user.get_full_name() in text
    assert department.name in text


def test_membership_admin_change_is_logged_with_the_admin_user(
    secretariat_admin, secretariat, department
):
    user = UserFactory()
    membership = services.membership_set(
        user=user, department=department, role="case_officer", actor=secretariat
    )
    url = reverse("admin:departments_membership_change", args=[membership.pk])
    assert secretariat_admin.post(url, {"role": "manager"}).status_code == 302
    row = assert_one_new_history_row(membership, before=1, user=secretariat)
    assert row.role == Membership.Role.MANAGER
    text = secretariat_admin.get(
        reverse("admin:departments_historicalmembership_changelist")
    ).content.decode()
    assert "→" in text


def test_the_logs_are_read_only_and_not_for_other_roles(client, secretariat_admin, officer):
    for name in ("historicaluser", "historicalmembership"):
        add = reverse(f"admin:departments_{name}_add")
        assert secretariat_admin.get(add).status_code == 403
    staff_without_role = UserFactory(is_staff=True)
    client.force_login(staff_without_role)
    url = reverse("admin:departments_historicaluser_changelist")
    assert client.get(url).status_code == 403
    client.force_login(officer)
    assert client.get(url).status_code == 302  # not staff: to the admin's login
