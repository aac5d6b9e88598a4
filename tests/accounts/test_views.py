"""Sign-on through Django's test client against the real test provider (no browser): the
start, the provider's answer, the refusals, log-out, and the password log-in's limits."""

from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from django.contrib.auth import SESSION_KEY, get_user_model
from django.urls import reverse
from django.utils import translation

from accounts import discovery
from accounts.backends import MunicipalityOIDCBackend, SignOnRefused
from accounts.views import MSG_NO_ACCESS, MSG_PROVIDER_UNAVAILABLE, MSG_SIGN_ON_FAILED
from tests.accounts.conftest import GROUP_SECRETARIAT, GROUP_SSF_CASE_OFFICERS, PROVIDER_NAME
from tests.accounts.provider import CLIENT_ID, sign_in_at_provider
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def danish(message) -> str:
    with translation.override("da"):
        return str(message) % {"provider": PROVIDER_NAME}


def start(client):
    response = client.get(reverse("oidc_authentication_init"))
    assert response.status_code == 302
    return response["Location"]


def answer_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def sign_on(client, username: str):
    """Start at our site, sign in at the provider, bring its answer back; the response."""
    answer = sign_in_at_provider(requests.Session(), start(client), username)
    return client.get(answer_path(answer))


def refusals(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "opfoelgning.security" and r.getMessage().startswith("oidc_login_refused")
    ]


@pytest.fixture
def ssf(db):
    return DepartmentFactory(short_name="SSF")


def test_the_request_to_the_provider_is_a_code_flow_with_pkce_state_and_nonce(client, oidc):
    query = parse_qs(urlsplit(start(client)).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    state, nonce = query["state"][0], query["nonce"][0]
    stored = client.session["oidc_states"][state]
    assert stored["nonce"] == nonce
    assert len(stored["code_verifier"]) >= 43
    assert query["redirect_uri"] == ["http://testserver/konto/oidc/callback/"]


def test_sign_on_logs_the_user_in(client, oidc, ssf):
    oidc.set_person("anne", groups=[GROUP_SSF_CASE_OFFICERS])
    response = sign_on(client, "anne")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user = get_user_model().objects.get(pk=client.session[SESSION_KEY])
    assert user.external_identity.issuer == oidc.issuer
    assert client.get(reverse("home")).status_code == 200


def test_a_replayed_answer_is_refused(client, oidc, ssf, caplog):
    oidc.set_person("anne", groups=[GROUP_SSF_CASE_OFFICERS])
    answer = sign_in_at_provider(requests.Session(), start(client), "anne")
    assert client.get(answer_path(answer)).status_code == 302
    client.logout()
    start(client)  # a new sign-on in the same browser, with a new state
    response = client.get(answer_path(answer), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert danish(MSG_SIGN_ON_FAILED) in response.content.decode()
    assert refusals(caplog)[0].startswith("oidc_login_refused reason=state_mismatch")
    assert SESSION_KEY not in client.session


def test_a_token_for_another_nonce_is_refused(client, oidc, ssf, caplog):
    """The session's nonce is replaced after the start (as if the token answered another
    browser's request); the provider's token carries the original one."""
    oidc.set_person("anne", groups=[GROUP_SSF_CASE_OFFICERS])
    answer = sign_in_at_provider(requests.Session(), start(client), "anne")
    session = client.session
    for entry in session["oidc_states"].values():
        entry["nonce"] = "another-nonce"
    session.save()
    response = client.get(answer_path(answer), follow=True)
    assert danish(MSG_SIGN_ON_FAILED) in response.content.decode()
    assert refusals(caplog) == ["oidc_login_refused reason=nonce_mismatch ip='127.0.0.1' detail=''"]
    assert SESSION_KEY not in client.session


def test_a_wrong_pkce_verifier_is_refused_by_the_provider(client, oidc, ssf, caplog):
    oidc.set_person("anne", groups=[GROUP_SSF_CASE_OFFICERS])
    answer = sign_in_at_provider(requests.Session(), start(client), "anne")
    session = client.session
    for entry in session["oidc_states"].values():
        entry["code_verifier"] = "x" * 64
    session.save()
    response = client.get(answer_path(answer), follow=True)
    assert danish(MSG_SIGN_ON_FAILED) in response.content.decode()
    assert refusals(caplog)[0].startswith("oidc_login_refused reason=token_request_failed")


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("bad-signature", "bad_signature"),
        ("expired", "expired"),
        ("unknown-issuer", "unknown_issuer"),
    ],
)
def test_a_faulty_token_is_refused(client, oidc, ssf, caplog, mode, reason):
    oidc.set_person("anne", groups=[GROUP_SSF_CASE_OFFICERS])
    oidc.set_token_mode(mode)
    response = sign_on(client, "anne")
    assert response["Location"] == reverse("login")
    assert refusals(caplog)[0].startswith(f"oidc_login_refused reason={reason} ")
    assert not get_user_model().objects.exists()


def test_a_token_for_another_client_is_refused(client, oidc, ssf, caplog, settings):
    """Our client id changed after the start: the provider's token names the old one."""
    oidc.set_person("anne", groups=[GROUP_SSF_CASE_OFFICERS])
    answer = sign_in_at_provider(requests.Session(), start(client), "anne")
    backend = MunicipalityOIDCBackend()
    token = backend.get_token(
        {
            "client_id": CLIENT_ID,
            "client_secret": settings.OIDC_RP_CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": parse_qs(urlsplit(answer).query)["code"][0],
            "redirect_uri": "http://testserver/konto/oidc/callback/",
            "code_verifier": next(iter(client.session["oidc_states"].values()))["code_verifier"],
        }
    )["id_token"]
    settings.OIDC_RP_CLIENT_ID = "someone-else"
    with pytest.raises(SignOnRefused) as refused:
        backend.verify_token(
            token, nonce=jwt.decode(token, options={"verify_signature": False})["nonce"]
        )
    assert refused.value.reason == "wrong_audience"


def test_only_rs256_is_accepted(oidc):
    forged = jwt.encode(
        {"sub": "1", "iss": oidc.issuer, "aud": CLIENT_ID},
        "a-shared-secret-of-32-bytes-long!",
        "HS256",
    )
    with pytest.raises(SignOnRefused) as refused:
        MunicipalityOIDCBackend().verify_token(forged, nonce="n")
    assert refused.value.reason == "wrong_algorithm"


def test_a_groups_overage_is_refused_rather_than_taking_access_away(oidc, ssf):
    payload = {"sub": "1", "iss": oidc.issuer, "_claim_names": {"groups": "src1"}}
    with pytest.raises(SignOnRefused) as refused:
        MunicipalityOIDCBackend().get_or_create_user("", "", payload)
    assert refused.value.reason == "groups_overage"


def test_no_mapped_group_is_refused_with_its_own_message(client, oidc, ssf, caplog):
    oidc.set_person("anne", groups=["not-ours"])
    response = sign_on(client, "anne")
    page = client.get(response["Location"]).content.decode()
    assert danish(MSG_NO_ACCESS) in page
    assert refusals(caplog)[0].startswith("oidc_login_refused reason=no_role")


def test_a_deactivated_user_is_refused_and_their_session_ends(client, oidc, ssf, caplog):
    oidc.set_person("anne", groups=[GROUP_SECRETARIAT])
    sign_on(client, "anne")
    user = get_user_model().objects.get()
    user.is_active = False
    user.save()
    # The running session ends at the next request.
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))
    client.logout()
    sign_on(client, "anne")
    assert refusals(caplog)[0].startswith("oidc_login_refused reason=inactive_user")
    assert SESSION_KEY not in client.session


def test_a_provider_that_cannot_be_reached_is_said_so(client, oidc, settings, caplog):
    settings.OIDC_ISSUER = "http://127.0.0.1:9/nothing-here"
    discovery.forget()
    response = client.get(reverse("oidc_authentication_init"), follow=True)
    assert danish(MSG_PROVIDER_UNAVAILABLE) in response.content.decode()
    assert refusals(caplog)[0].startswith("oidc_login_refused reason=provider_unavailable")


def test_discovery_refuses_a_document_for_another_issuer(oidc, settings):
    settings.OIDC_ISSUER = oidc.issuer + "/"  # the provider's document says it without "/"
    discovery.forget()
    with pytest.raises(discovery.DiscoveryError, match="is not"):
        discovery.provider()


def test_log_out_ends_the_provider_session_too(client, oidc, ssf):
    oidc.set_person("anne", groups=[GROUP_SSF_CASE_OFFICERS])
    sign_on(client, "anne")
    id_token = client.session["oidc_id_token"]
    response = client.post(reverse("logout"))
    assert response.status_code == 200
    target = urlsplit(response["Refresh"].split("url=", 1)[1])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{oidc.issuer}/logout/"
    query = parse_qs(target.query)
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"] == ["http://testserver/konto/login/"]
    assert SESSION_KEY not in client.session


def test_a_password_log_out_stays_here(client, oidc):
    client.force_login(UserFactory())
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_sign_on_pages_are_404_when_not_configured(client, settings):
    settings.OIDC_ISSUER = ""
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback")).status_code == 404
    assert "Log ind med" not in client.get(reverse("login")).content.decode().split("<h1>")[1]


def test_the_login_page_shows_the_sign_on_button_first(client, oidc):
    page = client.get(reverse("login")).content.decode()
    button = page.index(f"Log ind med {PROVIDER_NAME}")
    assert button < page.index('name="password"')
    assert reverse("oidc_authentication_init") in page


class TestPasswordLogin:
    """PASSWORD_LOGIN=break-glass: only superusers and PASSWORD_LOGIN_USERS use passwords."""

    @pytest.fixture(autouse=True)
    def break_glass(self, settings):
        settings.PASSWORD_LOGIN = "break-glass"
        settings.PASSWORD_LOGIN_USERS = ["noedadgang"]

    def log_in(self, client, username):
        return client.post(reverse("login"), {"username": username, "password": "pw"})

    def test_an_ordinary_user_is_refused(self, client):
        UserFactory(username="sara", is_staff=True)
        response = self.log_in(client, "sara")
        assert response.status_code == 200
        assert SESSION_KEY not in client.session

    def test_superusers_and_named_accounts_get_in(self, client):
        UserFactory(username="root", is_superuser=True)
        UserFactory(username="noedadgang")
        assert self.log_in(client, "root").status_code == 302
        client.logout()
        assert self.log_in(client, "noedadgang").status_code == 302

    def test_the_admin_log_in_obeys_it_too(self, client):
        UserFactory(username="sara", is_staff=True)
        client.post(reverse("admin:login"), {"username": "sara", "password": "pw"})
        assert SESSION_KEY not in client.session

    def test_a_running_password_session_ends_when_it_is_switched_off(self, client, settings):
        settings.PASSWORD_LOGIN = "all"
        UserFactory(username="sara")
        assert self.log_in(client, "sara").status_code == 302
        settings.PASSWORD_LOGIN = "break-glass"
        assert client.get(reverse("home"))["Location"].startswith(reverse("login"))

    def test_the_login_page_says_so(self, client):
        page = client.get(reverse("login")).content.decode()
        assert "kun til nødadgang" in page
