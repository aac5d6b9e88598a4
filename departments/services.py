"""Writes to the organisation: departments, memberships, global roles and users' flags.

Every change of who may do what leaves a history row with the acting user: memberships in
their own history, users' groups, permissions and flags in the users' history
(departments.models.UserHistoricalRecords), one row per change."""

from __future__ import annotations

import logging

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.errors import ServiceError
from core.history import history_skipped, note_actor, save_tracked
from departments.access import GlobalRole, forget_access
from departments.models import Department, Membership, UserHistoricalRecords

audit_log = logging.getLogger("opfoelgning.security")

MSG_SHORT_NAME_TAKEN = _("The short name “%(short_name)s” is already used by another department.")
MSG_PARENT_CYCLE = _("A department cannot be placed under itself or one of its own units.")
MSG_UNKNOWN_ROLE = _("Unknown role “%(role)s”.")


def _check_short_name(short_name: str, *, exclude_pk: int | None = None) -> None:
    # Compared in Python: SQLite's case folding ignores Æ/Ø/Å, and the table is small.
    departments = Department.objects.all()
    if exclude_pk is not None:
        departments = departments.exclude(pk=exclude_pk)
    others = departments.values_list("short_name", flat=True)
    if any(other.casefold() == short_name.strip().casefold() for other in others):
        raise ServiceError(MSG_SHORT_NAME_TAKEN, short_name=short_name)


@transaction.atomic
def department_create(
    *,
    actor: User,
    name: str,
    short_name: str,
    kind: str = Department.Kind.ADMINISTRATION,
    parent: Department | None = None,
    active: bool = True,
) -> Department:
    _check_short_name(short_name)
    department = Department(
        name=name.strip(), short_name=short_name.strip(), kind=kind, parent=parent, active=active
    )
    save_tracked(department, actor=actor)
    return department


@transaction.atomic
def department_update(
    *,
    department: Department,
    actor: User,
    name: str,
    short_name: str,
    kind: str,
    parent: Department | None,
    active: bool,
) -> Department:
    department = Department.objects.select_for_update().get(pk=department.pk)
    _check_short_name(short_name, exclude_pk=department.pk)
    node = parent
    while node is not None:
        if node.pk == department.pk:
            raise ServiceError(MSG_PARENT_CYCLE)
        node = node.parent
    department.name = name.strip()
    department.short_name = short_name.strip()
    department.kind = kind
    department.parent = parent
    department.active = active
    save_tracked(department, actor=actor)
    return department


@transaction.atomic
def membership_set(*, user: User, department: Department, role: str, actor: User) -> Membership:
    """Give `user` a role in `department` (creating or changing the membership)."""
    if role not in Membership.Role.values:
        raise ServiceError(MSG_UNKNOWN_ROLE, role=role)
    membership = (
        Membership.objects.select_for_update().filter(user=user, department=department).first()
    )
    if membership is None:
        membership = Membership(user=user, department=department, role=role)
    elif membership.role == role:
        return membership
    membership.role = role
    save_tracked(membership, actor=actor)
    forget_access(user)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> None:
    note_actor(membership, actor=actor)
    user = membership.user
    membership.delete()
    forget_access(user)


def user_snapshot(user: User) -> tuple:
    """What the users' history records of a user, as it is in the database now: its flags
    and names, groups and permissions. Two equal snapshots: nothing to record."""
    fresh = type(user).objects.get(pk=user.pk)
    fields = tuple(
        (field.attname, getattr(fresh, field.attname))
        for field in type(user)._meta.concrete_fields
        if field.name not in UserHistoricalRecords.UNRECORDED
    )
    return (
        fields,
        tuple(sorted(fresh.groups.values_list("pk", flat=True))),
        tuple(sorted(fresh.user_permissions.values_list("pk", flat=True))),
    )


def user_history_record(
    *, user: User, actor: User | None, created: bool = False, reason: str = ""
) -> None:
    """One row in the users' history: the user as it is now, changed (or created) by `actor`.

    For writes that change a user in several steps (a save, then its groups, each of which
    django-simple-history would record on its own): they run inside
    `history_skipped(user)`, then record the result once. `actor` None: a command's change."""
    records = UserHistoricalRecords.registered
    if records is None:  # registered when departments.models is imported
        raise RuntimeError("The users' history is not registered.")
    note_actor(user, actor=actor, reason=reason)
    records.create_historical_record(user, "+" if created else "~")


@transaction.atomic
def user_set_global_roles(*, user: User, roles: set[str], actor: User | None) -> None:
    """Put the user in exactly the given organisation-wide role groups (one history row with
    `actor` when that changes anything)."""
    unknown = set(roles) - set(GlobalRole.values)
    if unknown:
        raise ServiceError(MSG_UNKNOWN_ROLE, role=", ".join(sorted(unknown)))
    groups = {g.name: g for g in Group.objects.filter(name__in=GlobalRole.values)}
    held = set(user.groups.filter(name__in=GlobalRole.values).values_list("name", flat=True))
    if held == set(roles):
        return
    with history_skipped(user):
        for value in GlobalRole.values:
            group = groups.get(value) or Group.objects.create(name=value)
            if value in roles and value not in held:
                user.groups.add(group)
            elif value not in roles and value in held:
                user.groups.remove(group)
    user_history_record(user=user, actor=actor)
    audit_log.info(
        "global roles of user %s set to %s by %s",
        user.pk,
        ",".join(sorted(roles)) or "-",
        getattr(actor, "pk", None) or "system",
    )
    forget_access(user)


@transaction.atomic
def user_set_active(*, user: User, active: bool, actor: User) -> User:
    """Let a user log in or not (a deactivated user is out at the next request); recorded in
    the users' history with `actor`."""
    user = type(user).objects.select_for_update().get(pk=user.pk)
    if user.is_active == active:
        return user
    user.is_active = active
    save_tracked(user, actor=actor, update_fields=["is_active"])
    audit_log.info(
        "user %s %s by %s",
        user.pk,
        "activated" if active else "deactivated",
        getattr(actor, "pk", None) or "system",
    )
    forget_access(user)
    return user


@transaction.atomic
def global_roles_sync(*, actor: User | None = None) -> dict[str, tuple[list[str], list[str]]]:
    """Create the role groups and give each exactly the permissions of ROLE_PERMISSIONS.

    What a role may do changes here (after an upgrade brings new models): each change is a
    line in the security log, with the acting user (None: the deployment's `sync_roles`).
    Returns role → (permissions added, permissions removed) for the roles that changed."""
    from django.contrib.auth.models import Permission

    from departments.access import ROLE_PERMISSIONS

    changes: dict[str, tuple[list[str], list[str]]] = {}
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        perms = Permission.objects.none()
        for pattern in patterns:
            app_label, what = pattern.split(".")
            app_perms = Permission.objects.filter(content_type__app_label=app_label)
            if what == "view":
                app_perms = app_perms.filter(codename__startswith="view_")
            perms = perms | app_perms
        before = set(group.permissions.values_list("content_type__app_label", "codename"))
        group.permissions.set(perms)
        after = set(group.permissions.values_list("content_type__app_label", "codename"))
        added = sorted(f"{app}.{code}" for app, code in after - before)
        removed = sorted(f"{app}.{code}" for app, code in before - after)
        if added or removed:
            changes[role] = (added, removed)
            audit_log.info(
                "permissions of role %s changed by %s: added %s; removed %s",
                role,
                getattr(actor, "pk", None) or "system",
                ",".join(added) or "-",
                ",".join(removed) or "-",
            )
    return changes
