"""The follow-up page by keyboard and at phone width (issue 25, items 1, 3, 4, 8, 10)."""

import json

import pytest

from followups.models import FollowUp
from tests.e2e.conftest import login
from tests.e2e.test_browser import AXE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"375": {"width": 375, "height": 800}, "1280": {"width": 1280, "height": 900}}


def violations(page) -> list:
    page.evaluate(AXE.read_text())
    found = json.loads(page.evaluate("async () => JSON.stringify((await axe.run()).violations)"))
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in found]


def focused(page) -> str:
    return page.evaluate(
        "(() => { const e = document.activeElement; return e.tagName + '|' + (e.id || '')"
        " + '|' + (e.textContent || '').trim().slice(0, 40) })()"
    )


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_edit_and_submit_by_keyboard(live_server, new_page, world, size):
    followup = world["plan"].followup
    page = new_page(viewport=VIEWPORTS[size], bypass_csp=True)
    login(page, live_server, "sara")
    page.goto(f"{live_server.url}/opfoelgning/{followup.pk}/")
    assert violations(page) == []
    # From the page's heading: Tab to "Rediger opfølgning", Enter, and the first field has
    # the focus (the form came in by htmx).
    page.locator("h1").click()
    presses = 0
    while "Rediger opfølgning" not in focused(page):
        page.keyboard.press("Tab")
        presses += 1
        assert presses <= 5, focused(page)
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_action'")
    assert presses + 0 <= 5
    assert violations(page) == []
    page.keyboard.type("Vi ringer tilbage samme dag")
    while focused(page).split("|")[2] != "Gem":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_text("Opfølgningen er gemt.").wait_for()
    # Focus stays in the region that changed; one page, one main.
    page.wait_for_function("document.activeElement.closest('#followup-action') !== null")
    assert page.locator("main").count() == 1
    assert violations(page) == []
    while "Send til godkendelse" not in focused(page):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.get_by_text("Opfølgningen er sendt til godkendelse.").wait_for()
    assert FollowUp.objects.get(pk=followup.pk).state == "submitted"
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[size]["width"]
    assert violations(page) == []


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_refused_date_move_is_visible_and_a_saved_page_moves_the_right_version(
    live_server,
    new_page,
    world,
    size,
):
    followup = world["plan"].followup
    page = new_page(viewport=VIEWPORTS[size], bypass_csp=True)
    login(page, live_server, "sara")
    page.goto(f"{live_server.url}/opfoelgning/{followup.pk}/")
    # Set a first date inline.
    page.get_by_role("link", name="Rediger opfølgning").click()
    page.get_by_role("textbox", name="Måldato (valgfri)").fill("2031-03-01")
    page.get_by_role("button", name="Gem").click()
    page.get_by_text("Opfølgningen er gemt.").wait_for()
    # Without reloading: move it later without a reason. The form that appeared with the
    # saved follow-up has its new version, so this is no conflict with oneself.
    page.get_by_text("Flyt måldatoen").click()
    page.get_by_label("Ny måldato").fill("2031-09-01")
    page.get_by_role("button", name="Flyt dato").click()
    # Refused: the error is shown, the details open, not a silent success.
    error = page.get_by_text("Angiv en begrundelse", exact=False).first
    error.wait_for()
    assert error.is_visible()
    assert page.locator("details[open]").count() == 1
    # Not refused as a conflict with oneself: the form's conflict error is absent.
    assert page.get_by_text("ændret af en anden i mellemtiden", exact=False).count() == 0
    page.get_by_label("Begrundelse").fill("Leverandøren er forsinket.")
    page.get_by_role("button", name="Flyt dato").click()
    page.get_by_text("Måldatoen er flyttet.").wait_for()
    assert str(FollowUp.objects.get(pk=followup.pk).target_date) == "2031-09-01"
    assert violations(page) == []
