from django.contrib import admin

from notifications.models import Notification, Preference, RoundReminderPlan


class ReadOnlyAdmin(admin.ModelAdmin):
    """A log: looked at, never written by hand."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "kind", "subject", "sent_at"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient__username", "recipient__email", "subject", "key"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"


@admin.register(Preference)
class PreferenceAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "enabled"]
    list_filter = ["kind", "enabled"]
    search_fields = ["user__username"]
    list_select_related = ["user"]


@admin.register(RoundReminderPlan)
class RoundReminderPlanAdmin(ReadOnlyAdmin):
    list_display = ["round", "days_before", "grace_days"]
    list_select_related = ["round__report"]
