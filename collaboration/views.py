"""Comments and attachments: the sections on the follow-up and recommendation pages
(collaboration.parts), their POST-only writes and the access-checked download."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from collaboration import services
from collaboration.files import FileRefused, max_bytes
from collaboration.forms import TARGET_FOLLOWUP, AttachmentForm, CommentForm, CouncilMarkForm
from collaboration.models import Attachment, Comment
from collaboration.parts import (
    comment_context,
    followup_attachment_context,
    open_status_of,
    status_label,
)
from core.errors import ServiceError
from core.viewhelpers import AuthenticatedHttpRequest, call_service
from followups.models import FollowUp
from recommendations.models import Recommendation

security_log = logging.getLogger("opfoelgning.security")

MSG_COMMENT_ADDED = _("Your comment was added.")
MSG_MARKED = _("The comment will be shown in the council's report.")
MSG_UNMARKED = _("The comment is no longer shown in the council's report.")
MSG_ATTACHED = _("The file %(name)s was attached.")
MSG_REMOVED = _("The file %(name)s was removed.")


def _followup_or_404(request: HttpRequest, pk: int) -> FollowUp:
    """Another department's follow-up does not exist for this user (404)."""
    return get_object_or_404(
        FollowUp.objects.visible_to(request.user).select_related(
            "recommendation__report", "recommendation__theme", "department"
        ),
        pk=pk,
    )


def _comment_refused(request: HttpRequest, target, form: CommentForm) -> HttpResponse:
    """The thread again with the form and its error, nothing written (422)."""
    context = comment_context(request, target, form=form)
    return render(
        request,
        "collaboration/comment_page.html",
        {"part_context": context, "target": target},
        status=422,
    )


def _add_comment(request: HttpRequest, target, **where) -> HttpResponse:
    form = CommentForm(request.POST)
    if form.is_valid():
        comment = call_service(
            form,
            services.comment_add,
            actor=request.user,
            text=form.cleaned_data["text"],
            **where,
        )
        if comment is not None:
            messages.success(request, MSG_COMMENT_ADDED)
            return redirect(comment.get_absolute_url())
    return _comment_refused(request, target, form)


@login_required
@require_POST
def followup_comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    followup = _followup_or_404(request, pk)
    return _add_comment(request, followup, followup=followup)


@login_required
@require_POST
def recommendation_comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    recommendation = get_object_or_404(
        Recommendation.objects.visible_to(request.user).select_related("report", "theme"), pk=pk
    )
    return _add_comment(request, recommendation, recommendation=recommendation)


@login_required
@require_POST
def comment_mark(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    comment = get_object_or_404(Comment.objects.visible_to(request.user), pk=pk)
    form = CouncilMarkForm(request.POST)
    form.is_valid()  # a missing or odd value reads as "not for the council"
    marked = services.comment_mark_for_council(
        comment=comment, actor=request.user, for_council=form.cleaned_data.get("for_council", False)
    )
    messages.success(request, MSG_MARKED if marked.for_council else MSG_UNMARKED)
    return redirect(marked.get_absolute_url())


@login_required
@require_POST
def attachment_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    followup = _followup_or_404(request, pk)
    status = open_status_of(request.user, followup)
    choices = [(str(status.pk), status_label(status))] if status is not None else []
    form = AttachmentForm(
        request.POST,
        request.FILES,
        status_choices=choices,
        limit_mb=max_bytes() // (1024 * 1024),
    )
    if form.is_valid():
        target = form.cleaned_data["target"]
        upload = form.cleaned_data["file"]
        try:
            attachment = services.attachment_add(
                actor=request.user,
                followup=followup,
                status_update=status if status is not None and target != TARGET_FOLLOWUP else None,
                uploaded_file=upload,
            )
        except FileRefused as exc:
            security_log.warning(
                "attachment_refused user_id=%s file=%r reason=%r",
                request.user.pk,
                upload.name,
                exc.message,
            )
            form.add_error("file", exc.message)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, MSG_ATTACHED % {"name": attachment.original_name})
            return redirect(followup.get_absolute_url() + "#attachments-heading")
    context = followup_attachment_context(request, followup, form=form)
    return render(
        request,
        "collaboration/attachment_page.html",
        {"part_context": context, "followup": followup},
        status=422,
    )


@login_required
@require_POST
def attachment_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(
        Attachment.objects.visible_to(request.user).current().select_related("followup"), pk=pk
    )
    services.attachment_remove(attachment=attachment, actor=request.user)
    messages.success(request, MSG_REMOVED % {"name": attachment.original_name})
    return redirect(attachment.followup.get_absolute_url() + "#attachments-heading")


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """The file as a download, never shown inline, with the type its content was checked as;
    another department's file (or a removed one) does not exist for the user (404)."""
    attachment = get_object_or_404(Attachment.objects.visible_to(request.user).current(), pk=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
