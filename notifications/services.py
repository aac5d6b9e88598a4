"""Recording notifications for the right people, mailing them as daily digests, the
rounds' reminders, and each user's choice of what to get."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.errors import ServiceError
from core.text import danish_key
from departments.access import GlobalRole, access_for
from departments.models import Department, Membership
from followups.models import FollowUp, FollowUpRound
from notifications.models import (
    REMINDER_KINDS,
    Kind,
    Notification,
    Preference,
    RoundReminderPlan,
    parse_days_before,
)

logger = logging.getLogger("opfoelgning.notifications")

MSG_ROUND_NOT_OPEN = _("Reminders are sent only for an open round.")
MSG_SECRETARIAT_ONLY = _("Only the secretariat sends reminders.")

Visible = Callable[[Any], bool]


# --- recipients ----------------------------------------------------------------------------


def _members(department_ids: Iterable[int], role: str) -> list[User]:
    return list(
        get_user_model()
        .objects.filter(
            memberships__department_id__in=list(department_ids),
            memberships__role=role,
            memberships__department__active=True,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def case_officers(department: Department) -> list[User]:
    """The department's own case officers."""
    return _members([department.pk], Membership.Role.CASE_OFFICER)


def managers(department: Department) -> list[User]:
    """The department's own managers."""
    return _members([department.pk], Membership.Role.MANAGER)


def approvers(department: Department) -> list[User]:
    """The managers who can approve the department's follow-ups: its own and those of the
    units above it (a membership covers the units below), not the secretariat."""
    ids: list[int] = []
    seen: Department | None = department
    while seen is not None and seen.pk not in ids:
        ids.append(seen.pk)
        seen = seen.parent
    return [
        user
        for user in _members(ids, Membership.Role.MANAGER)
        if access_for(user).can_approve_department(department.pk)
    ]


def secretariat() -> list[User]:
    return list(
        get_user_model()
        .objects.filter(groups__name=GlobalRole.SECRETARIAT, is_active=True)
        .distinct()
        .order_by("pk")
    )


def last_submitter(followup: FollowUp) -> User | None:
    """The user who last submitted the follow-up (its history), if any."""
    record = (
        followup.history.filter(state=FollowUp.State.SUBMITTED, history_user__isnull=False)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
        .first()
    )
    return record.history_user if record is not None else None


def sees_followup(followup: FollowUp) -> Visible:
    return lambda user: FollowUp.objects.visible_to(user).filter(pk=followup.pk).exists()


def sees_round(round: FollowUpRound, department: Department | None = None) -> Visible:
    def visible(user) -> bool:
        if department is not None and not access_for(user).can_see_department(department.pk):
            return False
        return FollowUpRound.objects.visible_to(user).filter(pk=round.pk).exists()

    return visible


# --- recording -----------------------------------------------------------------------------


def _render_item(kind: str, context: dict[str, Any]) -> tuple[str, str]:
    """The item's Danish subject (the template's first line) and text (the rest)."""
    with translation.override("da"):
        text = render_to_string(f"notifications/email/items/{kind}.txt", context).strip()
    subject, _sep, body = text.partition("\n")
    return subject.strip()[:200], body.strip()


def enabled_kinds(user) -> set[str]:
    off = set(Preference.objects.filter(user=user, enabled=False).values_list("kind", flat=True))
    return set(Kind.values) - off


def notifications_record(
    *,
    kind: str,
    recipients: Iterable[User],
    key: str,
    url: str,
    context: dict[str, Any],
    visible: Visible,
    actor: User | None = None,
    round: FollowUpRound | None = None,
    department: Department | None = None,
    send: bool = True,
) -> list[User]:
    """Record one notification of `kind` for each recipient who may see what it is about
    (`visible(user)`), has an e-mail address and has not switched the kind off; never for
    the actor themself, never twice for one `key`. Sending is queued after the commit
    (unless `send` is false: the caller queues it once for many). Returns the users a
    notification was recorded for."""
    candidates: dict[int, User] = {}
    for user in recipients:
        if user is None or user.pk in candidates:
            continue
        if actor is not None and user.pk == actor.pk:
            continue
        if not user.is_active or not user.email:
            continue
        candidates[user.pk] = user
    if not candidates:
        return []
    switched_off = set(
        Preference.objects.filter(user__in=candidates, kind=kind, enabled=False).values_list(
            "user_id", flat=True
        )
    )
    already = set(
        Notification.objects.filter(recipient__in=candidates, key=key).values_list(
            "recipient_id", flat=True
        )
    )
    chosen = [
        user
        for pk, user in candidates.items()
        if pk not in switched_off and pk not in already and visible(user)
    ]
    if not chosen:
        return []
    subject, body = _render_item(kind, {**context, "actor": actor})
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                kind=kind,
                subject=subject,
                body=body,
                url=url,
                key=key,
                round=round,
                department=department,
            )
            for user in chosen
        ],
        # Two runs at once: the unique (recipient, key) keeps one.
        ignore_conflicts=True,
    )
    if send:
        send_after_commit()
    return chosen


def send_after_commit() -> None:
    """Queue the sending task once the current transaction commits."""
    from notifications.tasks import send_notifications

    # A named function: Django logs a failed robust callback by its __qualname__.
    def enqueue() -> None:
        send_notifications.enqueue()

    transaction.on_commit(enqueue, robust=True)


# --- sending -------------------------------------------------------------------------------


# In the key of a reminder the secretariat sent with its button: it goes out even if the
# automatic reminder of that kind already went to the person today (someone decided to send
# it; the key still holds the day, so pressing twice a day sends nothing twice).
MANUAL = ":manual:"


def _start_of_day(now: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _message(recipient: User, kind: str, items: list[Notification]) -> EmailMultiAlternatives:
    site = settings.SITE_URL.rstrip("/")
    context = {
        "recipient": recipient,
        "kind": kind,
        "items": [
            {"subject": item.subject, "body": item.body, "link": f"{site}{item.url}"}
            for item in items
        ],
        "count": len(items),
        "site_url": site,
        "preferences_link": f"{site}/konto/notifikationer/",
        "municipality_name": settings.MUNICIPALITY_NAME,
    }
    with translation.override("da"):
        subject = " ".join(render_to_string("notifications/email/subject.txt", context).split())
        context["subject"] = subject
        text = render_to_string("notifications/email/message.txt", context)
        html = render_to_string("notifications/email/message.html", context)
    message = EmailMultiAlternatives(
        subject=subject[:250],
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
    )
    message.attach_alternative(html, "text/html")
    return message


def notifications_send(*, now: datetime.datetime | None = None) -> int:
    """Mail every recipient's unsent notifications, one e-mail per kind listing them all,
    unless that kind already went to them today (those wait for tomorrow's run). Each
    e-mail is sent in the transaction that marks its notifications sent, so a failure
    leaves them for the next run. Returns the number of e-mails sent."""
    now = now or timezone.now()
    today_began = _start_of_day(now)
    pending = sorted(set(Notification.objects.unsent().values_list("recipient_id", "kind")))
    sent = 0
    for recipient_id, kind in pending:
        try:
            with transaction.atomic():
                waiting = Notification.objects.unsent().filter(recipient_id=recipient_id, kind=kind)
                if (
                    Notification.objects.sent()
                    .filter(recipient_id=recipient_id, kind=kind, sent_at__gte=today_began)
                    .exists()
                    and not waiting.filter(key__contains=MANUAL).exists()
                ):
                    continue
                items = list(
                    waiting.select_for_update(skip_locked=True).order_by("created_at", "pk")
                )
                if not items:
                    continue
                recipient = get_user_model().objects.get(pk=recipient_id)
                if not recipient.is_active or not recipient.email:
                    continue
                if kind not in enabled_kinds(recipient):
                    continue
                _message(recipient, kind, items).send()
                Notification.objects.filter(pk__in=[item.pk for item in items]).update(sent_at=now)
                sent += 1
        except Exception:
            logger.exception("notification e-mail to user %s (%s) failed", recipient_id, kind)
    return sent


# --- preferences ---------------------------------------------------------------------------


@transaction.atomic
def preferences_set(*, user: User, enabled_kinds: Iterable[str]) -> set[str]:
    """Switch every kind in `enabled_kinds` on and every other kind off for `user`."""
    enabled = set(enabled_kinds) & set(Kind.values)
    for kind in Kind.values:
        Preference.objects.update_or_create(
            user=user, kind=kind, defaults={"enabled": kind in enabled}
        )
    return enabled


# --- reminders -----------------------------------------------------------------------------


def reminder_plan_for(round: FollowUpRound) -> RoundReminderPlan:
    """The round's reminder plan, made with the defaults the first time it is asked for."""
    plan, _created = RoundReminderPlan.objects.get_or_create(round=round)
    return plan


def _require_secretariat(actor: User) -> None:
    if not access_for(actor).is_secretariat:
        raise PermissionDenied(MSG_SECRETARIAT_ONLY)


@transaction.atomic
def reminder_plan_update(
    *, round: FollowUpRound, actor: User, days_before: str, grace_days: int
) -> RoundReminderPlan:
    _require_secretariat(actor)
    days = parse_days_before(days_before)
    plan = reminder_plan_for(round)
    plan.days_before = ",".join(str(d) for d in days)
    plan.grace_days = grace_days
    plan.full_clean()
    plan.save()
    return plan


def waiting_departments(round: FollowUpRound) -> list[tuple[Department, int]]:
    """The active departments the round still waits for, each with how many follow-ups
    (Danish order)."""
    counts = dict(
        FollowUp.objects.for_report(round.report)
        .unanswered_in(round)
        .filter(department__isnull=False)
        .values_list("department_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    departments = Department.objects.filter(pk__in=counts, active=True)
    return sorted(
        ((d, counts[d.pk]) for d in departments), key=lambda item: danish_key(item[0].name)
    )


def _round_context(round: FollowUpRound, department: Department, waiting: int, **extra):
    return {"round": round, "department": department, "waiting": waiting, **extra}


def _remind(
    *,
    kind: str,
    round: FollowUpRound,
    department: Department,
    waiting: int,
    key: str,
    recipients: list[User],
    actor: User | None = None,
    **extra: Any,
) -> list[User]:
    return notifications_record(
        kind=kind,
        recipients=recipients,
        key=key,
        url=round.get_absolute_url(),
        context=_round_context(round, department, waiting, **extra),
        visible=sees_round(round, department),
        actor=actor,
        round=round,
        department=department,
        send=False,
    )


def round_reminders(*, round: FollowUpRound, today: datetime.date) -> list[User]:
    """The reminders `round` is due on `today` (each recorded once, whenever it runs)."""
    plan = reminder_plan_for(round)
    deadline = round.deadline
    reminded: list[User] = []
    due = [d for d in plan.offsets if deadline - datetime.timedelta(days=d) <= today <= deadline]
    overdue_for = (today - deadline).days
    for department, waiting in waiting_departments(round):
        if due:
            # Only the nearest: a first run the day before the deadline sends one reminder.
            days = min(due)
            reminded += _remind(
                kind=Kind.DEADLINE_SOON,
                round=round,
                department=department,
                waiting=waiting,
                key=f"deadline_soon:{round.pk}:{department.pk}:{days}",
                recipients=case_officers(department),
                days_left=(deadline - today).days,
            )
        if overdue_for > 0:
            reminded += _remind(
                kind=Kind.OVERDUE,
                round=round,
                department=department,
                waiting=waiting,
                key=f"overdue:{round.pk}:{department.pk}",
                recipients=managers(department),
            )
        if overdue_for > plan.grace_days:
            reminded += _remind(
                kind=Kind.OVERDUE_SECRETARIAT,
                round=round,
                department=department,
                waiting=waiting,
                key=f"overdue_secretariat:{round.pk}:{department.pk}",
                recipients=secretariat(),
                grace_days=plan.grace_days,
            )
    return reminded


@transaction.atomic
def reminders_send(*, today: datetime.date | None = None) -> int:
    """Record the reminders every open round is due today and queue the sending (safe to
    run as often as wanted: a reminder's key is recorded once). Returns how many were
    recorded."""
    today = today or timezone.localdate()
    recorded = 0
    for round in FollowUpRound.objects.open().select_related("report").order_by("pk"):
        recorded += len(round_reminders(round=round, today=today))
    send_after_commit()
    return recorded


@transaction.atomic
def round_remind_now(
    *, round: FollowUpRound, actor: User, today: datetime.date | None = None
) -> int:
    """The secretariat's "send reminder now": the departments the round waits for are
    reminded (case officers up to the deadline, managers after it), at most once a day.
    Returns how many people a reminder was recorded for."""
    _require_secretariat(actor)
    if not round.is_open:
        raise ServiceError(MSG_ROUND_NOT_OPEN)
    today = today or timezone.localdate()
    before = today <= round.deadline
    people: set[int] = set()
    for department, waiting in waiting_departments(round):
        kind = Kind.DEADLINE_SOON if before else Kind.OVERDUE
        users = _remind(
            kind=kind,
            round=round,
            department=department,
            waiting=waiting,
            key=f"{kind}:{round.pk}:{department.pk}{MANUAL}{today.isoformat()}",
            recipients=case_officers(department) if before else managers(department),
            actor=actor,
            days_left=(round.deadline - today).days,
        )
        people |= {user.pk for user in users}
    send_after_commit()
    return len(people)


def reminder_record(round: FollowUpRound) -> list[dict[str, Any]]:
    """For the round page: per department the round waits for or has reminded, the date
    each kind of reminder was last sent and whether one waits to be sent."""
    rows: dict[int, dict[str, Any]] = {
        department.pk: {"department": department, "waiting": waiting, "sent": {}, "pending": False}
        for department, waiting in waiting_departments(round)
    }
    reminders = Notification.objects.reminders().filter(round=round, department__isnull=False)
    last_sent = (
        reminders.sent()
        .values_list("department_id", "kind")
        .annotate(last=Max("sent_at"))
        .order_by()
    )
    pending = set(reminders.unsent().values_list("department_id", flat=True).distinct())
    missing = ({d for d, _k, _l in last_sent} | pending) - set(rows)
    for department in Department.objects.filter(pk__in=missing):
        rows[department.pk] = {"department": department, "waiting": 0, "sent": {}, "pending": False}
    for department_id, kind, last in last_sent:
        rows[department_id]["sent"][kind] = timezone.localtime(last).date()
    for department_id in pending:
        rows[department_id]["pending"] = True
    for row in rows.values():
        row["last"] = [(kind, row["sent"][kind]) for kind in REMINDER_KINDS if kind in row["sent"]]
    return sorted(rows.values(), key=lambda row: danish_key(row["department"].name))
