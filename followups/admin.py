from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from core.admin import ServiceAdmin, run_action
from followups.forms import assignee_choices
from followups.models import FollowUp, FollowUpRound, StatusUpdate, TargetDateChange
from followups.services import (
    followup_approve,
    followup_submit,
    followup_update,
    round_close,
    round_open,
    round_publish,
    round_reopen,
    round_update,
    status_update_save,
)


@admin.register(FollowUpRound)
class FollowUpRoundAdmin(ServiceAdmin):
    list_display = ["name", "report", "kind", "deadline", "meeting_date", "state"]
    list_filter = ["kind", "state", "report"]
    fields = ["report", "name", "kind", "deadline", "meeting_date", "state"]
    action_object_kwarg = "round"
    actions = ["close_rounds", "reopen_rounds", "publish_rounds"]

    def get_readonly_fields(self, request, obj=None):
        return ["report", "kind", "state"] if obj else ["state"]

    def create(self, request, form):
        return round_open(actor=request.user, **form.cleaned_data)

    def update(self, request, obj, form):
        return round_update(round=obj, actor=request.user, **form.cleaned_data)

    @admin.action(description=_("Close the selected rounds"))
    def close_rounds(self, request, queryset):
        run_action(self, request, queryset, round_close)

    @admin.action(description=_("Reopen the selected rounds"))
    def reopen_rounds(self, request, queryset):
        run_action(self, request, queryset, round_reopen)

    @admin.action(description=_("Publish the selected rounds"))
    def publish_rounds(self, request, queryset):
        run_action(self, request, queryset, round_publish)


@admin.register(FollowUp)
class FollowUpAdmin(ServiceAdmin):
    list_display = ["recommendation", "department", "state", "target_date"]
    list_filter = ["state", "department", "recommendation__report"]
    search_fields = ["action", "recommendation__text"]
    list_select_related = ["recommendation__report", "recommendation__theme", "department"]
    fields = [
        "recommendation",
        "department",
        *FollowUp.ANSWER_FIELDS,
        "original_target_date",
        "date_changes_log",
        "state",
        "return_comment",
    ]
    readonly_fields = [
        "recommendation",
        "department",
        "original_target_date",
        "date_changes_log",
        "state",
        "return_comment",
    ]
    action_object_kwarg = "followup"
    actions = ["submit_followups", "approve_followups"]

    def has_add_permission(self, request):
        # Follow-ups are created as tasks when an action-plan round opens.
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            followup = getattr(request, "_followup_being_changed", None)
            kwargs["queryset"] = assignee_choices(followup)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        request._followup_being_changed = obj
        return super().get_form(request, obj, change, **kwargs)

    def update(self, request, obj, form):
        data = form.cleaned_data
        return followup_update(
            followup=obj,
            actor=request.user,
            expected_version=data["expected_version"],
            target_date_reason=str(_("Changed in the admin")),
            **{name: data[name] for name in FollowUp.ANSWER_FIELDS},
        )

    @admin.display(description=_("Moved target dates"))
    def date_changes_log(self, obj):
        return (
            format_html_join(
                mark_safe("<br>"),  # noqa: S308 (constant markup)
                "{} → {}: {} ({})",
                (
                    (c.old_date, c.new_date, c.reason, c.changed_by)
                    for c in obj.date_changes.select_related("changed_by")
                ),
            )
            or "–"
        )

    @admin.action(description=_("Submit the selected follow-ups"))
    def submit_followups(self, request, queryset):
        run_action(self, request, queryset, followup_submit)

    @admin.action(description=_("Approve the selected follow-ups"))
    def approve_followups(self, request, queryset):
        run_action(self, request, queryset, followup_approve)


@admin.register(StatusUpdate)
class StatusUpdateAdmin(ServiceAdmin):
    list_display = ["followup", "round", "status", "author", "reported_on"]
    list_filter = ["status", "round"]
    list_select_related = [
        "followup__recommendation__report",
        "followup__department",
        "round",
        "followup__recommendation__theme",
        "author",
    ]
    fields = ["followup", "round", "status", "text", "author", "reported_on"]
    readonly_fields = ["author", "reported_on"]
    raw_id_fields = ["followup"]

    def get_readonly_fields(self, request, obj=None):
        base = ["author", "reported_on"]
        return [*base, "followup", "round"] if obj else base

    def create(self, request, form):
        return status_update_save(actor=request.user, **form.cleaned_data)

    def update(self, request, obj, form):
        return status_update_save(
            followup=obj.followup,
            round=obj.round,
            actor=request.user,
            status=form.cleaned_data["status"],
            text=form.cleaned_data["text"],
            expected_version=form.cleaned_data["expected_version"],
        )


@admin.register(TargetDateChange)
class TargetDateChangeAdmin(ServiceAdmin):
    list_display = ["followup", "old_date", "new_date", "changed_by", "changed_at"]
    readonly_fields = ["followup", "old_date", "new_date", "reason", "changed_by", "changed_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
