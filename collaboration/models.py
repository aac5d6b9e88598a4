"""Comments on follow-ups and recommendations, and evidence files attached to follow-ups."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.text import TEXT_MAX_LENGTH, max_length_check
from followups.models import FollowUp, FollowUpRound, StatusUpdate
from recommendations.models import Recommendation

ORIGINAL_NAME_MAX_LENGTH = 200


class CommentQuerySet(models.QuerySet["Comment"]):
    def visible_to(self, user) -> CommentQuerySet:
        """Comments on the follow-ups and recommendations `user` may see (the objects' rule)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            Q(followup__in=FollowUp.objects.visible_to(user))
            | Q(recommendation__in=Recommendation.objects.visible_to(user))
        )

    def for_council(self) -> CommentQuerySet:
        return self.filter(for_council=True)


class Comment(models.Model):
    """One message in the thread on a follow-up or on a recommendation."""

    followup = models.ForeignKey(
        FollowUp,
        verbose_name=_("follow-up"),
        on_delete=models.PROTECT,
        related_name="comments",
        null=True,
        blank=True,
        help_text=_("The follow-up commented on (or a recommendation, never both)."),
    )
    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("recommendation"),
        on_delete=models.PROTECT,
        related_name="comments",
        null=True,
        blank=True,
        help_text=_("The recommendation commented on (or a follow-up, never both)."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who wrote the comment."),
    )
    text = models.TextField(
        _("comment"),
        max_length=TEXT_MAX_LENGTH,
        help_text=_("Lines starting with '- ' become bullets; @username mentions a colleague."),
    )
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)
    for_council = models.BooleanField(
        _("in the council's report"),
        default=False,
        help_text=_("Shown under the follow-up in the council's report (set by the secretariat)."),
    )
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Raised by every change.")
    )
    history = HistoricalRecords(excluded_fields=["version"])

    objects = CommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(followup__isnull=True, recommendation__isnull=False)
                | Q(followup__isnull=False, recommendation__isnull=True),
                name="comment_exactly_one_target",
                violation_error_message=_(
                    "A comment is on either a follow-up or a recommendation."
                ),
            ),
            models.CheckConstraint(condition=~Q(text=""), name="comment_has_text"),
            models.CheckConstraint(condition=Q(version__gte=1), name="comment_version_gte_1"),
            max_length_check("comment", "text", _("comment")),
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:60]}"

    def get_absolute_url(self) -> str:
        if self.followup_id:
            return f"{self.followup.get_absolute_url()}#comment-{self.pk}"  # type: ignore[union-attr]
        return f"{self.recommendation.get_absolute_url()}#comment-{self.pk}"  # type: ignore[union-attr]


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random name in the private folder: the original name is kept in the row only, so
    no user-chosen name reaches the file system."""
    return f"attachments/{secrets.token_hex(16)}"


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def visible_to(self, user) -> AttachmentQuerySet:
        """Files of the follow-ups `user` may see; a status's files only in rounds whose
        statuses the user sees (council members: published rounds)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(followup__in=FollowUp.objects.visible_to(user)).filter(
            Q(status_update__isnull=True)
            | Q(status_update__round__in=FollowUpRound.objects.visible_to(user))
        )

    def current(self) -> AttachmentQuerySet:
        """Not removed."""
        return self.filter(removed_at__isnull=True)


class Attachment(models.Model):
    """Evidence: a file attached to a follow-up or to one of its status updates."""

    followup = models.ForeignKey(
        FollowUp,
        verbose_name=_("follow-up"),
        on_delete=models.PROTECT,
        related_name="attachments",
        help_text=_("The follow-up the file documents."),
    )
    status_update = models.ForeignKey(
        StatusUpdate,
        verbose_name=_("status"),
        on_delete=models.PROTECT,
        related_name="attachments",
        null=True,
        blank=True,
        help_text=_("The status the file documents (empty: the follow-up as a whole)."),
    )
    file = models.FileField(
        _("file"),
        upload_to=attachment_path,
        max_length=200,
        help_text=_("Stored under a random name; downloaded only through the application."),
    )
    original_name = models.CharField(
        _("file name"),
        max_length=ORIGINAL_NAME_MAX_LENGTH,
        help_text=_("The name the file had when it was uploaded."),
    )
    content_type = models.CharField(
        _("content type"), max_length=100, help_text=_("The file's type, found from its content.")
    )
    size = models.PositiveBigIntegerField(_("size"), help_text=_("Size in bytes."))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who attached the file."),
    )
    created_at = models.DateTimeField(_("attached at"), auto_now_add=True)
    # Removing keeps the row and the file: the history shows what was attached and by whom.
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Who removed the file from the follow-up."),
    )
    history = HistoricalRecords()

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(original_name=""), name="attachment_has_name"),
            models.CheckConstraint(condition=Q(size__gt=0), name="attachment_not_empty"),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True, removed_by__isnull=True)
                | Q(removed_at__isnull=False, removed_by__isnull=False),
                name="attachment_removed_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("collaboration:download", args=[self.pk])

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None
