"""Who may comment and attach, mentions, the council's comments and the file checks."""

import os
import stat

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction

from collaboration import services
from collaboration.files import (
    MSG_FILE_CONTENT,
    MSG_FILE_KIND,
    MSG_FILE_TOO_LARGE,
    MSG_FILE_ZIP_BOMB,
    FileRefused,
)
from collaboration.models import Attachment, Comment
from core import events
from core.errors import ServiceError
from tests import factories
from tests.collaboration.conftest import PNG_BYTES, as_upload, docx_bytes, pdf, xlsx_bytes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def received():
    """The payloads of comment_added and attachment_added, after commit."""
    seen: dict[str, list] = {"comment_added": [], "attachment_added": []}

    def handler_for(name):
        def handler(**payload):
            seen[name].append(payload)

        return handler

    handlers = {name: handler_for(name) for name in seen}
    for name, handler in handlers.items():
        events.on(name, handler)
    yield seen
    for name, handler in handlers.items():
        events._handlers[name].remove(handler)


# --- comments ------------------------------------------------------------------------------


def test_anyone_who_sees_the_followup_may_comment_with_history(
    approved_followup, officer, manager, secretariat, ombudsman
):
    for actor in (officer, manager, secretariat, ombudsman):
        comment = services.comment_add(actor=actor, followup=approved_followup, text="Hej")
        row = comment.history.get()
        assert row.history_user == actor
        assert row.history_type == "+"
    assert Comment.objects.filter(followup=approved_followup).count() == 4


def test_another_department_and_council_members_cannot_comment(
    approved_followup, other_officer, council
):
    with pytest.raises(PermissionDenied):
        services.comment_add(actor=other_officer, followup=approved_followup, text="Hej")
    with pytest.raises(PermissionDenied) as exc:
        services.comment_add(actor=council, followup=approved_followup, text="Hej")
    assert str(exc.value) == str(services.MSG_READ_ONLY)
    assert not Comment.objects.exists()


def test_comment_on_a_recommendation(plan, officer):
    comment = services.comment_add(actor=officer, recommendation=plan.recommendation, text="Ja")
    assert comment.recommendation == plan.recommendation and comment.followup is None


def test_a_comment_needs_one_target_and_text(plan, officer):
    with pytest.raises(ServiceError):
        services.comment_add(actor=officer, text="x")
    with pytest.raises(ServiceError):
        services.comment_add(
            actor=officer, followup=plan.followup, recommendation=plan.recommendation, text="x"
        )
    with pytest.raises(ServiceError) as exc:
        services.comment_add(actor=officer, followup=plan.followup, text="  \r\n ")
    assert exc.value.message == str(services.MSG_COMMENT_EMPTY)


def test_mentions_name_only_users_who_see_the_object(
    approved_followup, officer, manager, other_officer, received
):
    factories.UserFactory(username="inaktiv", is_active=False)
    text = (
        f"@{manager.username}: se venligst. @{other_officer.username} og @ukendt, "
        f"også @{manager.username}. @inaktiv @{officer.username} mail@{manager.username}"
    )
    comment = services.comment_add(actor=officer, followup=approved_followup, text=text)
    [payload] = received["comment_added"]
    assert payload["comment"] == comment
    assert payload["actor"] == officer
    # The other department cannot see the follow-up; the author is not notified of themself.
    assert payload["mentioned"] == [manager]


def test_a_rolled_back_comment_emits_nothing(approved_followup, officer, received):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.comment_add(actor=officer, followup=approved_followup, text="@x")
        raise RuntimeError
    assert received["comment_added"] == []


def test_only_the_secretariat_marks_comments_for_the_council(
    approved_followup, officer, manager, secretariat
):
    comment = services.comment_add(actor=officer, followup=approved_followup, text="Til byrådet")
    for actor in (officer, manager):
        with pytest.raises(PermissionDenied):
            services.comment_mark_for_council(comment=comment, actor=actor, for_council=True)
    with pytest.raises(PermissionDenied):
        services.comment_add(actor=officer, followup=approved_followup, text="x", for_council=True)
    marked = services.comment_mark_for_council(comment=comment, actor=secretariat, for_council=True)
    assert marked.for_council and marked.version == 2
    latest = marked.history.first()
    assert latest.for_council and latest.history_user == secretariat
    assert marked.history.count() == 2


# --- attachments ---------------------------------------------------------------------------


def test_an_editor_attaches_a_pdf_stored_privately(approved_followup, officer, received):
    attachment = services.attachment_add(
        actor=officer, followup=approved_followup, uploaded_file=pdf("Referat møde.pdf")
    )
    assert attachment.original_name == "Referat møde.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(factories.PDF_BYTES)
    # A random stored name, nothing of the user's name in the file system.
    assert attachment.file.name.startswith("attachments/")
    assert "Referat" not in attachment.file.name
    path = default_storage.path(attachment.file.name)
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o027 == 0
    assert attachment.history.get().history_user == officer
    [payload] = received["attachment_added"]
    assert payload == {"attachment": attachment, "actor": officer}


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("foto.png", PNG_BYTES, "image/png"),
        ("foto.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
        ("notat.docx", None, "wordprocessingml"),
        ("ark.xlsx", None, "spreadsheetml"),
    ],
)
def test_allowed_kinds(approved_followup, officer, name, data, content_type):
    if data is None:
        data = docx_bytes() if name.endswith("docx") else xlsx_bytes()
    attachment = services.attachment_add(
        actor=officer, followup=approved_followup, uploaded_file=as_upload(name, data)
    )
    assert content_type in attachment.content_type


def test_the_secretariat_attaches_and_others_cannot(
    approved_followup, secretariat, ombudsman, council, other_officer
):
    services.attachment_add(actor=secretariat, followup=approved_followup, uploaded_file=pdf())
    for actor in (ombudsman, council, other_officer):
        with pytest.raises(PermissionDenied):
            services.attachment_add(actor=actor, followup=approved_followup, uploaded_file=pdf())
    assert Attachment.objects.count() == 1


def refused(followup, actor, upload) -> str:
    with pytest.raises(FileRefused) as exc:
        services.attachment_add(actor=actor, followup=followup, uploaded_file=upload)
    assert not Attachment.objects.exists()
    return exc.value.message


def test_wrong_extension_is_refused(approved_followup, officer):
    message = refused(approved_followup, officer, as_upload("virus.exe", b"MZ\x90\x00"))
    assert message == str(MSG_FILE_KIND) % {"file": "virus.exe"}
    assert "docx" in refused(approved_followup, officer, as_upload("side.html", b"<html>"))


def test_right_extension_with_wrong_magic_bytes_is_refused(approved_followup, officer):
    message = refused(approved_followup, officer, as_upload("falsk.pdf", b"<script>alert(1)"))
    assert message == str(MSG_FILE_CONTENT) % {"file": "falsk.pdf", "kind": "PDF"}
    assert "falsk.png" in refused(approved_followup, officer, as_upload("falsk.png", b"%PDF-1.7"))
    assert "falsk.docx" in refused(
        approved_followup, officer, as_upload("falsk.docx", factories.PDF_BYTES)
    )


def test_too_big_is_refused(approved_followup, officer, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    message = refused(approved_followup, officer, pdf(data=b"%PDF-1.7" + b"x" * (1024 * 1024 + 1)))
    assert message == str(MSG_FILE_TOO_LARGE) % {"file": "bilag.pdf", "size": "1,0", "limit": "1,0"}


def test_zip_bomb_docx_is_refused(approved_followup, officer):
    from tests.importing.documents import zip_bomb

    message = refused(approved_followup, officer, as_upload("bombe.docx", zip_bomb()))
    assert message == str(MSG_FILE_ZIP_BOMB) % {"file": "bombe.docx"}


def test_a_docx_named_xlsx_is_refused(approved_followup, officer):
    assert "Word" in refused(approved_followup, officer, as_upload("ark.xlsx", docx_bytes()))


def test_a_status_attachment_must_be_the_followups_and_in_an_open_round(
    approved_followup, status, officer, secretariat
):
    attachment = services.attachment_add(
        actor=officer, followup=approved_followup, status_update=status, uploaded_file=pdf()
    )
    assert attachment.status_update == status
    other = factories.FollowUpFactory(department=approved_followup.department)
    with pytest.raises(ServiceError):
        services.attachment_add(
            actor=officer, followup=other, status_update=status, uploaded_file=pdf()
        )
    from followups import services as followup_services

    followup_services.round_close(round=status.round, actor=secretariat)
    status.round.refresh_from_db()
    with pytest.raises(ServiceError) as exc:
        services.attachment_add(
            actor=officer, followup=approved_followup, status_update=status, uploaded_file=pdf()
        )
    assert exc.value.message == str(services.MSG_STATUS_ROUND_NOT_OPEN)


def test_remove_by_uploader_or_secretariat_keeps_history(
    approved_followup, officer, manager, secretariat
):
    first = services.attachment_add(actor=officer, followup=approved_followup, uploaded_file=pdf())
    second = services.attachment_add(actor=manager, followup=approved_followup, uploaded_file=pdf())
    with pytest.raises(PermissionDenied):
        services.attachment_remove(attachment=second, actor=officer)
    removed = services.attachment_remove(attachment=first, actor=officer)
    assert removed.removed_by == officer and removed.is_removed
    services.attachment_remove(attachment=second, actor=secretariat)
    with pytest.raises(ServiceError):
        services.attachment_remove(attachment=second, actor=secretariat)
    assert Attachment.objects.count() == 2  # rows (and files) are kept
    assert not Attachment.objects.current().exists()
    assert [r.history_user for r in first.history.order_by("history_id")] == [officer, officer]
    assert default_storage.exists(first.file.name)
