import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from reports import rendering
from tests import factories


def url(name, year=2031, **query):
    from urllib.parse import urlencode

    return reverse(f"reports:{name}", args=[year]) + ("?" + urlencode(query) if query else "")


@pytest.mark.parametrize("name", ["preview", "pdf", "xlsx", "csv"])
def test_login_required(client, report_data, name):
    response = client.get(url(name))
    assert response.status_code == 302
    assert "/konto/login/" in response["Location"]


@pytest.mark.parametrize("name", ["preview", "xlsx", "csv"])
def test_get_only(client, report_data, secretariat, name):
    client.force_login(secretariat)
    assert client.post(url(name)).status_code in (403, 405)


def test_preview_shows_the_table_and_download_links(client, report_data, secretariat):
    client.force_login(secretariat)
    response = client.get(url("preview", runde=report_data.status_round.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Anbefalinger og handlinger som vedrører hele organisationen" in html
    assert "Telefontiden er udvidet." in html
    assert reverse("reports:pdf", args=[2031]) in html
    assert f"runde={report_data.status_round.pk}" in html
    # The design system draws the list bullets on screen; only the PDF prints them as text.
    assert "<li>Ældreområdet udvider telefontiden.</li>" in html
    assert "<li>\u2022" not in html


def test_council_gets_404_for_an_unpublished_round(client, report_data, council):
    client.force_login(council)
    for name in ["preview", "pdf", "xlsx", "csv"]:
        assert client.get(url(name, runde=report_data.status_round.pk)).status_code == 404
        assert client.get(url(name, runde=report_data.plan.pk)).status_code == 200


def test_officer_gets_404_for_another_department(client, report_data):
    officer = factories.MembershipFactory(department=report_data.boern).user
    client.force_login(officer)
    for name in ["preview", "xlsx", "csv"]:
        assert client.get(url(name, afdeling="AEO")).status_code == 404
        assert client.get(url(name, afdeling="BU")).status_code == 200


def test_officer_export_holds_only_own_department(client, report_data):
    officer = factories.MembershipFactory(department=report_data.boern).user
    client.force_login(officer)
    text = client.get(url("csv")).content.decode("utf-8-sig")
    assert "Børn og Unge: " in text
    assert "Ældreområdet" not in text


def test_unknown_year_and_bad_parameters_are_404(client, report_data, secretariat):
    client.force_login(secretariat)
    assert client.get(url("preview", year=1999)).status_code == 404
    assert client.get(url("csv", runde="abc")).status_code == 404
    assert client.get(url("csv", afdeling="NOPE")).status_code == 404
    assert client.get(url("csv", pr="not-a-date")).status_code == 404


def test_csv_and_xlsx_downloads(client, report_data, secretariat):
    client.force_login(secretariat)
    response = client.get(url("csv", runde=report_data.status_round.pk))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    # Semicolons and a byte-order mark: Danish Excel opens it in columns, as UTF-8.
    assert response.content.startswith("\ufeff".encode())
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[1] == "Tema;Anbefaling;Opfølgning;Status"
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1] == ["Tema", "Anbefaling", "Opfølgning", "Status"]
    # ?sep=, for programs that want commas; the same cells.
    comma = client.get(url("csv", runde=report_data.status_round.pk, sep=","))
    assert list(csv.reader(io.StringIO(comma.content.decode("utf-8-sig")))) == rows
    response = client.get(url("xlsx"))
    assert response.content[:2] == b"PK"


def test_pdf_download_renders_once_per_data_version(client, report_data, secretariat, monkeypatch):
    calls = []
    original = rendering.pdf.html_to_pdf_bounded

    def counting(html, **kwargs):
        calls.append(1)
        return original(html, **kwargs)

    monkeypatch.setattr(rendering.pdf, "html_to_pdf_bounded", counting)
    client.force_login(secretariat)
    first = client.get(url("pdf"))
    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    body = b"".join(first.streaming_content)
    assert body.startswith(b"%PDF")
    second = client.get(url("pdf"))
    assert b"".join(second.streaming_content) == body
    assert len(calls) == 1
    report_data.dept_followup.action = "Ny tekst."
    report_data.dept_followup.save()
    third = client.get(url("pdf"))
    assert third.status_code == 200
    assert len(calls) == 2


@pytest.mark.django_db(transaction=True)  # the worker closes its database connection
def test_pdf_queued_shows_progress_page(client, report_data, secretariat, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(secretariat)
    response = client.get(url("pdf"))
    assert response.status_code == 302
    status_url = response["Location"]
    page = client.get(status_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert 'http-equiv="refresh"' in html
    # Asking again while it is queued waits for the same task.
    again = client.get(url("pdf"))
    assert again.status_code == 302 and again["Location"] == status_url
    # A user who sees other data may not look at this task.
    client.force_login(factories.MembershipFactory(department=report_data.boern).user)
    assert client.get(status_url).status_code == 404
    # A user who sees exactly the same data joins the same task.
    client.force_login(factories.UserFactory(roles=["secretariat"]))
    assert client.get(status_url).status_code == 200
    assert client.get(url("pdf"))["Location"] == status_url
    # The worker runs it; then the page offers the file.
    from django.core.management import call_command

    call_command("db_worker", "--batch", verbosity=0)
    client.force_login(secretariat)
    page = client.get(status_url, headers={"HX-Request": "true"})
    assert "hx-trigger" not in page.content.decode()
    assert reverse("reports:pdf", args=[2031]) in page.content.decode()
    assert client.get(url("pdf")).status_code == 200


def test_preview_as_of_a_past_date(client, report_data, secretariat):
    import datetime

    from django.utils import timezone

    from core.history import save_tracked

    followup = report_data.dept_followup
    save_tracked(followup, actor=secretariat)
    followup.action = "Senere tekst."
    save_tracked(followup, actor=secretariat)
    from followups.models import FollowUp

    later = timezone.now() + datetime.timedelta(days=3)
    FollowUp.history.filter(action="Senere tekst.").update(history_date=later)
    rec = followup.recommendation
    save_tracked(rec, actor=secretariat)
    save_tracked(rec.theme, actor=secretariat)
    save_tracked(report_data.aeldre, actor=secretariat)
    client.force_login(secretariat)
    today = timezone.localdate().isoformat()
    html = client.get(url("preview", pr=today)).content.decode()
    assert "Fast skabelon." in html
    assert "Senere tekst." not in html
    assert "Senere tekst." in client.get(url("preview")).content.decode()


def test_pdf_with_round_department_and_date(client, report_data, secretariat):
    from django.utils import timezone

    client.force_login(secretariat)
    response = client.get(
        url(
            "pdf",
            runde=report_data.status_round.pk,
            afdeling="AEO",
            pr=timezone.localdate().isoformat(),
        )
    )
    assert response.status_code == 200
    assert "rapport-2031-runde-" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")


# --- bounded PDFs: size, timeout, one rendering per content, the per-user queue --------------


def count_renderings(monkeypatch) -> list:
    calls = []
    original = rendering.pdf.html_to_pdf_bounded

    def counting(html, **kwargs):
        calls.append(1)
        return original(html, **kwargs)

    monkeypatch.setattr(rendering.pdf, "html_to_pdf_bounded", counting)
    return calls


def test_pdf_over_the_size_limit_is_refused_with_a_danish_message(
    client, report_data, secretariat, settings, monkeypatch
):
    from reports.models import ReportRendering

    calls = count_renderings(monkeypatch)
    settings.REPORT_MAX_CELLS = 4  # the report has 5
    client.force_login(secretariat)
    response = client.get(url("pdf"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "Rapporten er for stor til at blive lavet som PDF" in html
    assert "(højst 4 og" in html
    assert calls == []
    assert not ReportRendering.objects.exists()
    # The spreadsheets are not limited, and a narrower PDF fits.
    assert client.get(url("csv")).status_code == 200
    assert client.get(url("pdf", afdeling="BU")).status_code == 200


def shift_history_back(days: int) -> datetime.datetime:
    """Every history row of the fixture as if written `days` ago (a table with a past)."""
    from departments.models import Department
    from followups.models import FollowUp, FollowUpRound, StatusUpdate
    from recommendations.models import AnnualReport, Recommendation, RecommendationDepartment, Theme

    then = timezone.now() - datetime.timedelta(days=days)
    for model in (
        AnnualReport,
        Department,
        Theme,
        Recommendation,
        RecommendationDepartment,
        FollowUp,
        FollowUpRound,
        StatusUpdate,
    ):
        model.history.update(history_date=then)  # test set-up: history rows, not domain rows
    return then


def fifteen_dates(then: datetime.datetime) -> list[str]:
    first = timezone.localdate(then) + datetime.timedelta(days=1)
    return [(first + datetime.timedelta(days=n)).isoformat() for n in range(15)]


def test_fifteen_dates_with_the_same_content_are_one_rendering(
    client, report_data, council, monkeypatch
):
    calls = count_renderings(monkeypatch)
    dates = fifteen_dates(shift_history_back(60))
    client.force_login(council)
    bodies = set()
    for day in dates:
        response = client.get(url("pdf", pr=day))
        assert response.status_code == 200
        assert f"pr-{day}" in response["Content-Disposition"]  # the date asked for
        bodies.add(b"".join(response.streaming_content))
    assert len(calls) == 1
    assert len(bodies) == 1


@pytest.mark.django_db(transaction=True)  # the worker closes its database connection
def test_fifteen_dates_queue_one_rendering_for_the_worker(
    client, report_data, council, settings, monkeypatch
):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.REPORT_MAX_QUEUED_PER_USER = 1  # joining a queued rendering costs nothing
    calls = count_renderings(monkeypatch)
    dates = fifteen_dates(shift_history_back(60))
    client.force_login(council)
    locations = {client.get(url("pdf", pr=day))["Location"].split("?")[0] for day in dates}
    assert len(locations) == 1
    assert DBTaskResult.objects.count() == 1
    call_command("db_worker", "--batch", verbosity=0)
    assert len(calls) == 1
    for day in dates:
        response = client.get(url("pdf", pr=day))
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert DBTaskResult.objects.count() == 1


def test_queued_renderings_per_user_are_limited(client, report_data, secretariat, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.REPORT_MAX_QUEUED_PER_USER = 2
    client.force_login(secretariat)
    assert client.get(url("pdf")).status_code == 302
    assert client.get(url("pdf", afdeling="AEO")).status_code == 302
    # The same content again joins the queued rendering.
    assert client.get(url("pdf", afdeling="AEO")).status_code == 302
    refused = client.get(url("pdf", afdeling="BU"))
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert "Du har allerede 2 PDF&#x27;er, der venter på at blive lavet" in refused.content.decode()
    # Another user is not held up by this one's queue.
    client.force_login(factories.UserFactory(roles=["secretariat"]))
    assert client.get(url("pdf", afdeling="BU")).status_code == 302


def test_renderings_given_up_on_do_not_count_against_the_limit(
    client, report_data, secretariat, settings
):
    from reports.models import ReportRendering

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.REPORT_MAX_QUEUED_PER_USER = 1
    client.force_login(secretariat)
    status_url = client.get(url("pdf"))["Location"]
    assert client.get(url("pdf", afdeling="BU")).status_code == 429
    # Its worker died: the rendering was started long before the timeout ran out.
    ReportRendering.objects.update(
        state="running", started_at=timezone.now() - datetime.timedelta(hours=1)
    )
    page = client.get(status_url).content.decode()
    assert "PDF&#x27;en blev ikke færdig i tide" in page
    assert 'hx-trigger="every 2s"' not in page
    assert client.get(url("pdf", afdeling="BU")).status_code == 302


def slow_renderer(monkeypatch):
    import time

    def slow(html, **kwargs):
        time.sleep(120)

    monkeypatch.setattr(rendering.pdf, "html_to_pdf", slow)  # runs in the forked child


def test_a_rendering_over_the_timeout_is_stopped_with_a_danish_message(
    client, report_data, secretariat, settings, monkeypatch
):
    from reports.models import ReportRendering

    settings.REPORT_RENDER_TIMEOUT = 1
    slow_renderer(monkeypatch)
    client.force_login(secretariat)
    response = client.get(url("pdf"))
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Det tog mere end 1 sekunder at lave PDF" in html
    assert 'hx-trigger="every 2s"' not in html  # nothing left to wait for
    assert ReportRendering.objects.get().state == "failed"
    # Asking again tries again.
    monkeypatch.undo()
    settings.REPORT_RENDER_TIMEOUT = 300
    assert client.get(url("pdf")).status_code == 200


@pytest.mark.django_db(transaction=True)  # the worker closes its database connection
def test_the_worker_stops_a_rendering_over_the_timeout(
    client, report_data, secretariat, settings, monkeypatch
):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from reports.models import ReportRendering

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.REPORT_RENDER_TIMEOUT = 1
    slow_renderer(monkeypatch)
    client.force_login(secretariat)
    status_url = client.get(url("pdf"))["Location"]
    call_command("db_worker", "--batch", verbosity=0)
    assert DBTaskResult.objects.get().status == "FAILED"
    assert ReportRendering.objects.get().state == "failed"
    page = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "Det tog mere end 1 sekunder at lave PDF" in page


def pdf_text(body: bytes) -> str:
    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


def test_the_shared_rendering_prints_none_of_the_dates_asked_for(client, report_data, council):
    """Every date with the same content gets the same file, so the file shows no date: not
    the first one asked for, which would be wrong for the other fourteen."""
    dates = fifteen_dates(shift_history_back(60))
    client.force_login(council)
    for day in (dates[0], dates[-1]):
        response = client.get(url("pdf", pr=day))
        assert response.status_code == 200
        text = pdf_text(b"".join(response.streaming_content))
        assert "Fast skabelon." in text  # the content
        assert not re.search(r"Status pr\. \d", text)  # "Status pr. 7. oktober 2026"
    # The preview of a date does say which date it shows.
    preview = client.get(url("preview", pr=dates[0])).content.decode()
    assert re.search(r"Status pr\. \d", preview)
