"""The history page of a follow-up: its own changes, its statuses and moved dates."""

from django.utils.translation import gettext as _

from core.historydiff import Entry, history_entries
from followups.models import FollowUp, FollowUpRound, StatusUpdate, TargetDateChange

FOLLOWUP_FIELDS = [
    "action",
    "responsible",
    "target_date",
    "original_target_date",
    "state",
    "return_comment",
]
STATUS_FIELDS = ["round", "status", "text", "author", "reported_on"]
# The content a restore brings back; the workflow state is never rewound by a restore.
RESTORABLE_FIELDS = ["action", "responsible"]


def followup_history_entries(followup: FollowUp, *, user) -> list[Entry]:
    """Every change of the follow-up, its statuses and moved dates; statuses only of the
    rounds `user` may see (read-only roles: published rounds)."""
    own = history_entries(
        list(followup.history.select_related("history_user")),
        model=FollowUp,
        fields=FOLLOWUP_FIELDS,
        subject=_("Follow-up"),
        restorable=True,
    )
    statuses: list[Entry] = []
    status_rows = StatusUpdate.history.filter(
        followup_id=followup.pk, round_id__in=FollowUpRound.objects.visible_to(user).values("pk")
    ).select_related("history_user")
    by_object: dict[int, list] = {}
    for row in status_rows:
        by_object.setdefault(row.id, []).append(row)
    for rows in by_object.values():
        statuses += history_entries(
            rows, model=StatusUpdate, fields=STATUS_FIELDS, subject=_("Status")
        )
    dates: list[Entry] = []
    date_rows = TargetDateChange.history.filter(followup_id=followup.pk).select_related(
        "history_user"
    )
    for row in date_rows:
        dates += history_entries(
            [row],
            model=TargetDateChange,
            fields=["old_date", "new_date", "reason"],
            subject=_("Target date moved"),
        )
    return sorted(own + statuses + dates, key=lambda e: (e.date, e.record.history_id), reverse=True)
