"""The administration as a tree of units, and who belongs where with which role."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history import register
from simple_history.models import HistoricalRecords


class DepartmentQuerySet(models.QuerySet["Department"]):
    def active(self) -> DepartmentQuerySet:
        return self.filter(active=True)

    def top_level(self) -> DepartmentQuerySet:
        return self.filter(parent__isnull=True)

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


# The choices of Department.kind and Membership.role (Department.Kind, Membership.Role), at
# module level so that the models' CHECK constraints can name their values.
class DepartmentKind(models.TextChoices):
    ADMINISTRATION = "forvaltning", _("Administration (forvaltning)")
    CENTRE = "center", _("Centre")
    UNIT = "afdeling", _("Unit (afdeling)")
    TEAM = "team", _("Team")


class MembershipRole(models.TextChoices):
    CASE_OFFICER = "case_officer", _("Case officer")
    MANAGER = "manager", _("Manager")


class Department(models.Model):
    Kind = DepartmentKind

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
            models.CheckConstraint(
                condition=Q(kind__in=DepartmentKind.values), name="department_valid_kind"
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
    Role = MembershipRole

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
                condition=Q(role__in=MembershipRole.values), name="membership_valid_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.department} ({self.get_role_display()})"


class UserHistoricalRecords(HistoricalRecords):
    """The history of users (django.contrib.auth's model): who changed a user's global roles
    (groups, permissions), staff and superuser flags or active flag, when, and to what.

    Not recorded: logins (Django saves `last_login` on each) and the password hash, which is
    not kept at all. A change of groups through the reverse side (group.user_set.add(user))
    is recorded on each user concerned."""

    UNRECORDED = ("password", "last_login")
    # The instance register() created, for services that record one row for several changes
    # of a user's groups (departments.services).
    registered: UserHistoricalRecords | None = None

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        type(self).registered = self

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not created and update_fields and set(update_fields) <= set(self.UNRECORDED):
            return
        super().post_save(instance, created, using=using, **kwargs)

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if not reverse:
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        # `instance` is the group; the users are the other side.
        model = kwargs["model"]
        if action == "pre_clear":
            instance._users_cleared = list(model.objects.filter(**{attr: instance}))
        elif action in ("post_add", "post_remove"):
            for user in model.objects.filter(pk__in=pk_set):
                super().m2m_changed(user, action, attr, pk_set, False, **kwargs)
        elif action == "post_clear":
            for user in getattr(instance, "_users_cleared", []):
                super().m2m_changed(user, action, attr, pk_set, False, **kwargs)
        return None


register(
    get_user_model(),
    app="departments",
    records_class=UserHistoricalRecords,
    m2m_fields=["groups", "user_permissions"],
    excluded_fields=list(UserHistoricalRecords.UNRECORDED),
)
