"""The pages: sections on the follow-up and recommendation pages, POST-only writes with 422
on bad input, the access-checked download, and the council's report."""

import pytest
from django.urls import reverse

from collaboration import services
from collaboration.files import MSG_FILE_CONTENT
from collaboration.models import Attachment, Comment
from tests import factories
from tests.collaboration.conftest import as_upload, pdf

pytestmark = pytest.mark.django_db


def test_followup_page_shows_comments_and_attachments(client, approved_followup, officer):
    services.comment_add(actor=officer, followup=approved_followup, text="- Første punkt")
    attachment = services.attachment_add(
        actor=officer, followup=approved_followup, uploaded_file=pdf("Referat.pdf")
    )
    client.force_login(officer)
    page = client.get(approved_followup.get_absolute_url()).content.decode()
    assert "<li>Første punkt</li>" in page
    assert attachment.get_absolute_url() in page and "Referat.pdf" in page
    assert 'enctype="multipart/form-data"' in page


def test_comment_text_is_escaped(client, approved_followup, officer):
    services.comment_add(actor=officer, followup=approved_followup, text="<script>x</script>")
    client.force_login(officer)
    page = client.get(approved_followup.get_absolute_url()).content.decode()
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page


def test_add_comment_and_mark_it(client, approved_followup, officer, secretariat):
    client.force_login(officer)
    url = reverse("collaboration:followup_comment_add", args=[approved_followup.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"text": "Godt arbejde"})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    mark = reverse("collaboration:comment_mark", args=[comment.pk])
    assert client.post(mark, {"for_council": "on"}).status_code == 403
    client.force_login(secretariat)
    assert client.post(mark, {"for_council": "on"}).status_code == 302
    comment.refresh_from_db()
    assert comment.for_council


def test_empty_comment_is_422_in_danish_and_writes_nothing(client, approved_followup, officer):
    client.force_login(officer)
    url = reverse("collaboration:followup_comment_add", args=[approved_followup.pk])
    response = client.post(url, {"text": "   "}, HTTP_ACCEPT_LANGUAGE="da")
    assert response.status_code == 422
    assert not Comment.objects.exists()
    assert "Der er et problem" in response.content.decode()


def test_other_department_gets_404_on_comments_and_download(
    client, approved_followup, officer, other_officer
):
    comment = services.comment_add(actor=officer, followup=approved_followup, text="Hemmeligt")
    attachment = services.attachment_add(
        actor=officer, followup=approved_followup, uploaded_file=pdf()
    )
    client.force_login(other_officer)
    for url in [
        approved_followup.get_absolute_url(),
        reverse("collaboration:download", args=[attachment.pk]),
    ]:
        assert client.get(url).status_code == 404
    for url, data in [
        (reverse("collaboration:followup_comment_add", args=[approved_followup.pk]), {"text": "x"}),
        (reverse("collaboration:comment_mark", args=[comment.pk]), {"for_council": "on"}),
        (reverse("collaboration:attachment_add", args=[approved_followup.pk]), {}),
        (reverse("collaboration:attachment_remove", args=[attachment.pk]), {}),
    ]:
        assert client.post(url, data).status_code == 404
    assert Comment.objects.count() == 1
    assert Attachment.objects.current().count() == 1


def test_council_member_reads_but_cannot_comment(client, approved_followup, officer, council):
    services.comment_add(actor=officer, followup=approved_followup, text="Læsbar")
    client.force_login(council)
    page = client.get(approved_followup.get_absolute_url()).content.decode()
    assert "Læsbar" in page
    assert reverse("collaboration:followup_comment_add", args=[approved_followup.pk]) not in page
    url = reverse("collaboration:followup_comment_add", args=[approved_followup.pk])
    assert client.post(url, {"text": "x"}).status_code == 403
    assert Comment.objects.count() == 1


def test_recommendation_page_has_its_thread(client, plan, officer):
    client.force_login(officer)
    url = reverse("collaboration:recommendation_comment_add", args=[plan.recommendation.pk])
    assert client.post(url, {"text": "Om anbefalingen"}).status_code == 302
    page = client.get(plan.recommendation.get_absolute_url()).content.decode()
    assert "Om anbefalingen" in page and url in page


def test_upload_and_download_headers(client, approved_followup, officer):
    client.force_login(officer)
    url = reverse("collaboration:attachment_add", args=[approved_followup.pk])
    response = client.post(url, {"file": pdf("Møde referat.pdf"), "target": "followup"})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    download = client.get(attachment.get_absolute_url())
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''M%C3%B8de%20referat.pdf" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == factories.PDF_BYTES


def test_refused_upload_is_422_in_danish_and_writes_nothing(
    client, approved_followup, officer, caplog
):
    client.force_login(officer)
    url = reverse("collaboration:attachment_add", args=[approved_followup.pk])
    response = client.post(url, {"file": as_upload("falsk.pdf", b"GIF89a"), "target": "followup"})
    assert response.status_code == 422
    assert not Attachment.objects.exists()
    body = response.content.decode()
    assert "falsk.pdf" in body
    assert str(MSG_FILE_CONTENT) % {"file": "falsk.pdf", "kind": "PDF"} in body
    [line] = [r.getMessage() for r in caplog.records if r.name == "opfoelgning.security"]
    assert line.startswith(f"attachment_refused user_id={officer.pk} file='falsk.pdf'")


def test_upload_to_the_open_status(client, approved_followup, status, officer):
    client.force_login(officer)
    page = client.get(approved_followup.get_absolute_url()).content.decode()
    assert f'value="{status.pk}"' in page
    url = reverse("collaboration:attachment_add", args=[approved_followup.pk])
    assert client.post(url, {"file": pdf(), "target": str(status.pk)}).status_code == 302
    assert Attachment.objects.get().status_update == status


def test_remove(client, approved_followup, officer):
    attachment = services.attachment_add(
        actor=officer, followup=approved_followup, uploaded_file=pdf()
    )
    client.force_login(officer)
    url = reverse("collaboration:attachment_remove", args=[attachment.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert client.get(attachment.get_absolute_url()).status_code == 404


def test_report_lists_attachments_and_only_marked_comments(
    client, approved_followup, officer, secretariat
):
    attachment = services.attachment_add(
        actor=officer, followup=approved_followup, uploaded_file=pdf("Evaluering.pdf")
    )
    marked = services.comment_add(actor=officer, followup=approved_followup, text="Til byrådet")
    services.comment_mark_for_council(comment=marked, actor=secretariat, for_council=True)
    services.comment_add(actor=officer, followup=approved_followup, text="Internt notat")
    client.force_login(officer)
    year = approved_followup.recommendation.report.year
    page = client.get(reverse("reports:preview", args=[year])).content.decode()
    assert f'href="{attachment.get_absolute_url()}">Evaluering.pdf</a>' in page
    assert "Til byrådet" in page
    assert "Internt notat" not in page

    from reports.documents import document_html
    from reports.tables import build_table

    table = build_table(report=approved_followup.recommendation.report, user=officer)
    html = document_html(table)
    assert "Bilag: Evaluering.pdf" in html
    assert attachment.get_absolute_url() not in html
    assert "Til byrådet" in html and "Internt notat" not in html


def test_report_data_version_changes_with_a_file(approved_followup, officer):
    from reports.tables import build_table

    report = approved_followup.recommendation.report
    before = build_table(report=report, user=officer).data_version()
    services.attachment_add(actor=officer, followup=approved_followup, uploaded_file=pdf())
    assert build_table(report=report, user=officer).data_version() != before


def test_report_as_it_stood_lists_the_files_and_comments_of_then(
    approved_followup, officer, secretariat
):
    from django.utils import timezone

    from reports.tables import build_table

    kept = services.attachment_add(
        actor=officer, followup=approved_followup, uploaded_file=pdf("Før.pdf")
    )
    comment = services.comment_add(actor=officer, followup=approved_followup, text="Dengang")
    services.comment_mark_for_council(comment=comment, actor=secretariat, for_council=True)
    then = timezone.now()
    services.attachment_remove(attachment=kept, actor=officer)
    services.comment_mark_for_council(comment=comment, actor=secretariat, for_council=False)
    services.attachment_add(actor=officer, followup=approved_followup, uploaded_file=pdf("Ny.pdf"))
    report = approved_followup.recommendation.report

    def shown(**kwargs):
        table = build_table(report=report, user=officer, **kwargs)
        [(_s, _g, row)] = list(table.recommendation_rows())
        [cell] = row.followups
        return [a.name for a in cell.attachments], [c.text for c in cell.comments]

    assert shown(as_of=then) == (["Før.pdf"], ["Dengang"])
    assert shown() == (["Ny.pdf"], [])
    assert shown(as_of=timezone.now()) == (["Ny.pdf"], [])


def test_admin_lists_comments_and_attachments_read_only(client, approved_followup, officer):
    comment = services.comment_add(actor=officer, followup=approved_followup, text="Hej")
    attachment = services.attachment_add(
        actor=officer, followup=approved_followup, uploaded_file=pdf()
    )
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    for name, obj in [("comment", comment), ("attachment", attachment)]:
        assert client.get(reverse(f"admin:collaboration_{name}_changelist")).status_code == 200
        change = reverse(f"admin:collaboration_{name}_change", args=[obj.pk])
        assert client.get(change).status_code == 200
        assert client.get(reverse(f"admin:collaboration_{name}_add")).status_code == 403
    changelist = reverse("admin:collaboration_comment_changelist")
    response = client.post(
        changelist, {"action": "mark_for_council", "_selected_action": [comment.pk]}
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.for_council
