from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from collaboration.models import Attachment, Comment
from collaboration.services import comment_mark_for_council
from core.admin import ServiceAdmin, run_action


class ReadMostlyAdmin(ServiceAdmin):
    """Comments and files are written on the follow-up and recommendation pages (their
    services check who may); the admin lists them and their history."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(ReadMostlyAdmin):
    list_display = ["__str__", "followup", "recommendation", "author", "created_at", "for_council"]
    list_filter = ["for_council"]
    search_fields = ["text"]
    list_select_related = [
        "author",
        "followup__recommendation__report",
        "followup__department",
        "recommendation__report",
    ]
    fields = ["followup", "recommendation", "author", "text", "created_at", "for_council"]
    readonly_fields = fields
    action_object_kwarg = "comment"
    actions = ["mark_for_council", "unmark_for_council"]

    @admin.action(description=_("Show the selected comments in the council's report"))
    def mark_for_council(self, request, queryset):
        run_action(self, request, queryset, comment_mark_for_council, for_council=True)

    @admin.action(description=_("Remove the selected comments from the council's report"))
    def unmark_for_council(self, request, queryset):
        run_action(self, request, queryset, comment_mark_for_council, for_council=False)


@admin.register(Attachment)
class AttachmentAdmin(ReadMostlyAdmin):
    list_display = ["original_name", "followup", "uploaded_by", "created_at", "removed_at"]
    list_select_related = [
        "uploaded_by",
        "followup__recommendation__report",
        "followup__department",
    ]
    search_fields = ["original_name"]
    # The stored file's own name is not shown: it is downloaded through the access-checked view.
    fields = [
        "followup",
        "status_update",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "created_at",
        "removed_at",
        "removed_by",
    ]
    readonly_fields = fields
