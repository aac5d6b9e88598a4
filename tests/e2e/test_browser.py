"""The main workflows in Debian's chromium, driven by Playwright."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from followups.models import FollowUp
from tests.e2e.conftest import login
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


def test_officer_writes_and_submits_then_manager_approves(live_server, new_page, world):
    followup = world["plan"].followup
    page = new_page()
    login(page, live_server, "sara")
    page.get_by_role("link", name=f"1. {followup.recommendation.theme}").click()
    page.get_by_role("link", name="Rediger opfølgning").click()
    # htmx swapped the form in place: still the detail page's URL.
    action = page.get_by_role("textbox", name="Opfølgning – Hvad gør vi?")
    action.fill("- Vi ringer alle borgere op igen")
    page.get_by_role("button", name="Gem").click()
    page.get_by_text("Vi ringer alle borgere op igen").wait_for()
    page.get_by_role("button", name="Send til godkendelse").click()
    page.get_by_text("Indsendt").first.wait_for()
    assert FollowUp.objects.get(pk=followup.pk).state == "submitted"

    manager = new_page()
    login(manager, live_server, "lars")
    manager.get_by_role("link", name=str(followup.recommendation.theme), exact=False).first.click()
    manager.get_by_role("button", name="Godkend").click()
    manager.get_by_text("Godkendt").first.wait_for()
    assert FollowUp.objects.get(pk=followup.pk).state == "approved"


def test_two_sessions_editing_get_the_conflict_page(live_server, new_page, world):
    followup = world["plan"].followup
    edit_url = f"{live_server.url}/opfoelgning/{followup.pk}/rediger/"
    a, b = new_page(), new_page()
    login(a, live_server, "sara")
    login(b, live_server, "lars")
    a.goto(edit_url)
    b.goto(edit_url)
    a.get_by_role("textbox", name="Opfølgning – Hvad gør vi?").fill("Tekst fra A")
    a.get_by_role("button", name="Gem").click()
    # htmx swaps the saved follow-up in place of the form.
    a.get_by_role("link", name="Rediger opfølgning").wait_for()
    assert FollowUp.objects.get(pk=followup.pk).action == "Tekst fra A"
    b.get_by_role("textbox", name="Opfølgning – Hvad gør vi?").fill("Tekst fra B")
    b.get_by_role("button", name="Gem").click()
    b.get_by_text("Din version og den gemte version").wait_for()
    assert b.get_by_text("Tekst fra A").count() >= 1
    assert b.get_by_text("Tekst fra B").count() >= 1
    assert FollowUp.objects.get(pk=followup.pk).action == "Tekst fra A"


def test_other_departments_followup_is_404(live_server, new_page, world):
    page = new_page()
    login(page, live_server, "sara")
    response = page.goto(f"{live_server.url}/opfoelgning/{world['other_followup'].pk}/")
    assert response.status == 404


def _axe_problems(page, base_url: str, urls: list[str]) -> dict:
    axe_source = AXE.read_text()
    problems = {}
    for url in urls:
        page.goto(base_url + url)
        page.evaluate(axe_source)
        result = page.evaluate("async () => JSON.stringify((await axe.run()).violations)")
        found = json.loads(result)  # every impact, minor ones too (issue 25: zero violations)
        if found:
            problems[url] = [(v["id"], v["help"], len(v["nodes"])) for v in found]
    return problems


def test_main_pages_have_no_accessibility_violations(live_server, new_page, world):
    followup = world["plan"].followup
    year = world["plan"].report.year
    # axe is injected through the DevTools protocol, so the test context bypasses our CSP.
    page = new_page(bypass_csp=True)
    login(page, live_server, "sara")
    problems = _axe_problems(
        page,
        live_server.url,
        [
            "/",
            f"/beretninger/{year}/",
            f"/beretninger/anbefaling/{followup.recommendation_id}/",
            f"/opfoelgning/{followup.pk}/",
            f"/opfoelgning/{followup.pk}/rediger/",
            f"/opfoelgning/{followup.pk}/historik/",
            "/opfoelgning/runder/",
            "/oversigt/anbefalinger/",
            "/oversigt/opfoelgninger/?q=borger",
        ],
    )
    page.context.close()
    UserFactory(username="sofie", roles=["secretariat"])
    secretariat = new_page(bypass_csp=True)
    login(secretariat, live_server, "sofie")
    problems |= _axe_problems(
        secretariat,
        live_server.url,
        ["/oversigt/", f"/rapporter/{year}/", "/import/", "/opfoelgning/runder/ny/"],
    )
    secretariat.context.close()
    login_page = new_page(bypass_csp=True)
    problems |= _axe_problems(login_page, live_server.url, ["/konto/login/"])
    assert problems == {}
