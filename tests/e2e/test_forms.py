"""The new-recommendation form in Debian's chromium (issue 25.7)."""

import json

import pytest

from recommendations.models import Recommendation
from tests.e2e.conftest import login
from tests.e2e.test_browser import AXE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [375, 1280])
def test_scope_radios_and_departments_are_usable(live_server, new_page, world, width):
    year = world["plan"].report.year
    page = new_page(viewport={"width": width, "height": 900}, bypass_csp=True)
    login(page, live_server, "sekr")
    page.goto(f"{live_server.url}/beretninger/{year}/anbefaling/ny/")
    # Each scope is a visible radio button with its own label, in a group named "Omfang".
    group = page.get_by_role("group", name="Omfang")
    radios = group.get_by_role("radio")
    assert radios.count() == 2
    for i in range(2):
        box = radios.nth(i).bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0
    departments = page.get_by_role("listbox", name="Afdelinger (valgfri)")
    select_box = departments.bounding_box()
    save_box = page.get_by_role("button", name="Gem").bounding_box()
    assert select_box["height"] >= 100
    assert select_box["y"] + select_box["height"] <= save_box["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.evaluate(AXE.read_text())
    violations = json.loads(
        page.evaluate("async () => JSON.stringify((await axe.run()).violations)")
    )
    assert violations == []

    page.get_by_label("Tema").fill("Svartider")
    page.get_by_label("Anbefaling", exact=True).fill("Svar inden for fristen.")
    group.get_by_label("Navngivne afdelinger", exact=False).check()
    departments.select_option(label="Ældreområdet")
    page.get_by_role("button", name="Gem").click()
    page.wait_for_load_state()
    rec = Recommendation.objects.get(text="Svar inden for fristen.")
    assert rec.scope == Recommendation.Scope.DEPARTMENTS
    assert [d.name for d in rec.departments.all()] == ["Ældreområdet"]
