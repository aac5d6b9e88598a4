"""What each domain event (core.events) tells whom: the handlers record notifications for
the people concerned who may see the object; the sending task mails them after the commit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from core import events
from followups.models import FollowUp, FollowUpRound
from notifications import services
from notifications.models import Kind
from recommendations.models import Recommendation


# Atomic: all of an event's notifications are recorded before the sending task runs.
@transaction.atomic
def round_opened(*, round: FollowUpRound, actor=None, **_payload: Any) -> None:
    """The case officers of every department with tasks in the round: their tasks, the
    deadline."""
    for department, tasks in services.waiting_departments(round):
        services.notifications_record(
            kind=Kind.ROUND_OPENED,
            recipients=services.case_officers(department),
            key=f"round_opened:{round.pk}:{department.pk}",
            url=round.get_absolute_url(),
            context={"round": round, "department": department, "waiting": tasks},
            visible=services.sees_round(round, department),
            actor=actor,
            round=round,
            department=department,
        )


def _about_followup(kind: str, followup: FollowUp, recipients, actor, **context: Any) -> None:
    services.notifications_record(
        kind=kind,
        recipients=recipients,
        # The version is raised by every step: a follow-up submitted again is new news.
        key=f"{kind}:{followup.pk}:{followup.version}",
        url=followup.get_absolute_url(),
        context={"followup": followup, **context},
        visible=services.sees_followup(followup),
        actor=actor,
    )


def _author_or_officers(followup: FollowUp) -> list:
    author = services.last_submitter(followup)
    if author is not None:
        return [author]
    return services.case_officers(followup.department) if followup.department else []


@transaction.atomic
def followup_submitted(*, followup: FollowUp, actor=None, **_payload: Any) -> None:
    if followup.department is None:
        return
    _about_followup(Kind.SUBMITTED, followup, services.approvers(followup.department), actor)


@transaction.atomic
def followup_returned(*, followup: FollowUp, actor=None, comment: str = "", **_p: Any) -> None:
    _about_followup(
        Kind.RETURNED,
        followup,
        _author_or_officers(followup),
        actor,
        comment=comment or followup.return_comment,
    )


@transaction.atomic
def followup_approved(*, followup: FollowUp, actor=None, **_payload: Any) -> None:
    _about_followup(Kind.APPROVED, followup, _author_or_officers(followup), actor)


@transaction.atomic
def followup_placed(*, followup: FollowUp, actor=None, **_payload: Any) -> None:
    if followup.department is None:
        return
    services.notifications_record(
        kind=Kind.PLACED,
        recipients=services.case_officers(followup.department),
        key=f"placed:{followup.pk}:{followup.department_id}",
        url=followup.get_absolute_url(),
        context={"followup": followup},
        visible=services.sees_followup(followup),
        actor=actor,
    )


@transaction.atomic
def followup_assigned(*, followup: FollowUp, actor=None, **_payload: Any) -> None:
    assignee_id = followup.assignee_id
    if assignee_id is None:
        return
    assignee = get_user_model().objects.filter(pk=assignee_id).first()
    if assignee is None:
        return
    services.notifications_record(
        kind=Kind.ASSIGNED,
        recipients=[assignee],
        key=f"assigned:{followup.pk}:{assignee_id}:{followup.version}",
        url=followup.get_absolute_url(),
        context={"followup": followup},
        visible=services.sees_followup(followup),
        actor=actor,
    )


def _comment_target(comment) -> FollowUp | Recommendation | None:
    for name in ("followup", "recommendation", "target", "content_object"):
        target = getattr(comment, name, None)
        if isinstance(target, FollowUp | Recommendation):
            return target
    return None


def _sees(target: FollowUp | Recommendation):
    if isinstance(target, FollowUp):
        return services.sees_followup(target)
    return lambda user: Recommendation.objects.visible_to(user).filter(pk=target.pk).exists()


@transaction.atomic
def comment_added(*, comment, actor=None, mentioned=(), **_payload: Any) -> None:
    """The users the comment mentions, if they may see what it is written on."""
    target = _comment_target(comment)
    if target is None or not mentioned:
        return
    url = (
        comment.get_absolute_url()
        if hasattr(comment, "get_absolute_url")
        else f"{target.get_absolute_url()}#comment-{comment.pk}"
    )
    services.notifications_record(
        kind=Kind.MENTIONED,
        recipients=list(mentioned),
        key=f"mentioned:{comment.pk}",
        url=url,
        context={
            "comment": comment,
            "text": getattr(comment, "text", "") or getattr(comment, "body", ""),
            "target": target,
            "followup": target if isinstance(target, FollowUp) else None,
        },
        visible=_sees(target),
        actor=actor,
    )


HANDLERS: dict[str, Callable[..., object]] = {
    "round_opened": round_opened,
    "followup_submitted": followup_submitted,
    "followup_approved": followup_approved,
    "followup_returned": followup_returned,
    "followup_placed": followup_placed,
    "followup_assigned": followup_assigned,
    "comment_added": comment_added,
}


def register() -> None:
    for name, handler in HANDLERS.items():
        events.on(name, handler)
