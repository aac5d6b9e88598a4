from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from importing.models import ImportedDocument


@admin.register(ImportedDocument)
class ImportedDocumentAdmin(SimpleHistoryAdmin):
    """Read-only: files arrive through the import (web or `import_report`), never the admin."""

    list_display = ["original_name", "report", "imported_by", "imported_at"]
    list_filter = ["report"]
    list_select_related = ["report", "imported_by"]
    readonly_fields = [
        "report",
        "file",
        "original_name",
        "sha256",
        "size",
        "summary",
        "imported_by",
        "imported_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
