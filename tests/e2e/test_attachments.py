"""Issue 21.4 in Debian's chromium at 375 and 1280 px, with axe: a case officer attaches a
PDF to the status of the open round on the follow-up page, and the council report's HTML
preview lists it with a link to the access-checked download."""

import pytest

from collaboration.models import Attachment
from followups import services
from tests.e2e.test_workflow_items import SIZES, approved, fits, open_page, user, violations
from tests.factories import PDF_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("size", SIZES)
def test_a_case_officer_attaches_a_pdf_to_a_status_and_the_report_lists_it(
    live_server, new_page, world, size, tmp_path
):
    status_round = approved(world)
    followup = world["plan"].followup
    status = services.status_update_save(
        followup=followup,
        round=status_round,
        actor=user("sara"),
        status="in_progress",
        text="Første opkald er foretaget.",
    )
    evidence = tmp_path / "Evaluering af opkald.pdf"
    evidence.write_bytes(PDF_BYTES)

    page = open_page(new_page, live_server, "sara", followup.get_absolute_url(), size)
    upload = page.locator("#attachments form[enctype='multipart/form-data']")
    upload.locator("input[type=file]").set_input_files(str(evidence))
    # The status of the open round is chosen already; choose it explicitly all the same.
    upload.locator(f"input[type=radio][value='{status.pk}']").check()
    upload.locator("button[type=submit]").click()
    page.wait_for_url(f"**{followup.get_absolute_url()}#attachments-heading")
    attachment = Attachment.objects.get()
    assert attachment.status_update_id == status.pk
    link = page.locator(f"#attachments a[href='{attachment.get_absolute_url()}']")
    assert link.inner_text() == "Evaluering af opkald.pdf"
    assert fits(page, size)
    assert violations(page) == []

    year = followup.recommendation.report.year
    page.goto(f"{live_server.url}/rapporter/{year}/")
    listed = page.locator(f".app-report-preview a[href='{attachment.get_absolute_url()}']")
    listed.wait_for()
    assert listed.inner_text() == "Evaluering af opkald.pdf"
    assert "Bilag:" in listed.locator("xpath=..").inner_text()
    download = page.request.get(live_server.url + attachment.get_absolute_url())
    assert download.status == 200
    assert download.body() == PDF_BYTES
    assert download.headers["content-disposition"].startswith("attachment")
    assert violations(page) == []
