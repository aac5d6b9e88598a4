import os

import pytest

from followups.models import FollowUp
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory, open_plan

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test
# set-up happen outside it, so Django's async guard does not apply here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        yield browser
        # Code running inside sync_playwright() has its own context variables, so Django's
        # per-context connections opened by the tests since are not the ones pytest-django
        # sees at the end: close them here, or the test database cannot be dropped.
        from django.db import connections

        connections.close_all()
        browser.close()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(**kwargs):
        context = browser.new_context(locale="da-DK", **kwargs)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def login(page, live_server, username: str, password: str = "pw") -> None:
    page.goto(f"{live_server.url}/konto/login/")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def world(db):
    secretariat = UserFactory(username="sekr", roles=["secretariat"], is_staff=True)
    own = DepartmentFactory(name="Ældreområdet")
    other = DepartmentFactory(name="Natur og Byg")
    plan = open_plan(department=own, actor=secretariat)
    other_plan_followup = FollowUp.objects.create(
        recommendation=plan.recommendation, department=other, action="Andet"
    )
    MembershipFactory(user=UserFactory(username="sara"), department=own)
    MembershipFactory(user=UserFactory(username="lars"), department=own, role="manager")
    return {"plan": plan, "other_followup": other_plan_followup}
