"""Writes of sign-on: the user, their provider identity, and the roles their groups give.

Every change goes through the organisation's own services (membership_set,
membership_remove, user_set_global_roles), so it leaves the same history rows as a change
made by hand, attributed to the user whose sign-on caused it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.mapping import Grants, configured_group_map, grants_for
from accounts.models import ExternalIdentity
from core.errors import ServiceError
from core.history import save_tracked
from departments.models import Department, Membership
from departments.services import membership_remove, membership_set, user_set_global_roles

security_log = logging.getLogger("opfoelgning.security")

MSG_IDENTITY_TAKEN = _("This identity at the provider already signs in to another user.")
MSG_USER_HAS_IDENTITY = _("This user is already linked to an identity at the provider.")

_NOT_IN_USERNAME = re.compile(r"[^\w.@+-]")


@dataclass(frozen=True)
class SignOn:
    """The outcome of one sign-on: the user and what their groups gave them now."""

    user: User
    created: bool
    grants: Grants

    @property
    def has_access(self) -> bool:
        return self.user.is_active and self.grants.any


def _free_username(claims: Mapping[str, Any]) -> str:
    """A readable username (the person's login at the provider), never an existing one:
    sign-on never takes over an account by its name."""
    base = (
        claims.get("preferred_username")
        or claims.get("upn")
        or claims.get("email")
        or f"sso-{claims['sub']}"
    )
    base = _NOT_IN_USERNAME.sub("", str(base))[:140] or "sso"
    users = get_user_model().objects.filter(username__startswith=base)
    taken = set(users.values_list("username", flat=True))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _profile(claims: Mapping[str, Any]) -> dict[str, str]:
    """Name and e-mail from the standard claims (OpenID Connect Core 5.1)."""
    first = str(claims.get("given_name") or "")
    last = str(claims.get("family_name") or "")
    if not (first or last) and claims.get("name"):
        first, _sep, last = str(claims["name"]).rpartition(" ")
        if not first:
            first, last = last, ""
    email = str(claims.get("email") or "")
    try:
        validate_email(email)
    except ValidationError:
        email = ""
    return {"first_name": first[:150], "last_name": last[:150], "email": email[:254]}


def _sync_memberships(user: User, grants: Grants) -> dict[str, str]:
    """Make the user's memberships exactly those the grants name; returns the ones given
    (department short name → role), without departments the map names but we lack."""
    by_short_name = {d.short_name.casefold(): d for d in Department.objects.all()}
    wanted: dict[int, tuple[Department, str]] = {}
    given: dict[str, str] = {}
    for short_name, role in grants.memberships.items():
        department = by_short_name.get(short_name.casefold())
        if department is None:
            security_log.warning(
                "oidc_group_map_unknown_department short_name=%r user=%r",
                short_name,
                user.username,
            )
            continue
        wanted[department.pk] = (department, role)
        given[department.short_name] = role
    current = Membership.objects.filter(user=user).select_related("department")
    for membership in current:
        if membership.department_id not in wanted:
            membership_remove(membership=membership, actor=user)
    for department, role in wanted.values():
        membership_set(user=user, department=department, role=role, actor=user)
    return given


@transaction.atomic
def user_sign_on(*, issuer: str, claims: Mapping[str, Any], groups: Iterable[str]) -> SignOn:
    """Find or create the user of a verified ID token and give them exactly the roles and
    memberships their groups map to (none: they keep their account but lose all access).

    The user is found by (issuer, sub) only. A new user gets no usable password."""
    subject = str(claims["sub"])
    identity = (
        ExternalIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    profile = _profile(claims)
    created = identity is None
    if identity is None:
        user = get_user_model()(username=_free_username(claims), is_active=True, **profile)
        user.set_unusable_password()
        # The history row of the new user names the user: their first sign-on created it
        # (written after the insert, when the user has its id).
        save_tracked(user, actor=user)
        save_tracked(ExternalIdentity(user=user, issuer=issuer, subject=subject), actor=user)
    else:
        user = identity.user
        changed = [name for name, value in profile.items() if getattr(user, name) != value]
        if changed:
            for name in changed:
                setattr(user, name, profile[name])
            save_tracked(user, actor=user, update_fields=changed)
    if not user.is_active:
        return SignOn(user=user, created=created, grants=Grants())
    grants = grants_for(groups, configured_group_map())
    given = _sync_memberships(user, grants)
    # Writes (one history row) only when the roles change.
    user_set_global_roles(user=user, roles=set(grants.global_roles), actor=user)
    return SignOn(user=user, created=created, grants=Grants(grants.global_roles, given))


@transaction.atomic
def external_identity_link(
    *, user: User, issuer: str, subject: str, actor: User
) -> ExternalIdentity:
    """Let an existing (password) user sign on as the given provider identity, keeping
    their history, instead of getting a new account at their first sign-on."""
    if ExternalIdentity.objects.filter(issuer=issuer, subject=subject).exists():
        raise ServiceError(MSG_IDENTITY_TAKEN)
    if ExternalIdentity.objects.filter(user=user).exists():
        raise ServiceError(MSG_USER_HAS_IDENTITY)
    identity = ExternalIdentity(user=user, issuer=issuer, subject=subject)
    save_tracked(identity, actor=actor)
    return identity
