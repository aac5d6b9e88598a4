"""The database's own rules for comments and attachments, and who sees them."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from collaboration.models import Attachment, Comment
from core.text import TEXT_MAX_LENGTH
from tests.factories import AttachmentFactory, CommentFactory, RecommendationFactory

pytestmark = pytest.mark.django_db


def test_a_comment_has_exactly_one_target(approved_followup, officer):
    rec = approved_followup.recommendation
    for followup, recommendation in [(None, None), (approved_followup, rec)]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Comment.objects.create(
                followup=followup, recommendation=recommendation, author=officer, text="x"
            )


def test_comment_text_length_is_limited_in_the_database(approved_followup, officer):
    with pytest.raises(IntegrityError), transaction.atomic():
        Comment.objects.create(
            followup=approved_followup, author=officer, text="x" * (TEXT_MAX_LENGTH + 1)
        )


def test_an_attachment_cannot_be_empty_or_removed_by_no_one(approved_followup, officer):
    with pytest.raises(IntegrityError), transaction.atomic():
        AttachmentFactory(followup=approved_followup, uploaded_by=officer, size=0)
    attachment = AttachmentFactory(followup=approved_followup, uploaded_by=officer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Attachment.objects.filter(pk=attachment.pk).update(
            removed_by=None, removed_at=timezone.now()
        )


def test_comments_are_visible_by_the_objects_rule(
    approved_followup, officer, other_officer, council, secretariat
):
    on_followup = CommentFactory(followup=approved_followup)
    rec = RecommendationFactory(named=[approved_followup.department])
    on_recommendation = CommentFactory(followup=None, recommendation=rec)
    assert set(Comment.objects.visible_to(officer)) == {on_followup, on_recommendation}
    assert set(Comment.objects.visible_to(secretariat)) == {on_followup, on_recommendation}
    # The other department sees neither the follow-up nor the recommendation naming only us.
    assert set(Comment.objects.visible_to(other_officer)) == set()
    # Council members see the published plan's follow-up.
    assert on_followup in Comment.objects.visible_to(council)


def test_attachments_of_statuses_in_unpublished_rounds_are_hidden_from_the_council(
    approved_followup, status, council, officer
):
    on_followup = AttachmentFactory(followup=approved_followup)
    on_status = AttachmentFactory(followup=approved_followup, status_update=status)
    assert set(Attachment.objects.visible_to(officer)) == {on_followup, on_status}
    assert set(Attachment.objects.visible_to(council)) == {on_followup}


def test_history_rows_are_kept(approved_followup, officer):
    comment = CommentFactory(followup=approved_followup, author=officer)
    assert comment.history.count() == 1
    assert str(comment).startswith(str(officer))
