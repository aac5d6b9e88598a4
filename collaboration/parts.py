"""The comments and attachments sections of the follow-up and recommendation pages
(core.pageparts; registered in CollaborationConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from collaboration.files import max_bytes
from collaboration.forms import AttachmentForm, CommentForm
from collaboration.models import Attachment, Comment
from core.pageparts import PagePart
from departments.access import access_for
from followups.models import FollowUp, FollowUpRound, StatusUpdate
from followups.permissions import FollowUpPermissions
from recommendations.models import Recommendation


def open_status_of(user, followup: FollowUp) -> StatusUpdate | None:
    """The follow-up's status in the report's open status round, if it has one yet."""
    return (
        StatusUpdate.objects.filter(
            followup=followup,
            round__in=FollowUpRound.objects.visible_to(user).open().status_rounds(),
        )
        .select_related("round")
        .first()
    )


def status_label(status: StatusUpdate) -> str:
    return f"{status.round.name}: {status.get_status_display()}"


def comment_context(
    request: HttpRequest, target: FollowUp | Recommendation, *, form: CommentForm | None = None
) -> dict[str, Any]:
    """The thread of a follow-up or recommendation the user sees (the page checked that)."""
    access = access_for(request.user)
    return {
        "comments": list(
            Comment.objects.filter(
                **{"followup" if isinstance(target, FollowUp) else "recommendation": target}
            ).select_related("author")
        ),
        "comment_form": form or CommentForm(),
        "can_comment": not access.is_read_only,
        "can_mark": access.is_secretariat,
        "on_followup": isinstance(target, FollowUp),
        "target_pk": target.pk,
    }


def followup_attachment_context(
    request: HttpRequest, followup: FollowUp, *, form: AttachmentForm | None = None
) -> dict[str, Any]:
    user = request.user
    can_attach = FollowUpPermissions.of(user, followup).is_editor
    status = open_status_of(user, followup) if can_attach else None
    if form is None and can_attach:
        form = AttachmentForm(
            status_choices=[(str(status.pk), status_label(status))] if status else [],
            limit_mb=max_bytes() // (1024 * 1024),
            initial={"target": str(status.pk)} if status else None,
        )
    return {
        "attachments": list(
            Attachment.objects.visible_to(user)
            .current()
            .filter(followup=followup)
            .select_related("uploaded_by", "status_update__round")
        ),
        "attachment_form": form,
        "can_attach": can_attach,
        "is_secretariat": access_for(user).is_secretariat,
        "followup_pk": followup.pk,
    }


def followup_part(request: HttpRequest, followup: FollowUp) -> PagePart:
    return PagePart(
        "collaboration/_followup_part.html",
        {
            **comment_context(request, followup),
            **followup_attachment_context(request, followup),
        },
    )


def recommendation_part(request: HttpRequest, recommendation: Recommendation) -> PagePart:
    return PagePart(
        "collaboration/_recommendation_part.html", comment_context(request, recommendation)
    )
