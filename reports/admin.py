from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from reports.models import ReportEdition


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
