"""user_sign_on: users found by (issuer, sub) only; roles and memberships from the groups,
written through the organisation's services with history."""

import json

import pytest
from django.contrib.auth import get_user_model

from accounts.models import ExternalIdentity
from accounts.services import (
    MSG_IDENTITY_TAKEN,
    external_identity_link,
    user_sign_on,
)
from core.errors import ServiceError
from departments.access import access_for
from departments.models import Membership
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory

ISSUER = "https://login.microsoftonline.com/tenant-id/v2.0"
GROUP_MAP = {
    "g-sek": {"global_role": "secretariat"},
    "g-ssf": {"department": "SSF", "role": "case_officer"},
    "g-ssf-leder": {"department": "ssf", "role": "manager"},
    "g-buf": {"department": "BUF", "role": "case_officer"},
    "g-gone": {"department": "NOPE", "role": "case_officer"},
}


@pytest.fixture(autouse=True)
def group_map(settings):
    settings.OIDC_GROUP_MAP = json.dumps(GROUP_MAP)


@pytest.fixture
def ssf(db):
    return DepartmentFactory(short_name="SSF")


@pytest.fixture
def buf(db):
    return DepartmentFactory(short_name="BUF")


def claims(sub="sub-anne", **extra):
    return {
        "sub": sub,
        "preferred_username": "anne@eksempelby.dk",
        "given_name": "Anne",
        "family_name": "Holm",
        "email": "anne@eksempelby.dk",
        **extra,
    }


def test_first_sign_on_creates_the_user_with_the_mapped_roles(ssf):
    result = user_sign_on(issuer=ISSUER, claims=claims(), groups=["g-ssf", "g-sek"])
    user = result.user
    assert result.created and result.has_access
    assert (user.username, user.first_name, user.last_name, user.email) == (
        "anne@eksempelby.dk",
        "Anne",
        "Holm",
        "anne@eksempelby.dk",
    )
    assert not user.has_usable_password()
    assert ExternalIdentity.objects.get(user=user).subject == "sub-anne"
    assert set(user.groups.values_list("name", flat=True)) == {"secretariat"}
    membership = Membership.objects.get(user=user)
    assert (membership.department, membership.role) == (ssf, "case_officer")
    # Every row written names the user whose sign-on caused it.
    assert membership.history.get().history_user == user
    assert user.history.first().history_user == user
    assert ExternalIdentity.history.get().history_user == user


def test_a_user_is_never_found_by_e_mail_or_username(ssf):
    local = UserFactory(username="anne@eksempelby.dk", email="anne@eksempelby.dk")
    result = user_sign_on(issuer=ISSUER, claims=claims(), groups=["g-ssf"])
    assert result.user != local
    assert result.user.username == "anne@eksempelby.dk-2"
    # The same e-mail at another subject is another person, too.
    other = user_sign_on(issuer=ISSUER, claims=claims(sub="sub-other"), groups=["g-ssf"])
    assert other.user not in (local, result.user)


def test_the_same_subject_at_another_issuer_is_another_person(ssf):
    first = user_sign_on(issuer=ISSUER, claims=claims(), groups=["g-ssf"])
    second = user_sign_on(issuer="https://adfs.example/adfs", claims=claims(), groups=["g-ssf"])
    assert first.user != second.user


def test_the_next_sign_on_updates_name_and_moves_the_memberships(ssf, buf):
    user = user_sign_on(issuer=ISSUER, claims=claims(), groups=["g-ssf", "g-sek"]).user
    result = user_sign_on(
        issuer=ISSUER, claims=claims(family_name="Holm-Berg"), groups=["g-buf", "g-ssf-leder"]
    )
    assert result.user == user and not result.created
    user.refresh_from_db()
    assert user.last_name == "Holm-Berg"
    assert dict(Membership.objects.filter(user=user).values_list("department", "role")) == {
        ssf.pk: "manager",
        buf.pk: "case_officer",
    }
    assert not user.groups.exists()
    assert access_for(get_user_model().objects.get(pk=user.pk)).manager_of >= {ssf.pk}


def test_no_mapped_group_takes_all_access_away_but_keeps_the_user(ssf):
    user = user_sign_on(issuer=ISSUER, claims=claims(), groups=["g-ssf", "g-sek"]).user
    result = user_sign_on(issuer=ISSUER, claims=claims(), groups=["someone-elses-group"])
    assert not result.has_access
    assert not Membership.objects.filter(user=user).exists()
    assert not user.groups.exists()
    user.refresh_from_db()
    assert user.is_active
    removal = Membership.history.get(history_type="-")
    assert removal.history_user == user
    # The loss of the global role is in the user's history, caused by the user's sign-on.
    latest = user.history.first()
    assert latest.history_user == user
    assert not latest.groups.exists()


def test_memberships_given_by_hand_give_way_to_the_groups(ssf, buf):
    user = user_sign_on(issuer=ISSUER, claims=claims(), groups=["g-ssf"]).user
    MembershipFactory(user=user, department=buf, role="manager")
    user_sign_on(issuer=ISSUER, claims=claims(), groups=["g-ssf"])
    assert list(Membership.objects.filter(user=user).values_list("department", flat=True)) == [
        ssf.pk
    ]


def test_a_department_the_map_names_but_we_lack_is_skipped_and_logged(ssf, caplog):
    result = user_sign_on(issuer=ISSUER, claims=claims(), groups=["g-gone"])
    assert not result.has_access
    assert "oidc_group_map_unknown_department short_name='NOPE'" in caplog.text


def test_an_unchanged_sign_on_writes_no_history(ssf):
    user = user_sign_on(issuer=ISSUER, claims=claims(), groups=["g-ssf", "g-sek"]).user
    counts = (user.history.count(), Membership.history.count())
    user_sign_on(issuer=ISSUER, claims=claims(), groups=["g-ssf", "g-sek"])
    assert (user.history.count(), Membership.history.count()) == counts


def test_a_deactivated_user_gets_nothing(ssf):
    user = user_sign_on(issuer=ISSUER, claims=claims(), groups=["g-ssf"]).user
    user.is_active = False
    user.save()
    result = user_sign_on(issuer=ISSUER, claims=claims(), groups=["g-ssf", "g-sek"])
    assert not result.has_access
    assert not user.groups.exists()


def test_an_existing_password_user_can_be_linked_before_the_first_sign_on(ssf, secretariat):
    local = UserFactory(username="aho")
    external_identity_link(user=local, issuer=ISSUER, subject="sub-anne", actor=secretariat)
    assert user_sign_on(issuer=ISSUER, claims=claims(), groups=["g-ssf"]).user == local
    with pytest.raises(ServiceError) as refused:
        external_identity_link(
            user=UserFactory(), issuer=ISSUER, subject="sub-anne", actor=secretariat
        )
    assert refused.value.message == str(MSG_IDENTITY_TAKEN)
