"""Start and drive the test OpenID provider (tests/oidc_provider) in a subprocess."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

CLIENT_ID = "opfoelgning-test"
CLIENT_SECRET = "test-client-secret-0123456789"  # noqa: S105
PASSWORD = "provider-pw"  # noqa: S105
# The application's callback as the test client (testserver) and the live server (any
# port on the loopback address, RFC 8252 7.3) reach it.
REDIRECT_URIS = " ".join(
    f"http://{host}/konto/oidc/callback/" for host in ("testserver", "127.0.0.1", "localhost")
)
POST_LOGOUT_URIS = " ".join(
    f"http://{host}/konto/login/" for host in ("testserver", "127.0.0.1", "localhost")
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Provider:
    home: Path
    port: int
    process: subprocess.Popen | None = None
    people: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    def set_person(self, username: str, *, groups: list[str], **profile: str) -> None:
        """What the provider says about `username` from the next token on."""
        self.people[username] = {**profile, "groups": groups}
        (self.home / "directory.json").write_text(json.dumps(self.people))

    def set_token_mode(self, mode: str) -> None:
        """The next ID token is faulty in the named way (tests/oidc_provider/validator.py)."""
        (self.home / "token-mode").write_text(mode)

    def reset(self) -> None:
        self.people.clear()
        (self.home / "directory.json").write_text("{}")
        (self.home / "token-mode").unlink(missing_ok=True)

    def start(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
            "OIDC_PROVIDER_DIR": str(self.home),
            "OIDC_PROVIDER_ISSUER": self.issuer,
            "PYTHONPATH": str(settings.BASE_DIR),
        }
        env.pop("DATABASE_URL", None)
        subprocess.run(  # noqa: S603
            [
                sys.executable,
                "-m",
                "tests.oidc_provider.setup",
                CLIENT_ID,
                CLIENT_SECRET,
                REDIRECT_URIS,
                POST_LOGOUT_URIS,
            ],
            env=env,
            cwd=settings.BASE_DIR,
            check=True,
        )
        log = open(self.home / "server.log", "wb")  # noqa: SIM115 (lives as long as the server)
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.home / "server.log").read_text())
            try:
                if requests.get(self.discovery_url, timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError("the test provider did not start")

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_provider() -> Provider:
    home = Path(tempfile.mkdtemp(prefix="opf-oidc-provider-"))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (home / "signing-key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    provider = Provider(home=home, port=free_port())
    provider.reset()
    provider.start()
    return provider


def sign_in_at_provider(session: requests.Session, authorize_url: str, username: str) -> str:
    """Follow the provider's redirects as a browser would, signing in on its form, and
    return the URL it sends the browser back to (our callback, with code and state)."""
    url = authorize_url
    for _step in range(10):
        response = session.get(url, allow_redirects=False, timeout=10)
        if response.status_code == 200 and "csrfmiddlewaretoken" in response.text:
            token = session.cookies["provider_csrftoken"]
            response = session.post(
                url,
                data={
                    "csrfmiddlewaretoken": token,
                    "username": username,
                    "password": PASSWORD,
                },
                allow_redirects=False,
                timeout=10,
            )
        assert response.status_code in (301, 302), (response.status_code, response.text[:500])
        url = urljoin(url, response.headers["Location"])
        if "/konto/oidc/callback/" in url:
            return url
    raise AssertionError("the provider never sent the browser back")
