"""The history page of a follow-up: its own changes, its statuses and moved dates."""

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from core.historydiff import Entry, history_entries
from departments.access import department_members
from followups.models import FollowUp, FollowUpRound, StatusUpdate, TargetDateChange

FOLLOWUP_FIELDS = [*FollowUp.ANSWER_FIELDS, "original_target_date", "state", "return_comment"]
STATUS_FIELDS = ["round", "status", "text", "author", "reported_on"]
# The content a restore brings back (the target date too, as a logged move, and the assignee
# only if still a member: see followups.services.followup_restore); the workflow state is
# never rewound by a restore.
RESTORABLE_FIELDS = [name for name in FollowUp.ANSWER_FIELDS if name != "target_date"]


def restores_assignee(followup: FollowUp, record) -> bool:
    """Whether restoring the history row `record` over `followup` changes the assignee: it
    differs, and is nobody or still a member of the department."""
    if record.assignee_id == followup.assignee_id:
        return False
    if record.assignee_id is None:
        return True
    return department_members(followup.department_id).filter(pk=record.assignee_id).exists()


def _user_name(user) -> str:
    return user.get_full_name() or user.get_username()


def restore_message(record, current: FollowUp) -> str:
    """What restoring `record` over `current` brings back, and what it leaves, in words."""
    when = record.history_date
    parts = [_("the text and the responsible")]
    kept = [_("the state and the statuses are as they are now")]
    if record.target_date is not None and record.target_date != current.target_date:
        parts.append(
            _("the target date %(date)s (logged as a move)")
            % {"date": date_format(record.target_date, "DATE_FORMAT")}
        )
    elif record.target_date is None and current.target_date is not None:
        kept.append(_("the target date stays (that version had none; a date is not removed)"))
    if restores_assignee(current, record):
        parts.append(
            _("the assignment to %(name)s") % {"name": _user_name(record.assignee)}
            if record.assignee is not None
            else _("no assigned member")
        )
    elif record.assignee_id not in (None, current.assignee_id):
        kept.append(
            _("the assigned member stays (%(name)s is no longer a member of the department)")
            % {"name": _user_name(record.assignee)}
        )
    return _("The version of %(when)s is restored: %(restored)s; %(kept)s.") % {
        "when": date_format(localtime(when), "DATETIME_FORMAT"),
        "restored": ", ".join(str(p) for p in parts),
        "kept": ", ".join(str(k) for k in kept),
    }


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
