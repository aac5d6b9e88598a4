"""The one place that answers: which departments may this user see, edit or approve for.

Every higher app's QuerySets (`.visible_to(user)`, `.editable_by(user)`) call these
functions, so lists, filters, exports, PDFs and history pages share one rule. The departments
themselves are asked for through `visible_departments(user)`: this module imports the models,
never the other way round.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from departments.models import (
    Department,
    DepartmentQuerySet,
    Membership,
    department_children,
    descendant_ids,
)


class GlobalRole(models.TextChoices):
    """Organisation-wide roles, stored as auth groups of the same name."""

    SECRETARIAT = "secretariat", _("Secretariat")
    OMBUDSMAN = "ombudsman_office", _("Ombudsman's office")
    COUNCIL = "council_member", _("Council member")


@dataclass(frozen=True)
class Access:
    """What one user may do, computed once per request."""

    roles: frozenset[str]
    superuser: bool
    # Memberships widened to the sub-departments they cover.
    member_of: frozenset[int]
    manager_of: frozenset[int]

    @property
    def sees_everything(self) -> bool:
        return self.superuser or bool(self.roles)

    @property
    def is_secretariat(self) -> bool:
        return self.superuser or GlobalRole.SECRETARIAT in self.roles

    @property
    def is_ombudsman(self) -> bool:
        return self.superuser or GlobalRole.OMBUDSMAN in self.roles

    @property
    def is_council(self) -> bool:
        return GlobalRole.COUNCIL in self.roles

    @property
    def is_read_only(self) -> bool:
        """Council members (and users with no role at all) only read."""
        return not (self.is_secretariat or self.is_ombudsman or self.member_of)

    @property
    def sees_dashboard(self) -> bool:
        """The dashboard is for managers, the secretariat and the ombudsman's office."""
        return self.is_secretariat or self.is_ombudsman or bool(self.manager_of)

    def dashboard_department_ids(self) -> frozenset[int] | None:
        """Departments whose figures the dashboard shows: None means every department
        (secretariat, ombudsman's office), else, for a manager, every department they see
        (the managed ones and any they are a case officer in), so that each figure counts
        what the list it links to shows. Raises PermissionDenied for users without one."""
        if self.is_secretariat or self.is_ombudsman:
            return None
        if self.manager_of:
            return self.member_of
        raise PermissionDenied

    def visible_department_ids(self) -> frozenset[int] | None:
        """None means every department."""
        return None if self.sees_everything else self.member_of

    @property
    def audience(self) -> str:
        """Everything this user may see, in one word: users with the same audience see the
        same rows everywhere (the rules below read only `is_read_only` and
        `visible_department_ids`), so one report rendered for one of them may be given to
        the others, and never to a user of another audience.

        "all": the secretariat, the ombudsman's office, superusers, the system reader;
        "published": council members; otherwise the departments seen, as a digest."""
        rounds = "published" if self.is_read_only else "all"
        ids = self.visible_department_ids()
        if ids is None:
            return rounds
        digest = hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()
        return f"{rounds}:{digest[:40]}"

    def can_see_department(self, department_id: int) -> bool:
        return self.sees_everything or department_id in self.member_of

    def can_edit_department(self, department_id: int | None) -> bool:
        return self.is_secretariat or department_id in self.member_of

    def can_approve_department(self, department_id: int | None) -> bool:
        return self.is_secretariat or department_id in self.manager_of


NO_ACCESS = Access(frozenset(), False, frozenset(), frozenset())
SYSTEM_ACCESS = Access(frozenset(), True, frozenset(), frozenset())
COUNCIL_ACCESS = Access(frozenset({GlobalRole.COUNCIL}), False, frozenset(), frozenset())
# The attribute of a user object that holds its Access for the rest of the request.
_CACHE_ATTR = "_opf_access"


def system_user():
    """An unsaved user that sees every department and round, for commands and background
    tasks that act for no one (never for writes: services need a real actor)."""
    from django.contrib.auth import get_user_model

    user = get_user_model()(username="system", is_active=True, is_superuser=True)
    setattr(user, _CACHE_ATTR, SYSTEM_ACCESS)
    return user


def council_reader():
    """An unsaved user that reads as every council member does (published rounds, every
    department), for background work done for all of them (the current reports)."""
    from django.contrib.auth import get_user_model

    user = get_user_model()(username="council-reader", is_active=True)
    setattr(user, _CACHE_ATTR, COUNCIL_ACCESS)
    return user


def access_for(user) -> Access:
    """The user's access, cached on the user object for the rest of the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    roles = frozenset(
        name for name in user.groups.values_list("name", flat=True) if name in GlobalRole.values
    )
    direct_member: set[int] = set()
    direct_manager: set[int] = set()
    for department_id, role in Membership.objects.filter(
        user=user, department__active=True
    ).values_list("department_id", "role"):
        direct_member.add(department_id)
        if role == Membership.Role.MANAGER:
            direct_manager.add(department_id)
    children = department_children() if direct_member else None  # one tree for both
    access = Access(
        roles=roles,
        superuser=user.is_superuser,
        member_of=frozenset(descendant_ids(direct_member, children)),
        manager_of=frozenset(descendant_ids(direct_manager, children)),
    )
    setattr(user, _CACHE_ATTR, access)
    return access


def visible_departments(user) -> DepartmentQuerySet:
    """The departments `user` may see."""
    ids = access_for(user).visible_department_ids()
    departments = Department.objects.all()
    return departments if ids is None else departments.filter(pk__in=ids)


def department_members(department_id: int | None):
    """The active users who are members of the department: a membership (in an active
    department) in it or in a unit above it, since a membership covers the units below it.
    The same people `access_for(user).can_edit_department(department_id)` admits by
    membership; a member of a unit below it only does not see its follow-ups."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    if department_id is None:
        return users.none()
    parents = dict(Department.objects.values_list("pk", "parent_id"))
    covering: set[int] = set()
    node: int | None = department_id
    while node is not None and node not in covering:
        covering.add(node)
        node = parents.get(node)
    return (
        users.filter(
            is_active=True,
            memberships__department_id__in=covering,
            memberships__department__active=True,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def forget_access(user) -> None:
    """Drop the cached access (after memberships or groups change)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


# Model permissions each role's group carries (used by the admin); "app.*" = every model
# permission of that app, "app.view" = the view permissions only.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    GlobalRole.SECRETARIAT: [
        "departments.*",
        "recommendations.*",
        "followups.*",
        "collaboration.*",
        "importing.*",
        "reports.*",
        "notifications.view",
    ],
    GlobalRole.OMBUDSMAN: [
        "recommendations.*",
        "departments.view",
        "followups.view",
        "reports.view",
    ],
    GlobalRole.COUNCIL: ["recommendations.view", "followups.view", "reports.view"],
}
