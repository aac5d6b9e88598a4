"""From the provider's group ids to the product's roles (OIDC_GROUP_MAP).

The map is JSON: each group id (Entra ID: the group's object id; AD FS: whatever the claim
rule sends, e.g. the group's SID or name) to one grant or a list of grants:

    {
      "0b6f...-secretariat-group": {"global_role": "secretariat"},
      "5c1e...-ssf-managers":      {"department": "SSF", "role": "manager"},
      "9a2d...-ssf-staff":         [{"department": "SSF", "role": "case_officer"},
                                    {"department": "SSF-AELDRE", "role": "case_officer"}]
    }

A global role is one of departments.access.GlobalRole; a department is named by its short
name (unique, and not changed when a unit is renamed) with a membership role of
Membership.Role. A person in several groups gets every grant; two grants for one
department give the stronger role (manager).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from departments.access import GlobalRole
from departments.models import Membership


class GroupMapError(ValueError):
    """OIDC_GROUP_MAP is not valid; the message says where."""


@dataclass(frozen=True)
class Grants:
    """What a person's groups give: global roles and department short name → role."""

    global_roles: frozenset[str] = frozenset()
    memberships: Mapping[str, str] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return bool(self.global_roles or self.memberships)


GroupMap = dict[str, tuple[dict[str, str], ...]]


def parse_group_map(raw: str | Mapping | None) -> GroupMap:
    """The map from its JSON text (or already parsed), checked grant by grant."""
    if not raw:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise GroupMapError(f"not JSON: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise GroupMapError("must be a JSON object of group id → grant(s)")
    result: GroupMap = {}
    for group, value in raw.items():
        grants = value if isinstance(value, list) else [value]
        checked = []
        for grant in grants:
            checked.append(_check_grant(str(group), grant))
        result[str(group)] = tuple(checked)
    return result


def _check_grant(group: str, grant: object) -> dict[str, str]:
    if not isinstance(grant, Mapping):
        raise GroupMapError(f"group {group!r}: a grant must be an object")
    keys = set(grant)
    if keys == {"global_role"}:
        if grant["global_role"] not in GlobalRole.values:
            raise GroupMapError(
                f"group {group!r}: unknown global_role {grant['global_role']!r} "
                f"(one of {', '.join(GlobalRole.values)})"
            )
        return {"global_role": grant["global_role"]}
    if keys == {"department", "role"}:
        if grant["role"] not in Membership.Role.values:
            raise GroupMapError(
                f"group {group!r}: unknown role {grant['role']!r} "
                f"(one of {', '.join(Membership.Role.values)})"
            )
        if not isinstance(grant["department"], str) or not grant["department"].strip():
            raise GroupMapError(f"group {group!r}: department must be a short name")
        return {"department": grant["department"].strip(), "role": grant["role"]}
    raise GroupMapError(
        f"group {group!r}: a grant is {{'global_role': …}} or {{'department': …, 'role': …}}"
    )


def configured_group_map() -> GroupMap:
    """OIDC_GROUP_MAP_FILE (a JSON file) if set, else the OIDC_GROUP_MAP JSON text."""
    path = settings.OIDC_GROUP_MAP_FILE
    raw = Path(path).read_text(encoding="utf-8") if path else settings.OIDC_GROUP_MAP
    return parse_group_map(raw)


def grants_for(groups: Iterable[str], group_map: GroupMap) -> Grants:
    roles: set[str] = set()
    memberships: dict[str, str] = {}
    for group in groups:
        for grant in group_map.get(str(group), ()):
            if "global_role" in grant:
                roles.add(grant["global_role"])
            elif memberships.get(grant["department"]) != Membership.Role.MANAGER:
                memberships[grant["department"]] = grant["role"]
    return Grants(frozenset(roles), memberships)
