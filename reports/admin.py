from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin import run_action
from reports.models import (
    EditionRendering,
    LatestRendering,
    ReportEdition,
    ReportRefresh,
    ReportRendering,
)
from reports.services import edition_retry


@admin.register(ReportEdition)
class ReportEditionAdmin(SimpleHistoryAdmin):
    """Archived editions are frozen: the admin only shows them."""

    list_display = ["report", "round", "department", "number", "created_at", "created_by"]
    list_select_related = ["report", "round__report", "department", "created_by"]
    list_filter = ["report", "round"]
    readonly_fields = [f.name for f in ReportEdition._meta.fields] + ["snapshot"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.action(description=_("Try the edition again"))
def retry_editions(modeladmin, request, queryset):
    run_action(modeladmin, request, queryset, edition_retry)


@admin.register(EditionRendering)
class EditionRenderingAdmin(admin.ModelAdmin):
    """The secretariat sees each published round's edition: waiting, failed (why) or done."""

    list_display = ["round", "state", "attempts", "error", "updated_at", "edition"]
    list_select_related = ["round__report", "edition__report", "edition__round__report"]
    list_filter = ["state"]
    readonly_fields = [f.name for f in EditionRendering._meta.fields]
    actions = [retry_editions]
    action_object_kwarg = "rendering"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportRendering)
class ReportRenderingAdmin(admin.ModelAdmin):
    """Background renderings of report PDFs (operational data: view only)."""

    list_display = ["year", "state", "requested_by", "queued_at", "finished_at", "error"]
    list_select_related = ["requested_by"]
    list_filter = ["state"]
    readonly_fields = [f.name for f in ReportRendering._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReportRefresh)
class ReportRefreshAdmin(admin.ModelAdmin):
    """Each year's current reports: the latest change, when they are due, the last pass."""

    list_display = ["year", "changed_at", "due_at", "chain_token", "covered_at", "rendered_at"]
    readonly_fields = [f.name for f in ReportRefresh._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LatestRendering)
class LatestRenderingAdmin(admin.ModelAdmin):
    """The latest stored PDF of each report variant and audience (operational data)."""

    list_display = ["slot", "year", "round", "department", "audience", "data_at", "rendered_at"]
    list_select_related = ["round__report", "department"]
    list_filter = ["year", "audience"]
    readonly_fields = [f.name for f in LatestRendering._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
