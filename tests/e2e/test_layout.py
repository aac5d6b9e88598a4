"""Phones, keyboards and languages in Debian's chromium (issue 25: items 2, 8, 11, 12)."""

import json

import pytest

from tests.e2e.conftest import login
from tests.e2e.test_browser import AXE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def axe_violations(page) -> list:
    page.evaluate(AXE.read_text())
    return json.loads(page.evaluate("async () => JSON.stringify((await axe.run()).violations)"))


def test_phone_header_has_a_menu_with_the_user_and_log_out(live_server, new_page, world):
    page = new_page(viewport=PHONE)
    login(page, live_server, "sara")
    # The desktop menu and user box are hidden; the design system's Menu button opens the drawer.
    assert not page.get_by_role("navigation", name="Hovedmenu").is_visible()
    menu = page.get_by_role("button", name="Menu")
    assert menu.is_visible()
    menu.click()
    drawer = page.locator(".mobile-drawer")
    drawer.wait_for(state="visible")
    name = page.locator(".portal-user .username").text_content()
    assert drawer.locator(".user").text_content().strip() == name
    assert drawer.locator(".user").is_visible()
    assert drawer.get_by_role("button", name="Log ud").is_visible()
    assert drawer.get_by_role("link", name="Min forside").is_visible()
    # Focus goes to the drawer's close button; closing returns it to the Menu button.
    assert page.evaluate("document.activeElement.textContent.trim()") == "Luk"
    page.keyboard.press("Enter")
    drawer.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Menu"
    # Log out from the drawer.
    menu.click()
    drawer.get_by_role("button", name="Log ud").click()
    page.wait_for_url(f"{live_server.url}/konto/login/")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_pages_fit_the_screen(live_server, new_page, world, viewport):
    followup = world["plan"].followup
    page = new_page(viewport=viewport)
    login(page, live_server, "sara")
    for url in ["/", f"/opfoelgning/{followup.pk}/", "/opfoelgning/runder/"]:
        page.goto(live_server.url + url)
        assert overflow(page) <= 0, url


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_an_htmx_swap_adds_no_menu_and_moves_focus_to_the_change(
    live_server, new_page, world, viewport
):
    followup = world["plan"].followup
    # bypass_csp: Playwright's wait_for_function evaluates a string in the page.
    page = new_page(viewport=viewport, bypass_csp=True)
    login(page, live_server, "sara")
    page.goto(f"{live_server.url}/opfoelgning/{followup.pk}/")
    more_menus = page.locator(".more-option").count()
    page.get_by_role("link", name="Rediger opfølgning").click()
    field = page.get_by_role("textbox", name="Opfølgning – Hvad gør vi?")
    field.wait_for()
    # Focus is in the form that appeared, on its first field.
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_action'")
    page.keyboard.type("Vi ringer tilbage samme dag")
    page.get_by_role("button", name="Gem").click()
    page.get_by_role("link", name="Rediger opfølgning").wait_for()
    # Focus stays where the change happened, not on <body>.
    page.wait_for_function("document.activeElement.closest('#followup-action') !== null")
    assert page.locator(".more-option").count() == more_menus


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_error_pages_are_danish_and_accessible(live_server, new_page, world, viewport):
    page = new_page(viewport=viewport, bypass_csp=True)
    login(page, live_server, "sara")
    response = page.goto(f"{live_server.url}/findes-ikke/")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).text_content() == "Siden findes ikke"
    assert page.evaluate("document.documentElement.lang") == "da"
    assert axe_violations(page) == []
    response = page.goto(f"{live_server.url}/import/")
    assert response.status == 403
    assert page.get_by_role("heading", level=1).text_content() == "Adgang nægtet"
    assert axe_violations(page) == []
    assert overflow(page) <= 0


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_an_english_browser_gets_danish_until_english_is_chosen(
    live_server, browser, world, viewport
):
    context = browser.new_context(locale="en-GB", viewport=viewport)
    try:
        page = context.new_page()
        login(page, live_server, "sara")
        assert page.evaluate("document.documentElement.lang") == "da"
        page.get_by_label("Sprog").select_option("en")
        page.get_by_role("button", name="Skift").click()
        page.get_by_role("heading", name="My tasks").wait_for()
        assert page.evaluate("document.documentElement.lang") == "en"
        # Remembered on the next page.
        page.goto(f"{live_server.url}/opfoelgning/runder/")
        assert page.evaluate("document.documentElement.lang") == "en"
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["375", "1280"])
def test_dashboard_charts_are_readable_at_each_width(live_server, new_page, world, viewport):
    """A phone gets the chart drawn for its width (labels above the bars, text at least 12 px
    on screen) instead of the desktop chart scaled down to a third; the page still fits."""
    page = new_page(viewport=viewport)
    login(page, live_server, "lars")
    page.goto(live_server.url + "/oversigt/")
    wide, narrow = page.locator("svg.app-chart-wide").first, page.locator("svg.app-chart-narrow")
    shown = narrow.first if viewport is PHONE else wide
    hidden = wide if viewport is PHONE else narrow.first
    assert shown.is_visible() and not hidden.is_visible()
    text_heights = shown.locator("text").evaluate_all(
        "texts => texts.map(t => t.getBoundingClientRect().height)"
    )
    assert text_heights and min(text_heights) >= 12
    assert overflow(page) <= 0
    assert axe_violations(page) == []
