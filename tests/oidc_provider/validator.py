"""The provider's claims and its test hooks.

Claims come from `directory.json` in the provider's folder (name, e-mail and the groups of
each provider user), so a test changes a user's groups at the provider by rewriting that
file. A test makes the provider issue one faulty ID token by writing `token-mode`; the
provider reads and deletes it when it issues the next ID token:

- `bad-signature`: the provider signs the token with its real key, then alters
  characters of the signature, six before its end (what a man in the middle editing the token
  would produce);
- `expired`: the token is signed correctly but its `exp` lies an hour in the past;
- `unknown-issuer`: the token is signed correctly with the provider's key but names
  another issuer in `iss`.
"""

import json
import time
from pathlib import Path

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator

UNKNOWN_ISSUER = "http://127.0.0.1:9/unknown-issuer"


def _home() -> Path:
    return settings.HOME


def directory() -> dict:
    path = _home() / "directory.json"
    return json.loads(path.read_text()) if path.exists() else {}


def take_token_mode() -> str:
    path = _home() / "token-mode"
    if not path.exists():
        return ""
    mode = path.read_text().strip()
    path.unlink()
    return mode


class TestProviderValidator(OAuth2Validator):
    # Like Entra ID with a groups claim configured: the groups come with the openid scope.
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "groups": "openid"}

    def get_additional_claims(self, request):
        person = directory().get(request.user.username, {})
        return {
            "preferred_username": request.user.username,
            "name": person.get("name", ""),
            "given_name": person.get("given_name", ""),
            "family_name": person.get("family_name", ""),
            "email": person.get("email", ""),
            "groups": person.get("groups", []),
        }

    def finalize_id_token(self, id_token, token, token_handler, request):
        mode = take_token_mode()
        request.test_token_mode = mode
        serialized = super().finalize_id_token(id_token, token, token_handler, request)
        if mode == "bad-signature":
            header, payload, signature = serialized.split(".")
            # Six characters before the last ones: the last character of base64url carries
            # padding bits, and a wrong one there makes the token malformed, not forged.
            flipped = "A" if signature[-12] != "A" else "B"
            signature = signature[:-12] + flipped * 6 + signature[-6:]
            serialized = f"{header}.{payload}.{signature}"
        return serialized

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        mode = getattr(request, "test_token_mode", "")
        if mode == "expired":
            now = int(time.time())
            claims["iat"] = now - 7200
            claims["exp"] = now - 3600
        elif mode == "unknown-issuer":
            claims["iss"] = UNKNOWN_ISSUER
        return claims, expiration_time
