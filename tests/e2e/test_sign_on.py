"""Sign-on (accounts/) in Debian's chromium against a real OpenID provider
(tests/oidc_provider, run on 127.0.0.1 by the `provider` fixture): the whole redirect flow,
both ways, with PKCE.

How each refused case is produced:
- tampered ID token, expired token, unknown issuer: the provider itself issues the faulty
  token (tests/oidc_provider/validator.py, `token-mode`): it signs with its real key and
  then alters the signature's last characters; or signs a token whose `exp` is an hour
  past; or signs a token naming another issuer;
- wrong state: a second client (requests) starts its own sign-on, signs in at the provider
  and stops at the provider's answer; the browser, which started a sign-on of its own, is
  then sent to our callback with that foreign code and state (login CSRF).
"""

import logging
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.utils import translation

from accounts.models import ExternalIdentity
from accounts.views import MSG_NO_ACCESS, MSG_SIGN_ON_FAILED
from departments.access import GlobalRole
from departments.models import Membership
from tests.accounts import conftest as sign_on_fixtures
from tests.accounts.conftest import (
    GROUP_BUF_CASE_OFFICERS,
    GROUP_SECRETARIAT,
    GROUP_SSF_CASE_OFFICERS,
    PROVIDER_NAME,
)
from tests.accounts.provider import PASSWORD
from tests.accounts.provider import sign_in_at_provider as provider_sign_in
from tests.factories import DepartmentFactory

# The provider's fixtures live with the sign-on's other tests (tests/accounts); this module
# sits here for the browser fixtures, of which a session may hold only one.
provider = sign_on_fixtures.provider
oidc = sign_on_fixtures.oidc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def danish(message) -> str:
    with translation.override("da"):
        return str(message) % {"provider": PROVIDER_NAME}


def start_sign_on(page, live_server) -> None:
    page.goto(f"{live_server.url}/konto/login/")
    page.get_by_role("link", name=f"Log ind med {PROVIDER_NAME}").click()


def sign_in_at_provider(page, username: str) -> None:
    page.get_by_label("Provider username").fill(username)
    page.get_by_label("Provider password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in at provider").click()


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "opfoelgning.security"]


@pytest.fixture
def departments(db):
    return {
        "SSF": DepartmentFactory(name="Social- og Sundhedsforvaltningen", short_name="SSF"),
        "BUF": DepartmentFactory(name="Børne- og Ungeforvaltningen", short_name="BUF"),
    }


def test_the_login_page_offers_the_municipality_first(live_server, new_page, oidc):
    page = new_page()
    page.goto(f"{live_server.url}/konto/login/")
    sign_on = page.get_by_role("link", name=f"Log ind med {PROVIDER_NAME}")
    password = page.get_by_role("button", name="Log ind", exact=True)
    assert sign_on.bounding_box()["y"] < password.bounding_box()["y"]


def test_the_login_page_with_sign_on_has_no_serious_accessibility_violations(
    live_server, new_page, oidc
):
    from tests.e2e.test_browser import _axe_problems

    # axe is injected through the DevTools protocol, so the context bypasses our CSP.
    page = new_page(bypass_csp=True)
    assert _axe_problems(page, live_server.url, ["/konto/login/"]) == {}


def test_first_sign_on_creates_the_user_with_the_mapped_roles(
    live_server, new_page, oidc, departments, caplog
):
    oidc.set_person(
        "anne",
        groups=[GROUP_SSF_CASE_OFFICERS, "an-unmapped-group"],
        given_name="Anne",
        family_name="Holm",
        email="anne.holm@eksempelby.dk",
    )
    page = new_page()
    with caplog.at_level(logging.INFO, logger="opfoelgning.security"):
        start_sign_on(page, live_server)
        sign_in_at_provider(page, "anne")
        page.wait_for_url(f"{live_server.url}/")
    page.get_by_text("Anne Holm").first.wait_for()

    identity = ExternalIdentity.objects.select_related("user").get(issuer=oidc.issuer)
    user = identity.user
    assert (user.username, user.first_name, user.last_name, user.email) == (
        "anne",
        "Anne",
        "Holm",
        "anne.holm@eksempelby.dk",
    )
    assert not user.has_usable_password()
    membership = Membership.objects.get(user=user)
    assert (membership.department.short_name, membership.role) == ("SSF", "case_officer")
    assert membership.history.get().history_user == user
    assert not user.groups.exists()
    assert any(line.startswith("oidc_login user='anne'") for line in security_lines(caplog))


def test_a_group_change_at_the_provider_moves_the_user_at_the_next_sign_on(
    live_server, new_page, oidc, departments
):
    oidc.set_person("bo", groups=[GROUP_SSF_CASE_OFFICERS], given_name="Bo", family_name="Lund")
    page = new_page()
    start_sign_on(page, live_server)
    sign_in_at_provider(page, "bo")
    page.wait_for_url(f"{live_server.url}/")
    user = get_user_model().objects.get(external_identity__issuer=oidc.issuer)
    assert list(Membership.objects.filter(user=user).values_list("department__short_name")) == [
        ("SSF",)
    ]

    # IT moves Bo to another department and makes him secretariat; nothing changes here
    # until he signs on again.
    oidc.set_person(
        "bo",
        groups=[GROUP_BUF_CASE_OFFICERS, GROUP_SECRETARIAT],
        given_name="Bo",
        family_name="Lund",
    )
    assert Membership.objects.filter(user=user, department__short_name="SSF").exists()

    # Log-out ends the provider's session too: the provider asks for the password again.
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_url(f"{live_server.url}/konto/login/")
    start_sign_on(page, live_server)
    sign_in_at_provider(page, "bo")
    page.wait_for_url(f"{live_server.url}/")

    assert list(Membership.objects.filter(user=user).values_list("department__short_name")) == [
        ("BUF",)
    ]
    assert set(user.groups.values_list("name", flat=True)) == {GlobalRole.SECRETARIAT}
    removed = Membership.history.filter(user_id=user.pk, history_type="-").get()
    assert (removed.department.short_name, removed.history_user) == ("SSF", user)

    # Bo leaves every mapped group: at his next sign-on he loses all access but his user
    # (and its history) stays.
    oidc.set_person("bo", groups=["an-unmapped-group"], given_name="Bo", family_name="Lund")
    page.get_by_role("button", name="Log ud").click()
    page.wait_for_url(f"{live_server.url}/konto/login/")
    start_sign_on(page, live_server)
    sign_in_at_provider(page, "bo")
    page.wait_for_url(f"{live_server.url}/konto/login/")
    page.get_by_text(danish(MSG_NO_ACCESS)).wait_for()
    assert not Membership.objects.filter(user=user).exists()
    assert not user.groups.exists()
    assert get_user_model().objects.get(pk=user.pk).is_active


@pytest.mark.parametrize(
    ("token_mode", "reason"),
    [
        ("bad-signature", "bad_signature"),
        ("expired", "expired"),
        ("unknown-issuer", "unknown_issuer"),
    ],
)
def test_a_faulty_id_token_is_refused(
    live_server, new_page, oidc, departments, caplog, token_mode, reason
):
    oidc.set_person("carl", groups=[GROUP_SSF_CASE_OFFICERS])
    oidc.set_token_mode(token_mode)
    page = new_page()
    with caplog.at_level(logging.INFO, logger="opfoelgning.security"):
        start_sign_on(page, live_server)
        sign_in_at_provider(page, "carl")
        page.wait_for_url(f"{live_server.url}/konto/login/")
        page.get_by_text(danish(MSG_SIGN_ON_FAILED)).wait_for()
    lines = [line for line in security_lines(caplog) if line.startswith("oidc_login_refused")]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"oidc_login_refused reason={reason} ip=")
    print(lines[0])  # noqa: T201 (the README quotes these lines from a run with -s)
    assert not get_user_model().objects.filter(external_identity__isnull=False).exists()
    # Not logged in: the start page sends the browser back to the log-in page.
    page.goto(f"{live_server.url}/")
    assert urlsplit(page.url).path == "/konto/login/"


def test_a_wrong_state_is_refused(live_server, new_page, oidc, departments, caplog):
    """Login CSRF: someone signs on in their own browser, stops at the provider's answer
    and sends this browser to our callback with their code and state. This browser's
    session started a sign-on of its own, with another state."""
    oidc.set_person("carl", groups=[GROUP_SSF_CASE_OFFICERS])
    other_browser = requests.Session()
    start = other_browser.get(f"{live_server.url}/konto/oidc/login/", allow_redirects=False)
    foreign_answer = provider_sign_in(other_browser, start.headers["Location"], "carl")
    assert "state=" in foreign_answer

    page = new_page()
    with caplog.at_level(logging.INFO, logger="opfoelgning.security"):
        start_sign_on(page, live_server)
        page.get_by_label("Provider username").wait_for()
        page.goto(foreign_answer)
        page.wait_for_url(f"{live_server.url}/konto/login/")
        page.get_by_text(danish(MSG_SIGN_ON_FAILED)).wait_for()
    lines = [line for line in security_lines(caplog) if line.startswith("oidc_login_refused")]
    assert len(lines) == 1, lines
    assert lines[0].startswith("oidc_login_refused reason=state_mismatch ip=")
    print(lines[0])  # noqa: T201
    assert not ExternalIdentity.objects.exists()
    page.goto(f"{live_server.url}/")
    assert urlsplit(page.url).path == "/konto/login/"
