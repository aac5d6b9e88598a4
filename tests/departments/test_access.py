import pytest

from departments.access import access_for, forget_access
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_membership_covers_sub_departments():
    top = DepartmentFactory()
    child = DepartmentFactory(parent=top)
    grandchild = DepartmentFactory(parent=child)
    sibling = DepartmentFactory()
    user = MembershipFactory(department=top).user
    access = access_for(user)
    assert access.member_of == {top.pk, child.pk, grandchild.pk}
    assert not access.can_edit_department(sibling.pk)
    assert access.visible_department_ids() == {top.pk, child.pk, grandchild.pk}


def test_manager_rights_only_where_manager():
    a, b = DepartmentFactory(), DepartmentFactory()
    user = MembershipFactory(department=a, role="manager").user
    MembershipFactory(user=user, department=b, role="case_officer")
    forget_access(user)
    access = access_for(user)
    assert access.can_approve_department(a.pk)
    assert not access.can_approve_department(b.pk)
    assert access.can_edit_department(b.pk)


@pytest.mark.parametrize(
    ("roles", "sees_all", "read_only", "secretariat"),
    [
        (["secretariat"], True, False, True),
        (["ombudsman_office"], True, False, False),
        (["council_member"], True, True, False),
        ([], False, True, False),
    ],
)
def test_global_roles(roles, sees_all, read_only, secretariat):
    user = UserFactory(roles=roles)
    access = access_for(user)
    assert access.sees_everything is sees_all
    assert access.is_read_only is read_only
    assert access.is_secretariat is secretariat


def test_inactive_department_grants_nothing():
    department = DepartmentFactory(active=False)
    user = MembershipFactory(department=department).user
    assert access_for(user).member_of == frozenset()


def test_access_is_cached_per_user_object(django_assert_num_queries):
    user = MembershipFactory().user
    access_for(user)
    with django_assert_num_queries(0):
        access_for(user)
