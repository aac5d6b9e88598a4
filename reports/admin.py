from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core.admin import run_action
from reports.models import EditionRendering, ReportEdition, ReportRendering
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
