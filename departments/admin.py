from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group, Permission
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import get_history_model_for_model

from core.admin import ServiceAdmin
from departments.access import forget_access
from departments.models import Department, Membership
from departments.services import (
    department_create,
    department_update,
    membership_set,
    user_history_record,
    user_snapshot,
)


@admin.register(Department)
class DepartmentAdmin(ServiceAdmin):
    list_display = ["name", "short_name", "kind", "parent", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "short_name"]
    fields = ["name", "short_name", "kind", "parent", "active"]

    def create(self, request, form):
        return department_create(actor=request.user, **form.cleaned_data)

    def update(self, request, obj, form):
        return department_update(department=obj, actor=request.user, **form.cleaned_data)


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    list_display = ["user", "department", "role"]
    list_filter = ["role", "department"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "department__name"]
    autocomplete_fields = ["department"]
    fields = ["user", "department", "role"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "department"] if obj else []

    def create(self, request, form):
        return membership_set(actor=request.user, **form.cleaned_data)

    def update(self, request, obj, form):
        return membership_set(
            actor=request.user,
            user=obj.user,
            department=obj.department,
            role=form.cleaned_data["role"],
        )


# --- who may do what: users' roles and flags, and their history ------------------------------

User = get_user_model()
UserHistory = get_history_model_for_model(User)
MembershipHistory = get_history_model_for_model(Membership)

# django-simple-history names these "historical users" in English whatever the language; the
# admin lists them as what they are to the secretariat. (Display only: migrations read the
# models' declared options, which stay as they are.)
UserHistory._meta.verbose_name = _("change of a user")
UserHistory._meta.verbose_name_plural = _("changes of users' roles and access")
MembershipHistory._meta.verbose_name = _("change of a membership")
MembershipHistory._meta.verbose_name_plural = _("changes of memberships")


class AuditedPasswordChangeForm(AdminPasswordChangeForm):
    """A password set in the admin is a row in the users' history (the hash is not kept)."""

    def save(self, commit=True):
        self.user._change_reason = str(_("Password changed"))
        return super().save(commit=commit)


admin.site.unregister(User)


@admin.register(User)
class AuditedUserAdmin(SimpleHistoryAdmin, UserAdmin):
    """Django's user admin, with one row in the users' history per save that changes
    anything (its fields, then its groups and permissions), with the admin user."""

    change_password_form = AuditedPasswordChangeForm

    def save_model(self, request, obj, form, change):
        obj._audit_before = user_snapshot(obj) if change else None
        # Recorded once in save_related, after the groups and permissions are saved too.
        obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        if hasattr(user, "skip_history_when_saving"):
            del user.skip_history_when_saving
        if change and user._audit_before == user_snapshot(user):
            return
        user_history_record(user=user, actor=request.user, created=not change)
        forget_access(user)


class ChangeLogAdmin(admin.ModelAdmin):
    """A read-only log of history rows: who changed what, when."""

    list_per_page = 50
    date_hierarchy = "history_date"
    list_filter = ["history_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("changed by"), ordering="history_user__username")
    def changed_by(self, record):
        return record.history_user or _("system")

    @admin.display(description=_("what"))
    def what(self, record):
        previous = record.prev_record
        if previous is None or record.history_type != "~":
            return self.describe(record)
        delta = record.diff_against(previous)
        return "; ".join(
            f"{self.label(change.field)}: {self.shown(change.field, change.old)} → "
            f"{self.shown(change.field, change.new)}"
            for change in delta.changes
        ) or str(record.history_change_reason or "–")

    def label(self, name: str) -> str:
        return str(capfirst(self.model.instance_type._meta.get_field(name).verbose_name))

    def shown(self, name: str, value) -> str:
        return "–" if value in ("", None) else str(value)

    def describe(self, record) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


@admin.register(UserHistory)
class UserChangeLogAdmin(ChangeLogAdmin):
    """Changes of users' global roles (groups), permissions and active, staff and superuser
    flags: the audit of who may do what, for the secretariat."""

    list_display = ["history_date", "username", "changed_by", "history_type", "what"]
    list_select_related = ["history_user"]
    search_fields = ["username", "first_name", "last_name"]
    FLAGS = ("is_active", "is_staff", "is_superuser")

    def describe(self, record) -> str:
        flags = [
            f"{self.label(name)}: {self.shown(name, getattr(record, name))}" for name in self.FLAGS
        ]
        groups = [{"group": row.group_id} for row in record.groups.all()]
        return "; ".join([*flags, f"{self.label('groups')}: {self.shown('groups', groups)}"])

    def shown(self, name: str, value) -> str:
        if name == "groups":
            names = Group.objects.in_bulk([row["group"] for row in value])
            return ", ".join(sorted(str(g) for g in names.values())) or "–"
        if name == "user_permissions":
            perms = Permission.objects.in_bulk([row["permission"] for row in value])
            return ", ".join(sorted(p.codename for p in perms.values())) or "–"
        if isinstance(value, bool):
            return str(_("yes") if value else _("no"))
        return super().shown(name, value)


@admin.register(MembershipHistory)
class MembershipChangeLogAdmin(ChangeLogAdmin):
    """Memberships given, changed (role) and removed: with the users' log, the audit of who
    may do what in which department."""

    list_display = ["history_date", "user", "department", "changed_by", "history_type", "what"]
    list_select_related = ["history_user", "user", "department"]
    search_fields = ["user__username", "department__name"]

    def describe(self, record) -> str:
        return f"{self.label('role')}: {record.get_role_display()}"

    def shown(self, name: str, value) -> str:
        if name == "role":
            return str(dict(Membership.Role.choices).get(value, value))
        return super().shown(name, value)
