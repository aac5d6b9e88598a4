import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from core.errors import ServiceError
from departments import services
from departments.access import GlobalRole, access_for
from departments.models import Department, Membership
from tests.factories import DepartmentFactory, UserFactory
from tests.history import assert_one_new_history_row

pytestmark = pytest.mark.django_db


def test_department_create_writes_history(secretariat):
    department = services.department_create(
        actor=secretariat, name="  Ældreområdet ", short_name="ÆO", kind="center"
    )
    assert department.name == "Ældreområdet"
    assert_one_new_history_row(department, before=0, user=secretariat, kind="+")


def test_short_name_must_be_unique_ignoring_case(secretariat):
    DepartmentFactory(short_name="ÆO")
    with pytest.raises(ServiceError) as exc:
        services.department_create(actor=secretariat, name="Andet", short_name="æo")
    assert exc.value.message_template == services.MSG_SHORT_NAME_TAKEN
    assert Department.objects.count() == 1


def test_department_update_refuses_cycle(secretariat):
    top = DepartmentFactory()
    child = DepartmentFactory(parent=top)
    with pytest.raises(ServiceError) as exc:
        services.department_update(
            department=top,
            actor=secretariat,
            name=top.name,
            short_name=top.short_name,
            kind=top.kind,
            parent=child,
            active=True,
        )
    assert exc.value.message_template == services.MSG_PARENT_CYCLE
    top.refresh_from_db()
    assert top.parent is None


def test_department_update_history(secretariat):
    department = DepartmentFactory()
    before = department.history.count()
    services.department_update(
        department=department,
        actor=secretariat,
        name="Nyt navn",
        short_name="NN",
        kind="center",
        parent=None,
        active=False,
    )
    row = assert_one_new_history_row(department, before=before, user=secretariat)
    assert row.name == "Nyt navn" and row.active is False


def test_membership_set_creates_changes_and_is_idempotent(secretariat, department):
    user = UserFactory()
    m = services.membership_set(
        user=user, department=department, role="case_officer", actor=secretariat
    )
    assert_one_new_history_row(m, before=0, user=secretariat, kind="+")
    assert department.pk in access_for(user).member_of
    services.membership_set(user=user, department=department, role="manager", actor=secretariat)
    assert_one_new_history_row(m, before=1, user=secretariat)
    services.membership_set(user=user, department=department, role="manager", actor=secretariat)
    assert m.history.count() == 2
    assert department.pk in access_for(user).manager_of


def test_membership_unknown_role(secretariat, department):
    with pytest.raises(ServiceError):
        services.membership_set(
            user=UserFactory(), department=department, role="boss", actor=secretariat
        )
    assert not Membership.objects.exists()


def test_membership_remove_leaves_deletion_row(secretariat, department):
    user = UserFactory()
    m = services.membership_set(
        user=user, department=department, role="case_officer", actor=secretariat
    )
    services.membership_remove(membership=m, actor=secretariat)
    assert not Membership.objects.exists()
    row = Membership.history.first()
    assert row.history_type == "-" and row.history_user == secretariat
    assert access_for(user).member_of == frozenset()


def test_global_roles(secretariat):
    user = UserFactory()
    services.user_set_global_roles(user=user, roles={"council_member"}, actor=secretariat)
    assert access_for(user).is_council
    services.user_set_global_roles(user=user, roles=set(), actor=secretariat)
    assert not access_for(user).is_council
    with pytest.raises(ServiceError):
        services.user_set_global_roles(user=user, roles={"king"}, actor=secretariat)


def test_global_roles_change_is_one_history_row_with_the_actor(secretariat):
    user = UserFactory()
    before = user.history.count()
    services.user_set_global_roles(
        user=user, roles={"council_member", "ombudsman_office"}, actor=secretariat
    )
    row = assert_one_new_history_row(user, before=before, user=secretariat)
    assert {g.group.name for g in row.groups.all()} == {"council_member", "ombudsman_office"}
    services.user_set_global_roles(user=user, roles={"ombudsman_office"}, actor=secretariat)
    row = assert_one_new_history_row(user, before=before + 1, user=secretariat)
    assert [g.group.name for g in row.groups.all()] == ["ombudsman_office"]
    assert row.diff_against(row.prev_record).changed_fields == ["groups"]
    # Nothing changes: nothing recorded.
    services.user_set_global_roles(user=user, roles={"ombudsman_office"}, actor=secretariat)
    assert user.history.count() == before + 2


def test_user_set_active_is_recorded_with_the_actor(secretariat):
    user = UserFactory()
    before = user.history.count()
    services.user_set_active(user=user, active=False, actor=secretariat)
    row = assert_one_new_history_row(user, before=before, user=secretariat)
    assert row.is_active is False
    assert row.diff_against(row.prev_record).changed_fields == ["is_active"]
    services.user_set_active(user=user, active=False, actor=secretariat)
    assert user.history.count() == before + 1
    services.user_set_active(user=user, active=True, actor=secretariat)
    assert user.history.first().is_active is True


def test_global_roles_sync_gives_permissions():
    services.global_roles_sync()
    secretariat = Group.objects.get(name=GlobalRole.SECRETARIAT)
    council = Group.objects.get(name=GlobalRole.COUNCIL)
    assert secretariat.permissions.filter(codename="change_followup").exists()
    assert council.permissions.filter(codename="view_recommendation").exists()
    assert not council.permissions.exclude(codename__startswith="view_").exists()


def test_database_refuses_own_parent_and_duplicate_short_name():
    department = DepartmentFactory(short_name="X")
    with pytest.raises(IntegrityError), transaction.atomic():
        Department.objects.filter(pk=department.pk).update(parent=department.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        DepartmentFactory(short_name="X")


def test_global_roles_sync_logs_what_each_role_gained_and_lost(caplog, secretariat):
    caplog.set_level("INFO", logger="opfoelgning.security")
    changes = services.global_roles_sync(actor=secretariat)
    assert "followups.change_followup" in changes[GlobalRole.SECRETARIAT][0]
    assert any(
        f"role {GlobalRole.SECRETARIAT} changed by {secretariat.pk}" in r.getMessage()
        for r in caplog.records
    )
    council = Group.objects.get(name=GlobalRole.COUNCIL)
    council.permissions.add(*Group.objects.get(name=GlobalRole.SECRETARIAT).permissions.all())
    caplog.clear()
    changes = services.global_roles_sync()
    assert set(changes) == {GlobalRole.COUNCIL}
    assert "followups.change_followup" in changes[GlobalRole.COUNCIL][1]
    assert "changed by system" in caplog.records[0].getMessage()
    assert services.global_roles_sync() == {}
