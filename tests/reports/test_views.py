import csv
import io

import pytest
from django.urls import reverse

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
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1] == ["Tema", "Anbefaling", "Opfølgning", "Status"]
    response = client.get(url("xlsx"))
    assert response.content[:2] == b"PK"


def test_pdf_download_renders_once_per_data_version(client, report_data, secretariat, monkeypatch):
    calls = []
    original = rendering.pdf.html_to_pdf

    def counting(html, **kwargs):
        calls.append(1)
        return original(html, **kwargs)

    monkeypatch.setattr(rendering.pdf, "html_to_pdf", counting)
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

    from config.history import save_tracked

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
