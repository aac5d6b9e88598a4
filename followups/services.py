"""Writes to rounds, follow-ups and status updates, with their workflow rules."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core import events
from core.errors import ConflictError, ServiceError
from core.history import note_actor, save_tracked
from departments.access import access_for, department_members
from departments.models import Department, descendant_ids
from followups.history import RESTORABLE_FIELDS, restores_assignee
from followups.models import (
    FINISHED_STATUSES,
    ActionStatus,
    FollowUp,
    FollowUpProgress,
    FollowUpRound,
    StatusUpdate,
    TargetDateChange,
)
from followups.permissions import (  # noqa: F401  (the messages, importable from here too)
    MSG_NO_APPROVE_PERMISSION,
    MSG_NO_EDIT_PERMISSION,
    MSG_NO_OPEN_PLAN,
    MSG_NOT_EDITABLE,
    MSG_ONLY_SECRETARIAT_RECORDS,
    MSG_TRANSITION,
    FollowUpPermissions,
)
from recommendations.models import AnnualReport, Recommendation

MSG_ROUND_ALREADY_OPEN = _(
    "Another round (“%(name)s”) is already open for this annual report. Close it first."
)
MSG_ROUND_NAME_TAKEN = _("A round named “%(name)s” already exists for this annual report.")
MSG_ROUND_NOT_OPEN = _("The round is not open, so nothing can be changed in it.")
MSG_MEETING_BEFORE_DEADLINE = _("The committee meeting cannot be before the deadline.")
MSG_ROUND_TRANSITION = _("A round that is “%(state)s” cannot be %(action)s.")
MSG_ROUND_UNAPPROVED = _(
    "%(count)s follow-ups are not approved yet. Approve or return them before publishing."
)
MSG_ACTION_REQUIRED = _("Write what the department will do before submitting.")
MSG_COMMENT_REQUIRED = _("Write a comment explaining why the follow-up is returned.")
MSG_DATE_REASON_REQUIRED = _("Give a reason for moving the target date later.")
MSG_DATE_UNCHANGED = _("The new target date is the same as the current one.")
MSG_DATE_NOT_REMOVABLE = _(
    "A target date can be moved but not removed. Choose a new date (a later one needs a reason)."
)
MSG_DATE_OUT_OF_RANGE = _("The target date must lie between %(first)s and %(last)s.")
# How many years after its annual report a follow-up's target date may lie.
TARGET_DATE_MAX_YEARS = 10
MSG_STALE_FOLLOWUP = _("The follow-up was changed by someone else while you were editing it.")
MSG_STALE_STATUS = _("The status was changed by someone else while you were editing it.")
# The expected version of a status not yet written (StatusUpdate.version starts at 1).
NO_STATUS_VERSION = 0
MSG_NOT_STATUS_ROUND = _("Statuses can only be reported in a status round.")
MSG_WRONG_REPORT = _("The round belongs to another annual report.")
MSG_NOT_APPROVED = _("Status can only be reported on an approved follow-up.")
MSG_STATUS_REASON_REQUIRED = _("Explain why the action was not carried out.")
MSG_UNKNOWN_STATUS = _("Choose a status.")
MSG_NO_SECRETARIAT = _("Only the secretariat can manage rounds.")
MSG_FOLLOWUP_EXISTS = _("%(department)s already has a follow-up on this recommendation.")
MSG_NOT_CONCERNED = _("The recommendation does not concern %(department)s.")
MSG_ASSIGNEE_NOT_MEMBER = _(
    "%(name)s is not a member of %(department)s. Choose a member of the department."
)


# --- rounds -----------------------------------------------------------------------------


def _require_secretariat(actor: User) -> None:
    if not access_for(actor).is_secretariat:
        raise PermissionDenied(MSG_NO_SECRETARIAT)


def _require_meeting_after_deadline(
    deadline: datetime.date, meeting_date: datetime.date | None
) -> None:
    if meeting_date is not None and meeting_date < deadline:
        raise ServiceError(MSG_MEETING_BEFORE_DEADLINE, on_field="meeting_date")


@transaction.atomic
def round_open(
    *,
    actor: User,
    report: AnnualReport,
    name: str,
    kind: str,
    deadline: datetime.date,
    meeting_date: datetime.date | None = None,
) -> FollowUpRound:
    """Open a round; an action-plan round creates a task per recommendation and department."""
    _require_secretariat(actor)
    _require_meeting_after_deadline(deadline, meeting_date)
    AnnualReport.objects.select_for_update().get(pk=report.pk)
    already = FollowUpRound.objects.filter(report=report).open().first()
    if already is not None:
        raise ServiceError(MSG_ROUND_ALREADY_OPEN, name=already.name)
    if FollowUpRound.objects.filter(report=report, name__iexact=name.strip()).exists():
        raise ServiceError(MSG_ROUND_NAME_TAKEN, name=name.strip())
    round = FollowUpRound(
        report=report,
        name=name.strip(),
        kind=kind,
        deadline=deadline,
        meeting_date=meeting_date,
        state=FollowUpRound.State.OPEN,
        opened_at=timezone.now(),
    )
    save_tracked(round, actor=actor)
    if kind == FollowUpRound.Kind.PLAN:
        followups_create_tasks(report=report, actor=actor)
    events.emit("round_opened", round=round, actor=actor)
    return round


@transaction.atomic
def followups_create_tasks(*, report: AnnualReport, actor: User) -> list[FollowUp]:
    """A draft follow-up for every (recommendation, responsible department) pair missing one."""
    existing = set(
        FollowUp.objects.for_report(report).values_list("recommendation_id", "department_id")
    )
    created: list[FollowUp] = []
    for recommendation in report.recommendations.prefetch_related("departments"):
        for department in recommendation.responsible_departments():
            if (recommendation.pk, department.pk) in existing:
                continue
            followup = FollowUp(recommendation=recommendation, department=department)
            save_tracked(followup, actor=actor)
            created.append(followup)
    _progress_start(created)
    return created


@transaction.atomic
def followup_record(
    *, recommendation: Recommendation, department: Department | None, action: str, actor: User
) -> FollowUp:
    """A follow-up the administration adopted outside the app (an imported plan): approved
    with its action text, or, with no text, the department's open draft task. Without a
    department, an action line that awaits placement by the secretariat (followup_place)."""
    if not access_for(actor).is_secretariat:
        raise PermissionDenied(MSG_ONLY_SECRETARIAT_RECORDS)
    action = action.strip()
    if department is None:
        if not action:
            raise ServiceError(MSG_UNPLACED_NEEDS_ACTION)
        if FollowUp.objects.filter(
            recommendation=recommendation, department__isnull=True, action=action
        ).exists():
            raise ServiceError(MSG_UNPLACED_EXISTS)
    else:
        _require_concerned(recommendation, department)
        if FollowUp.objects.filter(recommendation=recommendation, department=department).exists():
            raise ServiceError(MSG_FOLLOWUP_EXISTS, department=department.name)
    followup = FollowUp(
        recommendation=recommendation,
        department=department,
        action=action,
        state=FollowUp.State.APPROVED if action else FollowUp.State.DRAFT,
    )
    save_tracked(followup, actor=actor)
    _progress_start([followup])
    return followup


def _progress_start(followups: list[FollowUp]) -> None:
    """New follow-ups' rows in the progress read model (no status yet), built as a full
    refresh builds them."""
    FollowUpProgress.objects.bulk_create(_progress_rows([f.pk for f in followups]))


def _round_locked(round: FollowUpRound) -> FollowUpRound:
    return FollowUpRound.objects.select_for_update().get(pk=round.pk)


@transaction.atomic
def round_close(*, round: FollowUpRound, actor: User) -> FollowUpRound:
    _require_secretariat(actor)
    round = _round_locked(round)
    if round.state != FollowUpRound.State.OPEN:
        raise ServiceError(
            MSG_ROUND_TRANSITION, state=round.get_state_display(), action=_("closed")
        )
    round.state = FollowUpRound.State.CLOSED
    round.closed_at = timezone.now()
    save_tracked(round, actor=actor)
    return round


@transaction.atomic
def round_reopen(*, round: FollowUpRound, actor: User) -> FollowUpRound:
    _require_secretariat(actor)
    round = _round_locked(round)
    if round.state != FollowUpRound.State.CLOSED:
        raise ServiceError(
            MSG_ROUND_TRANSITION, state=round.get_state_display(), action=_("reopened")
        )
    other = FollowUpRound.objects.filter(report_id=round.report_id).open().first()
    if other is not None:
        raise ServiceError(MSG_ROUND_ALREADY_OPEN, name=other.name)
    round.state = FollowUpRound.State.OPEN
    round.closed_at = None
    save_tracked(round, actor=actor)
    return round


# What the apps above need done when a round is published (reports: the edition's PDF),
# registered by them at start-up, so followups never imports them. A hook runs inside the
# publishing transaction and must only record and defer (`transaction.on_commit`): it may
# not render, and its failure would undo the publication.
PUBLISH_HOOKS: list[Callable[..., object]] = []


def round_publish_hook(hook: Callable[..., object]) -> Callable[..., object]:
    """Register `hook(*, round, actor)` to run when a round is published (once per hook)."""
    if hook not in PUBLISH_HOOKS:
        PUBLISH_HOOKS.append(hook)
    return hook


@transaction.atomic
def round_publish(*, round: FollowUpRound, actor: User) -> FollowUpRound:
    """Freeze a closed round; an action plan may only be published once fully approved."""
    _require_secretariat(actor)
    round = _round_locked(round)
    if round.state != FollowUpRound.State.CLOSED:
        raise ServiceError(
            MSG_ROUND_TRANSITION, state=round.get_state_display(), action=_("published")
        )
    if round.kind == FollowUpRound.Kind.PLAN:
        pending = (
            FollowUp.objects.for_report(round.report).exclude(state=FollowUp.State.APPROVED).count()
        )
        if pending:
            raise ServiceError(MSG_ROUND_UNAPPROVED, count=pending)
    round.state = FollowUpRound.State.PUBLISHED
    round.published_at = timezone.now()
    save_tracked(round, actor=actor)
    # Its statuses become visible to read-only roles (the read model's published columns).
    followup_progress_refresh(
        followup_ids=round.status_updates.values_list("followup_id", flat=True)
    )
    for hook in PUBLISH_HOOKS:
        hook(round=round, actor=actor)
    return round


# --- follow-ups ----------------------------------------------------------------------------


def _followup_locked(followup: FollowUp, expected_version: int | None) -> FollowUp:
    current = (
        # Only the follow-up's row: its department may be empty (awaiting placement), and
        # PostgreSQL locks no row on the empty side of an outer join.
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("recommendation__report", "department")
        .get(pk=followup.pk)
    )
    _require_version(current, expected_version)
    return current


def _require_version(followup: FollowUp, expected_version: int | None) -> None:
    if expected_version is not None and followup.version != expected_version:
        raise ConflictError(MSG_STALE_FOLLOWUP, current=followup)


def _save_new_version(followup: FollowUp, *, actor: User, reason: str = "") -> FollowUp:
    followup.version += 1
    save_tracked(followup, actor=actor, reason=reason)
    return followup


def _check_new_target_date(followup: FollowUp, new_date: datetime.date) -> None:
    """A date being set lies within TARGET_DATE_MAX_YEARS before or after its annual report's
    year (not 0001 or 9999). That a new date
    is not in the past is the forms' rule: the demo and imported history record past ones."""
    year = followup.recommendation.report.year
    first, last = year - TARGET_DATE_MAX_YEARS, year + TARGET_DATE_MAX_YEARS
    if not first <= new_date.year <= last:
        raise ServiceError(MSG_DATE_OUT_OF_RANGE, on_field="target_date", first=first, last=last)


def _record_date_move(
    followup: FollowUp, *, new_date: datetime.date | None, reason: str, actor: User
) -> None:
    """Keep the original date and log the move; a later date needs a reason. A date once
    set can be moved but not removed (removing it and setting a later one would move it
    without a reason). Moves the progress read model's copy of the date too."""
    old = followup.target_date
    if new_date is None:
        if old is not None:
            raise ServiceError(MSG_DATE_NOT_REMOVABLE, on_field="target_date")
        return
    if new_date == old:
        raise ServiceError(MSG_DATE_UNCHANGED)
    _check_new_target_date(followup, new_date)
    if old is None:
        _set_target_date(followup, new_date)
        return
    if new_date > old and not reason.strip():
        raise ServiceError(MSG_DATE_REASON_REQUIRED, on_field="target_date_reason")
    if followup.original_target_date is None:
        followup.original_target_date = old
    save_tracked(
        TargetDateChange(
            followup=followup,
            old_date=old,
            new_date=new_date,
            reason=reason.strip() or str(_("Moved earlier")),
            changed_by=actor,
        ),
        actor=actor,
    )
    _set_target_date(followup, new_date)


def _set_target_date(followup: FollowUp, new_date: datetime.date | None) -> None:
    """The follow-up's target date (saved by the caller) and the read model's copy."""
    followup.target_date = new_date
    # The read model has no history (it is not domain data): a plain update.
    FollowUpProgress.objects.filter(followup_id=followup.pk).update(target_date=new_date)


def _may_be_assigned(followup: FollowUp, user: User) -> bool:
    return department_members(followup.department_id).filter(pk=user.pk).exists()


def _set_assignee(followup: FollowUp, assignee: User | None) -> bool:
    """Give the follow-up (saved by the caller) to `assignee`, an active member of its
    department (departments.access.department_members); True if it goes to someone new,
    which the caller announces once saved (`followup_assigned`). Keeping the current
    assignee is always allowed, also one who has left the department meanwhile."""
    if (assignee.pk if assignee is not None else None) == followup.assignee_id:
        return False
    if assignee is not None and not _may_be_assigned(followup, assignee):
        raise ServiceError(
            MSG_ASSIGNEE_NOT_MEMBER,
            on_field="assignee",
            name=assignee.get_full_name() or assignee.get_username(),
            department=followup.department_label,
        )
    followup.assignee = assignee
    return assignee is not None


@transaction.atomic
def followup_update(
    *,
    followup: FollowUp,
    actor: User,
    expected_version: int | None,
    action: str,
    responsible: str = "",
    assignee: User | None = None,
    target_date: datetime.date | None = None,
    target_date_reason: str = "",
) -> FollowUp:
    """Write the department's answer while the action-plan round is open. `assignee`: the
    member of the department who answers for it (None: nobody in particular)."""
    followup = _followup_locked(followup, expected_version)
    FollowUpPermissions.of(actor, followup).require_edit()
    followup.action = action.strip()
    followup.responsible = responsible.strip()
    assigned = _set_assignee(followup, assignee)
    if target_date != followup.target_date:
        _record_date_move(followup, new_date=target_date, reason=target_date_reason, actor=actor)
    saved = _save_new_version(followup, actor=actor)
    if assigned:
        events.emit("followup_assigned", followup=saved, actor=actor)
    return saved


@transaction.atomic
def followup_assign(
    *,
    followup: FollowUp,
    actor: User,
    assignee: User | None,
    expected_version: int | None = None,
) -> FollowUp:
    """Give the follow-up to a member of its department (None: to nobody in particular) in
    any state, also after approval: who works on it is not part of the approved answer.
    For its members and the secretariat (FollowUpPermissions.can_assign). An unchanged
    assignee writes nothing."""
    followup = _followup_locked(followup, None)
    FollowUpPermissions.of(actor, followup).require_assigner()
    _require_version(followup, expected_version)
    if (assignee.pk if assignee is not None else None) == followup.assignee_id:
        return followup
    assigned = _set_assignee(followup, assignee)
    saved = _save_new_version(followup, actor=actor)
    if assigned:
        events.emit("followup_assigned", followup=saved, actor=actor)
    return saved


@transaction.atomic
def followup_move_target_date(
    *,
    followup: FollowUp,
    actor: User,
    new_date: datetime.date,
    reason: str,
    expected_version: int | None = None,
) -> FollowUp:
    """Move the target date at any time (also after approval); the original stays visible."""
    followup = _followup_locked(followup, expected_version)
    FollowUpPermissions.of(actor, followup).require_editor()
    _record_date_move(followup, new_date=new_date, reason=reason, actor=actor)
    return _save_new_version(followup, actor=actor, reason=reason)


def _stepped(
    followup: FollowUp, *, actor: User, state: str, expected_version: int | None
) -> FollowUp:
    """The locked follow-up moved to `state` (not saved yet): the role first, so that who may
    not act learns nothing about the follow-up, then the version, the open plan round and the
    state it is in."""
    followup = _followup_locked(followup, None)
    permissions = FollowUpPermissions.of(actor, followup)
    permissions.require_role_for(state)
    _require_version(followup, expected_version)
    permissions.require_plan_open()
    permissions.require_transition(state)
    followup.state = state
    return followup


@transaction.atomic
def followup_submit(
    *, followup: FollowUp, actor: User, expected_version: int | None = None
) -> FollowUp:
    followup = _stepped(
        followup, actor=actor, state=FollowUp.State.SUBMITTED, expected_version=expected_version
    )
    if not followup.action.strip():
        raise ServiceError(MSG_ACTION_REQUIRED)
    saved = _save_new_version(followup, actor=actor)
    events.emit("followup_submitted", followup=saved, actor=actor)
    return saved


@transaction.atomic
def followup_approve(
    *, followup: FollowUp, actor: User, expected_version: int | None = None
) -> FollowUp:
    followup = _stepped(
        followup, actor=actor, state=FollowUp.State.APPROVED, expected_version=expected_version
    )
    followup.return_comment = ""
    saved = _save_new_version(followup, actor=actor)
    events.emit("followup_approved", followup=saved, actor=actor)
    return saved


@transaction.atomic
def followup_return(
    *, followup: FollowUp, actor: User, comment: str, expected_version: int | None = None
) -> FollowUp:
    """Send a submitted (or approved) follow-up back to the case officer with a comment."""
    followup = _stepped(
        followup, actor=actor, state=FollowUp.State.RETURNED, expected_version=expected_version
    )
    if not comment.strip():
        raise ServiceError(MSG_COMMENT_REQUIRED)
    followup.return_comment = comment.strip()
    saved = _save_new_version(followup, actor=actor, reason=comment.strip())
    events.emit("followup_returned", followup=saved, actor=actor, comment=saved.return_comment)
    return saved


# --- status updates --------------------------------------------------------------------------


@transaction.atomic
def status_update_save(
    *,
    followup: FollowUp,
    round: FollowUpRound,
    actor: User,
    status: str,
    text: str,
    expected_version: int | None = None,
    reported_on: datetime.date | None = None,
) -> StatusUpdate:
    """Report what happened to a follow-up in an open status round (create or edit).

    `expected_version`: the status's version when the form was loaded, NO_STATUS_VERSION (0)
    if the follow-up had no status in the round yet: of two users writing the first status
    at once, the second gets a conflict, not a silent overwrite. None checks nothing (the
    demo loader; every form and the admin pass a version)."""
    # Locks in the order round_update takes them (round, then its follow-ups): no deadlock.
    round = _round_locked(round)
    followup = _followup_locked(followup, None)
    FollowUpPermissions.of(actor, followup).require_editor()
    if round.kind != FollowUpRound.Kind.STATUS:
        raise ServiceError(MSG_NOT_STATUS_ROUND)
    if round.report_id != followup.recommendation.report_id:
        raise ServiceError(MSG_WRONG_REPORT)
    if not round.is_open:
        raise ServiceError(MSG_ROUND_NOT_OPEN)
    if followup.state != FollowUp.State.APPROVED:
        raise ServiceError(MSG_NOT_APPROVED)
    if status not in ActionStatus.values:
        raise ServiceError(MSG_UNKNOWN_STATUS)
    if status == ActionStatus.DROPPED and not text.strip():
        raise ServiceError(MSG_STATUS_REASON_REQUIRED)
    # of=self: the default order joins the follow-up's department, empty while it awaits
    # placement, and PostgreSQL locks no row on the empty side of an outer join.
    update = (
        StatusUpdate.objects.select_for_update(of=("self",))
        .filter(followup=followup, round=round)
        .first()
    )
    current_version = update.version if update is not None else NO_STATUS_VERSION
    if expected_version is not None and expected_version != current_version:
        if update is None:
            # A version of a status that does not exist: not a form this page gave out.
            raise ServiceError(MSG_STALE_STATUS)
        raise ConflictError(MSG_STALE_STATUS, current=update)
    if update is None:
        update = StatusUpdate(followup=followup, round=round, author=actor)
    else:
        update.version += 1
    update.status = status
    update.text = text.strip()
    update.author = actor
    update.reported_on = reported_on or timezone.localdate()
    save_tracked(update, actor=actor)
    followup_progress_refresh(followup_ids=[followup.pk])
    return update


@transaction.atomic
def round_update(
    *,
    round: FollowUpRound,
    actor: User,
    name: str,
    deadline: datetime.date,
    meeting_date: datetime.date | None,
) -> FollowUpRound:
    """Rename or re-date a round that is not yet published."""
    _require_secretariat(actor)
    _require_meeting_after_deadline(deadline, meeting_date)
    round = _round_locked(round)
    if round.state == FollowUpRound.State.PUBLISHED:
        raise ServiceError(MSG_ROUND_NOT_OPEN)
    clash = FollowUpRound.objects.filter(report_id=round.report_id, name__iexact=name.strip())
    if clash.exclude(pk=round.pk).exists():
        raise ServiceError(MSG_ROUND_NAME_TAKEN, name=name.strip())
    deadline_moved = round.deadline != deadline
    round.name = name.strip()
    round.deadline = deadline
    round.meeting_date = meeting_date
    save_tracked(round, actor=actor)
    if deadline_moved:
        # Which status is the latest follows the rounds' deadlines.
        followup_progress_refresh(
            followup_ids=round.status_updates.values_list("followup_id", flat=True)
        )
    return round


MSG_RESTORE_NOT_FOUND = _("That version does not exist for this follow-up.")


@transaction.atomic
def followup_restore(*, followup: FollowUp, history_id: int, actor: User) -> FollowUp:
    """Bring back the text, responsible, assignee and target date of an earlier version; the
    restore is itself a new version. The target date goes back as a logged move (with this
    restore as its reason); a version without a date leaves the date as it is (a date is
    moved, not removed). An assignee who is no longer a member of the department is not
    brought back (the current one stays). The workflow state and the statuses are not
    rewound."""
    followup = _followup_locked(followup, None)
    FollowUpPermissions.of(actor, followup).require_restorer()
    record = followup.history.filter(history_id=history_id).first()
    if record is None:
        raise ServiceError(MSG_RESTORE_NOT_FOUND)
    for name in RESTORABLE_FIELDS:
        if name != "assignee":
            setattr(followup, name, getattr(record, name))
    assigned = False
    if restores_assignee(followup, record):
        assigned = _set_assignee(followup, record.assignee)
    when = timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M")
    reason = str(_("Restored the version of %(when)s")) % {"when": when}
    if record.target_date is not None and record.target_date != followup.target_date:
        _record_date_move(followup, new_date=record.target_date, reason=reason, actor=actor)
    saved = _save_new_version(followup, actor=actor, reason=reason)
    if assigned:
        events.emit("followup_assigned", followup=saved, actor=actor)
    return saved


# --- the progress read model -----------------------------------------------------------------

PROGRESS_CHUNK = 5000


@transaction.atomic
def followup_progress_refresh(*, followup_ids: Iterable[int] | None = None) -> int:
    """Recompute FollowUpProgress for these follow-ups (None: all of them) from their status
    updates; returns the number of rows written (one per follow-up). Called by every service
    that creates follow-ups or writes status updates or round deadlines; `manage.py
    refresh_progress` runs it for everything."""
    if followup_ids is None:
        FollowUpProgress.objects.all().delete()
        ids = list(FollowUp.objects.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(set(followup_ids))
    written = 0
    for start in range(0, len(ids), PROGRESS_CHUNK):
        chunk = ids[start : start + PROGRESS_CHUNK]
        # Serialise with other writes to the same follow-ups (a status saved while the
        # secretariat moves a deadline, a target date moved during a full refresh): the
        # services that write them hold the same row lock, so each row is read after they
        # commit, or they update the row written here after this commits.
        list(FollowUp.objects.select_for_update().filter(pk__in=chunk).order_by("pk"))
        rows = _progress_rows(chunk)
        if followup_ids is not None:
            FollowUpProgress.objects.filter(followup_id__in=chunk).delete()
        FollowUpProgress.objects.bulk_create(rows)
        written += len(rows)
    return written


def _progress_rows(followup_ids: list[int]) -> list[FollowUpProgress]:
    """A row per follow-up: latest status by round deadline (then id), "" if none, the
    first finished status's date, and copies of the follow-up's fields the lists filter on."""
    progress = {
        pk: FollowUpProgress(
            followup_id=pk,
            department_id=department_id,
            recommendation_id=recommendation_id,
            report_id=report_id,
            target_date=target_date,
        )
        for pk, department_id, recommendation_id, report_id, target_date in (
            FollowUp.objects.filter(pk__in=followup_ids).values_list(
                "pk",
                "department_id",
                "recommendation_id",
                "recommendation__report_id",
                "target_date",
            )
        )
    }
    statuses = (
        StatusUpdate.objects.filter(followup_id__in=followup_ids)
        .order_by("followup_id", "round__deadline", "pk")
        .values_list("followup_id", "status", "reported_on", "round__state")
    )
    for followup_id, status, reported_on, round_state in statuses.iterator(chunk_size=5000):
        row = progress[followup_id]
        finished = status in FINISHED_STATUSES
        row.latest_status = status
        if finished and (row.finished_on is None or reported_on < row.finished_on):
            row.finished_on = reported_on
        if round_state == FollowUpRound.State.PUBLISHED:
            # What read-only roles see: published rounds' statuses only.
            row.published_status = status
            if finished and (
                row.published_finished_on is None or reported_on < row.published_finished_on
            ):
                row.published_finished_on = reported_on
    return list(progress.values())


# --- follow-ups awaiting placement (issue 20) ----------------------------------------------

MSG_UNPLACED_NEEDS_ACTION = _("A follow-up awaiting placement needs its action text.")
MSG_UNPLACED_EXISTS = _("The recommendation already has this action awaiting placement.")
MSG_ALREADY_PLACED = _("The follow-up already belongs to %(department)s.")
MSG_PLACE_INACTIVE = _("%(department)s is inactive; choose an active department.")


def _require_concerned(recommendation: Recommendation, department: Department) -> None:
    """A department-scoped recommendation is answered by its departments (and theirs)."""
    if recommendation.scope == Recommendation.Scope.DEPARTMENTS:
        named = set(recommendation.scope_entries.values_list("department_id", flat=True))
        if department.pk not in descendant_ids(named):
            raise ServiceError(MSG_NOT_CONCERNED, department=department.name)


def status_text_addition(own: StatusUpdate, other: StatusUpdate) -> str:
    """What `other` (a placed line's status, an imported one) adds to the status `own` that
    stands in the same round: its text, with its status word where it differs; nothing if
    `own` says it already."""
    text = other.text.strip()
    if other.status != own.status:
        with translation.override("da"):  # written into the Danish text, as documents say it
            label = str(other.get_status_display())
        text = f"{label}: {text}" if text else label
    return "" if not text or text in own.text else text


@transaction.atomic
def followup_place(
    *, followup: FollowUp, department: Department, actor: User, expected_version: int | None = None
) -> FollowUp:
    """Give a follow-up awaiting placement its department (secretariat only).

    If the department already answers the recommendation, the line joins that follow-up
    (its text appended, the statuses moved where that follow-up has none in the round, else
    their text added to the department's status), and the placed one is deleted; every
    change keeps its history row."""
    followup = _followup_locked(followup, None)
    FollowUpPermissions.of(actor, followup).require_placer()
    _require_version(followup, expected_version)
    if followup.department is not None:
        raise ServiceError(MSG_ALREADY_PLACED, department=followup.department.name)
    if not department.active:
        raise ServiceError(MSG_PLACE_INACTIVE, department=department.name)
    _require_concerned(followup.recommendation, department)
    target = (
        FollowUp.objects.select_for_update(of=("self",))
        .filter(recommendation_id=followup.recommendation_id, department=department)
        .first()
    )
    if target is None:
        followup.department = department
        followup.version += 1
        save_tracked(followup, actor=actor)
        followup_progress_refresh(followup_ids=[followup.pk])
        events.emit("followup_placed", followup=followup, actor=actor)
        return followup
    # The department has answered already: one follow-up per department and recommendation.
    lines = [line for line in followup.action.splitlines() if line.strip()]
    known = {line.strip() for line in target.action.splitlines()}
    added = [line for line in lines if line.strip() not in known]
    if added:
        target.action = "\n".join([target.action.rstrip(), *added]).strip()
        target.version += 1
        save_tracked(target, actor=actor)
    taken = {
        update.round_id: update
        for update in StatusUpdate.objects.select_for_update(of=("self",)).filter(followup=target)
    }
    for update in StatusUpdate.objects.select_for_update(of=("self",)).filter(followup=followup):
        own = taken.get(update.round_id)
        if own is not None:
            # The department's own status in that round stands, and the line's words join
            # its text (with the line's status word where it differs): nothing is dropped.
            addition = status_text_addition(own, update)
            if addition:
                own.text = "\n".join(t for t in (own.text.rstrip(), addition) if t)
                own.version += 1
                save_tracked(own, actor=actor)
            events.run_now("status_merging", update=update, into=own, actor=actor)
            note_actor(update, actor=actor)
            update.delete()
            continue
        update.followup = target
        update.version += 1
        save_tracked(update, actor=actor)
    events.run_now("followup_merging", followup=followup, into=target, actor=actor)
    note_actor(followup, actor=actor)  # the deletion's history row names who placed it
    followup.delete()
    followup_progress_refresh(followup_ids=[target.pk])
    events.emit("followup_placed", followup=target, actor=actor)
    return target
