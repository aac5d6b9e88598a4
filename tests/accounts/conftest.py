import json

import pytest

from accounts import discovery
from tests.accounts.provider import CLIENT_ID, CLIENT_SECRET, start_provider

PROVIDER_NAME = "Eksempelby Kommune"

# The test provider's groups (ids as Entra ID would send them) and what they give.
GROUP_SECRETARIAT = "0b6f5e2a-sekretariat"
GROUP_SSF_CASE_OFFICERS = "9a2d41c7-ssf-sagsbehandlere"
GROUP_SSF_MANAGERS = "5c1e8b90-ssf-ledere"
GROUP_BUF_CASE_OFFICERS = "77d0a3f1-buf-sagsbehandlere"
GROUP_MAP = {
    GROUP_SECRETARIAT: {"global_role": "secretariat"},
    GROUP_SSF_CASE_OFFICERS: {"department": "SSF", "role": "case_officer"},
    GROUP_SSF_MANAGERS: [{"department": "SSF", "role": "manager"}],
    GROUP_BUF_CASE_OFFICERS: {"department": "BUF", "role": "case_officer"},
}


@pytest.fixture(scope="session")
def provider():
    running = start_provider()
    yield running
    running.stop()


@pytest.fixture
def oidc(settings, provider):
    """Sign-on configured against the running test provider, as the environment would."""
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_GROUP_MAP = json.dumps(GROUP_MAP)
    settings.OIDC_PROVIDER_NAME = PROVIDER_NAME
    provider.reset()
    discovery.forget()
    yield provider
    discovery.forget()
    provider.reset()
