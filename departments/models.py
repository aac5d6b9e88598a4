"""The administration as a tree of units, and who belongs where with which role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class DepartmentQuerySet(models.QuerySet["Department"]):
    def active(self) -> DepartmentQuerySet:
        return self.filter(active=True)

    def top_level(self) -> DepartmentQuerySet:
        return self.filter(parent__isnull=True)

    def visible_to(self, user) -> DepartmentQuerySet:
        """The departments `user` may see (the rule lives in departments.access)."""
        from departments.access import access_for

        ids = access_for(user).visible_department_ids()
        return self if ids is None else self.filter(pk__in=ids)

    def with_descendants(self, ids: set[int] | list[int]) -> DepartmentQuerySet:
        """The given departments and every unit below them."""
        return self.filter(pk__in=descendant_ids(set(ids)))


def children_map(pairs) -> dict[int | None, list[int]]:
    """The tree as parent id → child ids, from (id, parent id) pairs."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in pairs:
        children.setdefault(parent_id, []).append(pk)
    return children


def department_children() -> dict[int | None, list[int]]:
    """The tree as parent id → child ids (one query)."""
    return children_map(Department.objects.values_list("pk", "parent_id"))


def descendant_ids(
    ids: set[int], children: Mapping[int | None, Sequence[int]] | None = None
) -> set[int]:
    """Ids of the given departments and all their sub-departments (one query, none when
    the tree from department_children() is given)."""
    if not ids:
        return set()
    if children is None:
        children = department_children()
    result: set[int] = set()
    stack = list(ids)
    while stack:
        pk = stack.pop()
        if pk in result:
            continue
        result.add(pk)
        stack.extend(children.get(pk, []))
    return result


class Department(models.Model):
    class Kind(models.TextChoices):
        ADMINISTRATION = "forvaltning", _("Administration (forvaltning)")
        CENTRE = "center", _("Centre")
        UNIT = "afdeling", _("Unit (afdeling)")
        TEAM = "team", _("Team")

    name = models.CharField(
        _("name"), max_length=200, help_text=_("The unit's full name, e.g. 'Ældreområdet'.")
    )
    short_name = models.CharField(
        _("short name"),
        max_length=30,
        unique=True,
        help_text=_("Abbreviation used in tables and imports, e.g. 'ÆO'."),
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=Kind.choices,
        default=Kind.ADMINISTRATION,
        help_text=_("Level of the unit in the organisation."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text=_("The unit this one belongs to; empty for a top-level administration."),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive units keep their history but get no new tasks."),
    )
    history = HistoricalRecords()

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="department_unique_name_per_parent"
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="department_not_own_parent"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="department_name_not_empty"),
            models.CheckConstraint(
                condition=~Q(short_name=""), name="department_short_name_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:departments_department_change", args=[self.pk])

    def ancestors(self) -> list[Department]:
        """Parents from the top level down (one query per level; trees are shallow)."""
        chain: list[Department] = []
        node = self.parent
        while node is not None:
            chain.insert(0, node)
            node = node.parent
        return chain


class MembershipQuerySet(models.QuerySet["Membership"]):
    def for_user(self, user) -> MembershipQuerySet:
        return self.filter(user=user)

    def managers(self) -> MembershipQuerySet:
        return self.filter(role=Membership.Role.MANAGER)


class Membership(models.Model):
    class Role(models.TextChoices):
        CASE_OFFICER = "case_officer", _("Case officer")
        MANAGER = "manager", _("Manager")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="memberships",
        help_text=_("The person who works in the department."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="memberships",
        help_text=_("Membership covers this department and every unit below it."),
    )
    role = models.CharField(
        _("role"),
        max_length=20,
        choices=Role.choices,
        default=Role.CASE_OFFICER,
        help_text=_("Case officers write follow-ups; managers also approve them."),
    )
    history = HistoricalRecords()

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["department__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "department"], name="membership_unique_user_department"
            ),
            models.CheckConstraint(
                condition=Q(role__in=["case_officer", "manager"]), name="membership_valid_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.department} ({self.get_role_display()})"
