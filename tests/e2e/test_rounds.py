"""Rounds in Debian's chromium (issue 25, items 9 and 15)."""

import json

import pytest

from followups.models import FollowUp, FollowUpRound
from tests.e2e.conftest import login
from tests.e2e.test_browser import AXE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"375": {"width": 375, "height": 800}, "1280": {"width": 1280, "height": 900}}


def violations(page) -> list:
    page.evaluate(AXE.read_text())
    found = json.loads(page.evaluate("async () => JSON.stringify((await axe.run()).violations)"))
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in found]


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_close_asks_first_and_links_who_has_not_answered(live_server, new_page, world, size):
    plan = world["plan"]
    page = new_page(viewport=VIEWPORTS[size], bypass_csp=True)
    login(page, live_server, "sekr")
    page.goto(f"{live_server.url}/opfoelgning/runder/{plan.round.pk}/")
    assert violations(page) == []
    page.get_by_role("link", name="Luk runde").click()
    page.get_by_role("heading", name=f"Luk “{plan.round.name}”?").wait_for()
    # What is missing, each follow-up a link to it.
    link = page.locator(f'a[href="/opfoelgning/{plan.followup.pk}/"]')
    assert link.count() >= 1
    assert violations(page) == []
    assert FollowUpRound.objects.get(pk=plan.round.pk).state == "open"
    page.get_by_role("button", name="Ja, luk runden").click()
    page.get_by_text("Runden er lukket.").wait_for()
    assert FollowUpRound.objects.get(pk=plan.round.pk).state == "closed"
    # Publishing an action plan with unapproved follow-ups: the page says which, no button.
    page.get_by_role("link", name="Offentliggør runde").click()
    page.get_by_text("kan ikke fortrydes", exact=False).wait_for()
    assert page.get_by_role("button", name="Ja, offentliggør runden").count() == 0
    assert page.locator(f'a[href="/opfoelgning/{plan.followup.pk}/"]').count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[size]["width"]
    assert violations(page) == []


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_late_draft_is_overdue_on_my_tasks(live_server, new_page, world, size):
    import datetime

    FollowUp.objects.filter(pk=world["plan"].followup.pk).update(
        target_date=datetime.date(2020, 1, 1)
    )
    page = new_page(viewport=VIEWPORTS[size], bypass_csp=True)
    login(page, live_server, "sara")
    badge = page.locator(".app-state-overdue")
    assert badge.count() == 1 and badge.is_visible()
    assert badge.text_content() == "Overskredet"
    assert violations(page) == []
