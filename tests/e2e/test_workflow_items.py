"""The rest of issue 25's items in Debian's chromium at 375 and 1280 px, with axe: a status
saved in place (1), the reason rule (4), per-field merge on a conflict (5), restore (6),
the return comment and confirmations (10), language (12), the CSV download (13) and
"(fortsat)" in the PDF (14)."""

import datetime
import json

import pytest
from django.contrib.auth.models import User

from followups import services
from followups.models import FollowUp, FollowUpRound
from tests.e2e.conftest import login
from tests.e2e.test_browser import AXE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"375": {"width": 375, "height": 800}, "1280": {"width": 1280, "height": 900}}
SIZES = list(VIEWPORTS)
D = datetime.date


def violations(page) -> list:
    page.evaluate(AXE.read_text())
    found = json.loads(page.evaluate("async () => JSON.stringify((await axe.run()).violations)"))
    return [(v["id"], [n["target"] for n in v["nodes"]]) for v in found]


def fits(page, size) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[size]["width"]


def open_page(new_page, live_server, user, url, size):
    page = new_page(viewport=VIEWPORTS[size], bypass_csp=True)
    login(page, live_server, user)
    page.goto(live_server.url + url)
    return page


def user(name: str) -> User:
    return User.objects.get(username=name)


def approved(world):
    """The follow-up written, approved and the plan closed; a status round open."""
    plan, secretariat = world["plan"], user("sekr")
    services.followup_update(
        followup=plan.followup, actor=secretariat, expected_version=None, action="Vi ringer op."
    )
    services.followup_submit(followup=plan.followup, actor=secretariat)
    services.followup_approve(followup=plan.followup, actor=secretariat)
    services.round_close(round=plan.round, actor=secretariat)
    return services.round_open(
        actor=secretariat,
        report=plan.report,
        name="Status 2031",
        kind=FollowUpRound.Kind.STATUS,
        deadline=D(2031, 6, 1),
    )


@pytest.mark.parametrize("size", SIZES)
def test_1_a_status_saved_in_place_shows_the_page_once(live_server, new_page, world, size):
    status_round = approved(world)
    followup = world["plan"].followup
    page = open_page(
        new_page, live_server, "sara", f"/opfoelgning/{followup.pk}/status/{status_round.pk}/", size
    )
    page.get_by_label("Status", exact=True).select_option("in_progress")
    page.get_by_label("Hvad skete der faktisk", exact=False).fill("Første opkald er foretaget.")
    page.get_by_role("button", name="Gem status").click()
    page.get_by_text("Status er gemt.").wait_for()
    assert page.locator("main").count() == 1 and page.locator("h1").count() == 1
    assert page.locator("header.header").count() == 1
    assert page.get_by_text("Første opkald er foretaget.").is_visible()
    assert fits(page, size)
    assert violations(page) == []


@pytest.mark.parametrize("size", SIZES)
def test_4_clearing_the_date_is_refused_at_the_field(live_server, new_page, world, size):
    followup = world["plan"].followup
    services.followup_update(
        followup=followup,
        actor=user("sekr"),
        expected_version=None,
        action="x",
        target_date=D(2031, 3, 1),
    )
    page = open_page(new_page, live_server, "sara", f"/opfoelgning/{followup.pk}/", size)
    page.get_by_role("link", name="Rediger opfølgning").click()
    date = page.get_by_role("textbox", name="Måldato (valgfri)")
    date.fill("")
    page.get_by_role("button", name="Gem").click()
    page.get_by_text("kan flyttes, men ikke fjernes", exact=False).first.wait_for()
    # The focus went to the field in error; the date is still the old one.
    page.wait_for_function(
        "document.activeElement.closest('#followup-action') !== null"
        " && document.activeElement !== document.body"
    )
    assert FollowUp.objects.get(pk=followup.pk).target_date == D(2031, 3, 1)
    assert violations(page) == []


@pytest.mark.parametrize("size", SIZES)
def test_5_a_conflict_keeps_the_other_users_date(live_server, new_page, world, size):
    followup = world["plan"].followup
    page = open_page(new_page, live_server, "sara", f"/opfoelgning/{followup.pk}/rediger/", size)
    # Meanwhile the manager sets a target date.
    services.followup_update(
        followup=followup,
        actor=user("lars"),
        expected_version=followup.version,
        action="",
        target_date=D(2031, 4, 1),
    )
    page.get_by_role("textbox", name="Opfølgning – Hvad gør vi?").fill("Tekst fra Sara")
    page.get_by_role("button", name="Gem").click()
    page.get_by_text("kun de felter, du ændrede", exact=False).wait_for()
    saved = FollowUp.objects.get(pk=followup.pk)
    assert (saved.action, saved.target_date) == ("Tekst fra Sara", D(2031, 4, 1))
    assert fits(page, size)
    assert violations(page) == []


@pytest.mark.parametrize("size", SIZES)
def test_6_restore_brings_back_the_date_and_says_so(live_server, new_page, world, size):
    followup = world["plan"].followup
    sekr = user("sekr")
    f = services.followup_update(
        followup=followup,
        actor=sekr,
        expected_version=None,
        action="Én",
        target_date=D(2031, 1, 1),
    )
    services.followup_update(
        followup=f,
        actor=sekr,
        expected_version=None,
        action="To",
        target_date=D(2031, 6, 1),
        target_date_reason="Senere",
    )
    page = open_page(new_page, live_server, "sekr", f"/opfoelgning/{followup.pk}/historik/", size)
    assert violations(page) == []
    page.get_by_role("button", name="Gendan denne version").nth(0).click()
    page.get_by_text("er gendannet", exact=False).wait_for()
    assert "måldatoen 1. januar 2031" in page.content()
    assert FollowUp.objects.get(pk=followup.pk).target_date == D(2031, 1, 1)
    assert violations(page) == []


@pytest.mark.parametrize("size", SIZES)
def test_10_the_return_comment_stays_while_editing(live_server, new_page, world, size):
    followup = world["plan"].followup
    sekr = user("sekr")
    services.followup_update(followup=followup, actor=sekr, expected_version=None, action="x")
    services.followup_submit(followup=followup, actor=sekr)
    services.followup_return(followup=followup, actor=sekr, comment="Skriv en dato.")
    page = open_page(new_page, live_server, "sara", f"/opfoelgning/{followup.pk}/", size)
    comment = page.locator("#return-comment")
    assert "Skriv en dato." in comment.text_content() and "Sendt retur af" in comment.text_content()
    page.get_by_role("link", name="Rediger opfølgning").click()
    page.get_by_role("textbox", name="Opfølgning – Hvad gør vi?").wait_for()
    assert comment.is_visible()
    assert violations(page) == []


@pytest.mark.parametrize("size", SIZES)
def test_12_english_when_chosen_with_english_dates(live_server, browser, world, size):
    context = browser.new_context(locale="en-US", viewport=VIEWPORTS[size], bypass_csp=True)
    try:
        page = context.new_page()
        login(page, live_server, "sara")
        assert page.evaluate("document.documentElement.lang") == "da"
        page.get_by_label("Sprog").select_option("en")
        page.get_by_role("button", name="Skift").click()
        page.get_by_role("heading", name="My tasks").wait_for()
        assert page.locator("#language-select option[value=da]").text_content() == "Dansk"
        html = page.content()
        assert "december" not in html  # English month names only
        assert violations(page) == []
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_13_the_csv_is_for_danish_excel(live_server, new_page, world, size):
    year = world["plan"].report.year
    page = open_page(new_page, live_server, "sekr", f"/rapporter/{year}/", size)
    assert violations(page) == []
    response = page.request.get(f"{live_server.url}/rapporter/{year}/rapport.csv")
    data = response.body()
    assert data.startswith("\ufeff".encode())
    assert "Tema;Anbefaling;Opfølgning;Status" in data.decode("utf-8-sig")
    comma = page.request.get(f"{live_server.url}/rapporter/{year}/rapport.csv?sep=,").body()
    assert "Tema,Anbefaling,Opfølgning,Status" in comma.decode("utf-8-sig")


@pytest.mark.parametrize("size", SIZES)
def test_14_a_row_continued_on_the_next_page_says_fortsat(live_server, new_page, world, size):
    """The council PDF downloaded from the report's preview (Hent PDF): a page that goes on
    with a recommendation begun on an earlier page names it
    with "(fortsat)" in its Anbefaling cell; the first page of the row does not."""
    from pypdf import PdfReader

    from tests.factories import DepartmentFactory, FollowUpFactory, RecommendationFactory

    plan = world["plan"]
    # A recommendation to the whole organisation: every department's answer in its one row.
    recommendation = RecommendationFactory(report=plan.report, number=2)
    lines = "\n".join(f"- Linje {i} om hvad forvaltningen gør ved det." for i in range(12))
    for i in range(8):
        FollowUpFactory(
            recommendation=recommendation,
            department=DepartmentFactory(name=f"Forvaltning {i:02d}"),
            action=lines,
        )
    year = plan.report.year
    page = open_page(new_page, live_server, "sekr", f"/rapporter/{year}/", size)
    assert violations(page) == []
    # The tests' task backend renders at once, so the first click downloads the file
    # (in production the progress page comes between: tests/reports/test_views.py).
    with page.expect_download() as download:
        page.get_by_role("link", name="Hent PDF").click()
    texts = [p.extract_text() for p in PdfReader(download.value.path()).pages]
    number = f"{year}-{recommendation.number}"
    first = next(i for i, text in enumerate(texts) if "Linje 0 om" in text)
    later = [t for t in texts[first + 1 :] if "Linje 11 om" in t]
    assert later, "the recommendation's row should go on over several pages"
    assert f"{number} (fortsat)" not in texts[first]
    assert all(f"{number} (fortsat)" in t for t in later)
