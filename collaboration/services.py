"""Writes to comments and attachments: who may write them, history rows, events."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collaboration.files import check_file, check_size
from collaboration.models import ORIGINAL_NAME_MAX_LENGTH, Attachment, Comment
from core import events
from core.errors import ServiceError
from core.history import save_tracked
from core.text import normalise_newlines
from departments.access import access_for
from followups.models import FollowUp, StatusUpdate
from followups.permissions import FollowUpPermissions
from recommendations.models import Recommendation

MSG_ONE_TARGET = _("A comment is on either a follow-up or a recommendation.")
MSG_COMMENT_EMPTY = _("Write a comment.")
MSG_READ_ONLY = _("Council members can read comments but not write them.")
MSG_NOT_VISIBLE = _("You cannot see this follow-up or recommendation.")
MSG_ONLY_SECRETARIAT_MARKS = _("Only the secretariat can choose comments for the council's report.")
MSG_NO_ATTACH_PERMISSION = _(
    "Only the department's own staff and the secretariat can attach files to this follow-up."
)
MSG_STATUS_OTHER_FOLLOWUP = _("The status belongs to another follow-up.")
MSG_STATUS_ROUND_NOT_OPEN = _(
    "Files can be attached to a status only while its round is open. Attach it to the "
    "follow-up instead."
)
MSG_NO_REMOVE_PERMISSION = _(
    "Only the person who attached the file or the secretariat can remove it."
)
MSG_ALREADY_REMOVED = _("The file has already been removed.")

# "@sara" mentions the user "sara"; Django usernames also hold . + - (a final dot ends a
# sentence, not a name).
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]+)")
MAX_MENTIONS = 20


def _can_see(user, *, followup: FollowUp | None, recommendation: Recommendation | None) -> bool:
    if followup is not None:
        return FollowUp.objects.visible_to(user).filter(pk=followup.pk).exists()
    if recommendation is None:
        return False
    return Recommendation.objects.visible_to(user).filter(pk=recommendation.pk).exists()


def mentioned_users(
    text: str, *, followup: FollowUp | None, recommendation: Recommendation | None, actor: User
) -> list[User]:
    """The active users named `@username` in `text` who can see the commented object (not
    the author), in the order first named."""
    names: list[str] = []
    for match in MENTION.finditer(text):
        name = match.group(1).rstrip(".-")
        if name and name not in names:
            names.append(name)
    if not names:
        return []
    users = {
        u.username: u
        for u in get_user_model()
        .objects.filter(username__in=names[:MAX_MENTIONS], is_active=True)
        .exclude(pk=actor.pk)
    }
    return [
        users[name]
        for name in names
        if name in users and _can_see(users[name], followup=followup, recommendation=recommendation)
    ]


@transaction.atomic
def comment_add(
    *,
    actor: User,
    followup: FollowUp | None = None,
    recommendation: Recommendation | None = None,
    text: str,
    for_council: bool = False,
) -> Comment:
    """A comment in the thread of a follow-up or a recommendation; `@username` mentions
    those who can see it (the event `comment_added` names them)."""
    if (followup is None) == (recommendation is None):
        raise ServiceError(MSG_ONE_TARGET)
    if not _can_see(actor, followup=followup, recommendation=recommendation):
        raise PermissionDenied(MSG_NOT_VISIBLE)
    access = access_for(actor)
    if access.is_read_only:
        raise PermissionDenied(MSG_READ_ONLY)
    if for_council and not access.is_secretariat:
        raise PermissionDenied(MSG_ONLY_SECRETARIAT_MARKS)
    text = normalise_newlines(text or "").strip()
    if not text:
        raise ServiceError(MSG_COMMENT_EMPTY, on_field="text")
    comment = Comment(
        followup=followup,
        recommendation=recommendation,
        author=actor,
        text=text,
        for_council=for_council,
    )
    save_tracked(comment, actor=actor)
    mentioned = mentioned_users(text, followup=followup, recommendation=recommendation, actor=actor)
    events.emit("comment_added", comment=comment, actor=actor, mentioned=mentioned)
    return comment


@transaction.atomic
def comment_mark_for_council(*, comment: Comment, actor: User, for_council: bool) -> Comment:
    """Show the comment in the council's report (or stop showing it): the secretariat only."""
    if not access_for(actor).is_secretariat:
        raise PermissionDenied(MSG_ONLY_SECRETARIAT_MARKS)
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    if locked.for_council == for_council:
        return locked
    locked.for_council = for_council
    locked.version += 1
    save_tracked(locked, actor=actor, update_fields=["for_council", "version"])
    return locked


def _original_name(name: str) -> str:
    # Only the last path part, as browsers send it; kept for display and the download name.
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "fil"
    if len(base) <= ORIGINAL_NAME_MAX_LENGTH:
        return base
    stem, dot, extension = base.rpartition(".")
    keep = ORIGINAL_NAME_MAX_LENGTH - len(extension) - 1
    return f"{stem[:keep]}.{extension}" if dot and keep > 0 else base[:ORIGINAL_NAME_MAX_LENGTH]


@transaction.atomic
def attachment_add(
    *,
    actor: User,
    followup: FollowUp,
    status_update: StatusUpdate | None = None,
    uploaded_file: UploadedFile,
) -> Attachment:
    """Attach a checked file to the follow-up (or to its status in an open round)."""
    permissions = FollowUpPermissions.of(actor, followup)
    if not _can_see(actor, followup=followup, recommendation=None):
        raise PermissionDenied(MSG_NOT_VISIBLE)
    if not permissions.is_editor:
        raise PermissionDenied(MSG_NO_ATTACH_PERMISSION)
    if status_update is not None:
        if status_update.followup_id != followup.pk:
            raise ServiceError(MSG_STATUS_OTHER_FOLLOWUP)
        if not status_update.round.is_open:
            raise ServiceError(MSG_STATUS_ROUND_NOT_OPEN)
    name = _original_name(uploaded_file.name or "")
    check_size(name, uploaded_file.size or 0)
    uploaded_file.seek(0)
    data = uploaded_file.read()
    content_type = check_file(name, data)
    attachment = Attachment(
        followup=followup,
        status_update=status_update,
        original_name=name,
        content_type=content_type,
        size=len(data),
        uploaded_by=actor,
    )
    attachment.file.save(name, ContentFile(data), save=False)
    stored = attachment.file.name or ""
    try:
        save_tracked(attachment, actor=actor)
    except Exception:
        attachment.file.storage.delete(stored)
        raise
    events.emit("attachment_added", attachment=attachment, actor=actor)
    return attachment


@transaction.atomic
def attachment_remove(*, attachment: Attachment, actor: User) -> Attachment:
    """Take the file off the follow-up: the row, its history and the stored file are kept."""
    locked = Attachment.objects.select_for_update().get(pk=attachment.pk)
    access = access_for(actor)
    if not (access.is_secretariat or locked.uploaded_by_id == actor.pk):
        raise PermissionDenied(MSG_NO_REMOVE_PERMISSION)
    if locked.removed_at is not None:
        raise ServiceError(MSG_ALREADY_REMOVED)
    locked.removed_at = timezone.now()
    locked.removed_by = actor
    save_tracked(locked, actor=actor, update_fields=["removed_at", "removed_by"])
    return locked


def comments_and_files_move(*, followup: FollowUp, into: FollowUp, actor: User) -> None:
    """Before `followup` is deleted by joining `into` (followup_place), its comments and
    files move to `into`, each with a history row; run inside the placement's transaction."""
    for comment in Comment.objects.select_for_update().filter(followup=followup):
        comment.followup = into
        comment.version += 1
        save_tracked(comment, actor=actor, update_fields=["followup", "version"])
    for attachment in Attachment.objects.select_for_update().filter(followup=followup):
        attachment.followup = into
        save_tracked(attachment, actor=actor, update_fields=["followup"])


def status_files_move(*, update: StatusUpdate, into: StatusUpdate, actor: User) -> None:
    """Before the status `update` is deleted because `into` (the department's own status in
    that round) stands, the files documenting it move to `into`."""
    for attachment in Attachment.objects.select_for_update().filter(status_update=update):
        attachment.status_update = into
        save_tracked(attachment, actor=actor, update_fields=["status_update"])
