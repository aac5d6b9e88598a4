import os
import shutil

import pytest
from django.db import connection

from tests import factories


def _env(name: str) -> bool:
    return os.environ.get(name, "") == "1"


def pytest_collection_modifyitems(config, items):
    """Outside CI, PostgreSQL-only and browser tests skip loudly; in CI they may not skip."""
    from django.conf import settings

    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    on_postgres = vendor == "postgresql"
    if _env("REQUIRE_POSTGRES") and not on_postgres:
        pytest.exit("REQUIRE_POSTGRES=1 but DATABASE_URL does not point at PostgreSQL", 3)
    chromium = os.path.exists("/usr/bin/chromium")
    if _env("REQUIRE_BROWSER") and not chromium:
        pytest.exit("REQUIRE_BROWSER=1 but /usr/bin/chromium is missing", 3)
    if _env("REQUIRE_QPDF") and not shutil.which("qpdf"):
        pytest.exit("REQUIRE_QPDF=1 but Debian's qpdf is missing", 3)
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
        if "browser" in item.keywords and not chromium:
            item.add_marker(pytest.mark.skip(reason="needs Debian's chromium"))


@pytest.fixture(autouse=True)
def _product_language():
    """Each test starts in the product's language. A test client request activates the
    requested language in the thread and leaves it active, so without this a later test in
    the same worker would run in whatever language an earlier one chose."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def secretariat(db):
    return factories.UserFactory(roles=["secretariat"], is_staff=True)


@pytest.fixture
def ombudsman(db):
    return factories.UserFactory(roles=["ombudsman_office"])


@pytest.fixture
def council(db):
    return factories.UserFactory(roles=["council_member"])


@pytest.fixture
def department(db):
    return factories.DepartmentFactory()


@pytest.fixture
def other_department(db):
    return factories.DepartmentFactory()


@pytest.fixture
def officer(department):
    return factories.MembershipFactory(department=department, role="case_officer").user


@pytest.fixture
def manager(department):
    return factories.MembershipFactory(department=department, role="manager").user


@pytest.fixture
def plan(department, secretariat):
    """An annual report with one recommendation for `department` and an open plan round."""
    return factories.open_plan(department=department, actor=secretariat)


@pytest.fixture
def approved_followup(plan, officer, manager, secretariat):
    """`plan`'s follow-up written, submitted and approved; its action plan published."""
    return factories.approve_and_publish(
        plan, officer=officer, manager=manager, secretariat=secretariat
    )


def clear_caches() -> None:
    """The cache, the dashboard's in-process figures and the lists' vocabulary: keys built
    from history ids and the date, or from the tables' rows, can repeat across tests (ids
    are reused after a rollback)."""
    from django.core.cache import cache

    from reports.dashboard import stats
    from reports.lists import vocabulary

    cache.clear()
    stats.forget_in_process()
    vocabulary.forget()


@pytest.fixture(autouse=True)
def empty_caches():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture(autouse=True)
def sessions_stamped_at_login(monkeypatch):
    """A real log-in request passes SlidingSessionMiddleware, which stamps the new session in
    the same save (tests/config/test_hardening.py checks that); the test client's
    force_login builds the session outside the middleware, so it is stamped here. Otherwise
    the first request after force_login would write the session and count one query more."""
    import time

    from django.test import Client

    from config.middleware import SlidingSessionMiddleware

    original = Client._login

    def login_stamped(self, user, backend=None):
        original(self, user, backend)
        session = self.session
        session[SlidingSessionMiddleware.KEY] = int(time.time())
        session.save()

    monkeypatch.setattr(Client, "_login", login_stamped)
