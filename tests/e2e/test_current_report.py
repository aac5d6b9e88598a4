"""Issue 22.3 in Debian's chromium at 375 and 1280 px, with axe: while a newer version of the
report is being made, the progress page offers the previous one ("Hent den forrige version
(opdateres – data fra kl. …)"), beside the polled status; the link keeps its focus while the
status refreshes, and downloads the earlier file under a name that says so."""

import hashlib

import pytest
from django.utils import timezone

from followups import services
from reports import pdf, rendering
from reports.models import LatestRendering
from tests.e2e.test_workflow_items import SIZES, fits, open_page, user, violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quick_pdfs(monkeypatch, settings, tmp_path):
    """WeasyPrint replaced by a quick fake (a PDF per HTML), files in a fresh folder."""
    settings.MEDIA_ROOT = tmp_path / "media"

    def fake(html, **kwargs):
        digest = hashlib.sha256(html.encode()).hexdigest()
        return pdf.RenderedPDF(content=b"%PDF-1.7 " + digest.encode(), pages=1)

    monkeypatch.setattr(rendering.pdf, "html_to_pdf_bounded", fake)


@pytest.mark.parametrize("size", SIZES)
def test_the_previous_version_is_offered_while_the_new_one_is_made(
    live_server, new_page, world, size, settings, quick_pdfs
):
    plan = world["plan"]
    year = plan.report.year
    pdf_url = f"/rapporter/{year}/rapport.pdf"
    page = open_page(new_page, live_server, "sekr", f"/rapporter/{year}/", size)
    # Downloaded once (made at once by the immediate backend, and stored) ...
    first = page.request.get(live_server.url + pdf_url)
    assert first.status == 200
    stored = LatestRendering.objects.get()
    # ... then the data changes, and with the database queue the new one waits for the worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    services.followup_update(
        followup=plan.followup, actor=user("sekr"), expected_version=None, action="Ny tekst."
    )
    page.goto(live_server.url + pdf_url)
    page.locator("#render-status").wait_for()
    assert page.locator("h1").inner_text() == "PDF-filen dannes"
    when = timezone.localtime(stored.data_at).strftime("%H:%M")
    offer = page.get_by_role(
        "link", name=f"Hent den forrige version (opdateres – data fra kl. {when})"
    )
    assert offer.is_visible()
    assert fits(page, size)
    assert violations(page) == []
    # The status refreshes every 2 s; the offer, outside it, keeps the keyboard's focus.
    offer.focus()
    with page.expect_response(lambda r: "/pdf/" in r.url):
        page.wait_for_timeout(2500)
    assert page.evaluate("document.activeElement.textContent").startswith("Hent den forrige")
    with page.expect_download() as download:
        offer.click()
    name = download.value.suggested_filename
    assert name.startswith(f"rapport-{year}-forrige-version-data-fra-")
    assert name.endswith(".pdf")
    assert open(download.value.path(), "rb").read() == first.body()  # noqa: SIM115
