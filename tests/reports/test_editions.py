import hashlib
import io

import pypdf
import pytest
from django.http import FileResponse
from django.urls import reverse

from core.errors import ServiceError
from followups.services import round_publish
from reports.models import ReportEdition
from reports.services import edition_archive
from tests import factories


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def published(report_data, secretariat, django_capture_on_commit_callbacks):
    # The edition is rendered after the publication commits (immediate backend in tests).
    with django_capture_on_commit_callbacks(execute=True):
        round_publish(round=report_data.status_round, actor=secretariat)
    report_data.status_round.refresh_from_db()
    return ReportEdition.objects.get(round=report_data.status_round)


def test_publishing_archives_the_pdf_edition(published, report_data, secretariat):
    edition = published
    stored = edition.file.read()
    assert stored.startswith(b"%PDF")
    assert hashlib.sha256(stored).hexdigest() == edition.sha256
    assert edition.size == len(stored)
    assert edition.number == 1
    assert edition.department is None
    assert edition.created_by == secretariat
    assert edition.changes == "Første udgave."
    assert edition.history.count() == 1
    text = pdf_text(stored)
    assert "Udgave 1" in text
    assert "Telefontiden er udvidet." in text


def test_edition_needs_a_published_round(report_data, secretariat):
    with pytest.raises(ServiceError):
        edition_archive(round=report_data.status_round, actor=secretariat)


def test_download_returns_exactly_the_stored_file(client, published, council):
    client.force_login(council)
    response = client.get(reverse("reports:edition", args=[published.pk]))
    assert response.status_code == 200
    assert isinstance(response, FileResponse)
    body = b"".join(response.streaming_content)
    published.file.open("rb")
    assert body == published.file.read()
    assert hashlib.sha256(body).hexdigest() == published.sha256
    assert response["X-Content-SHA256"] == published.sha256


def test_download_serves_the_stored_file_without_rendering(client, published, council, monkeypatch):
    """A published edition is read from storage: nothing is rendered and none of the
    report's rows are queried, however large the report (its time: bench/editions.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports import documents, pdf

    def refuse(*args, **kwargs):
        raise AssertionError("a published edition must not be rendered again")

    monkeypatch.setattr(pdf, "HTML", refuse)
    monkeypatch.setattr(documents, "document_html", refuse)
    client.force_login(council)
    path = reverse("reports:edition", args=[published.pk])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
        body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert hashlib.sha256(body).hexdigest() == published.sha256
    # Only the session, access and edition rows are read, none of the report's own rows.
    report_tables = (
        '"recommendations_recommendation"',
        '"followups_followup"',
        '"followups_statusupdate"',
    )
    assert not [q for q in ctx.captured_queries if any(t in q["sql"] for t in report_tables)]


def test_editions_of_other_scopes_are_404(client, published, report_data):
    officer = factories.MembershipFactory(department=report_data.boern).user
    client.force_login(officer)
    # The whole-organisation edition holds every department's answers.
    assert client.get(reverse("reports:edition", args=[published.pk])).status_code == 404


def test_council_cannot_download_unpublished_round_edition(
    client, report_data, secretariat, council
):
    edition = edition_archive(round=report_data.plan, actor=secretariat)
    client.force_login(council)
    assert client.get(reverse("reports:edition", args=[edition.pk])).status_code == 200
    report_data.plan.state = "closed"
    report_data.plan.save()
    assert client.get(reverse("reports:edition", args=[edition.pk])).status_code == 404


def test_next_edition_marks_what_changed(published, report_data, secretariat):
    followup = report_data.dept_followup
    followup.action = "Fast skabelon, også for mails."
    followup.save()
    rec = factories.RecommendationFactory(
        report=report_data.report, number=7, text="Helt ny anbefaling."
    )
    factories.FollowUpFactory(recommendation=rec, department=report_data.boern, action="Nyt svar.")
    second = edition_archive(round=report_data.status_round, actor=secretariat)
    assert second.number == 2
    assert second.changes == "2 nye og 1 ændrede rækker siden forrige udgave."
    text = pdf_text(second.file.read())
    assert "Ændret" in text
    assert "Ny" in text
    assert second.sha256 != published.sha256
    third = edition_archive(round=report_data.status_round, actor=secretariat)
    assert third.changes == "Ingen ændringer siden forrige udgave."
    assert "Ændret" not in pdf_text(third.file.read())


def test_preview_lists_editions(client, published, secretariat):
    client.force_login(secretariat)
    html = client.get(reverse("reports:preview", args=[2031])).content.decode()
    assert reverse("reports:edition", args=[published.pk]) in html
