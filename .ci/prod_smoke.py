"""Production smoke test: the product as an operator runs it, driven over HTTP.

gunicorn with config.settings.prod and the django-tasks database worker on PostgreSQL; a case
manager logs in, opens the start page, a follow-up list and the dashboard and saves a follow-up;
a council member asks for the council PDF and waits until the worker has rendered it. Both
processes are stopped by PID at the end, whatever happened. Run by `make prod-smoke`, which
migrates, creates the cache table, collects the static files and loads the demo first.

Exit status 0 only if every step answered as a user would expect.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DEMO_PASSWORD = "demo-2026"  # noqa: S105 (the fictional demo's printed password)
PDF_WAIT_SECONDS = 240


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FormFields(HTMLParser):
    """The named fields of the first form whose action matches, as a browser would post them."""

    def __init__(self, action_pattern: str) -> None:
        super().__init__()
        self.action_pattern = re.compile(action_pattern)
        self.inside = False
        self.done = False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self.done and self.action_pattern.search(a.get("action") or ""):
            self.inside = True
        elif self.inside and tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields[a["name"]] = a.get("value") or ""
        elif self.inside and tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.fields[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


class Browser:
    """Cookies and CSRF as a browser behind the TLS proxy (X-Forwarded-Proto: https)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        origin = f"https://127.0.0.1:{self.port}"
        h = {"X-Forwarded-Proto": "https", "Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            h.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": origin,
                    "Referer": origin + path,
                }
            )
        h.update(headers or {})
        conn.request(method, path, body=data, headers=h)
        response = conn.getresponse()
        content = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _sep, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        conn.close()
        return response.status, dict(response.getheaders()), content

    def get(self, path: str, expect: int = 200):
        status, headers, content = self.request("GET", path)
        check(status == expect, f"GET {path} answered {status}, expected {expect}")
        return headers, content

    def form(self, path: str, action_pattern: str) -> dict[str, str]:
        _headers, content = self.get(path)
        parser = FormFields(action_pattern)
        parser.feed(content.decode())
        check(parser.fields, f"no form matching {action_pattern!r} on {path}")
        return parser.fields

    def login(self, username: str) -> None:
        fields = self.form("/konto/login/", r"login")
        fields.update({"username": username, "password": DEMO_PASSWORD})
        status, headers, _content = self.request("POST", "/konto/login/", fields)
        check(status == 302, f"login as {username} answered {status}")
        check("sessionid" in self.cookies, "login set no session cookie")


def check(condition, message: str) -> None:
    if not condition:
        raise SystemExit(f"prod-smoke FAILED: {message}")


def step(message: str) -> None:
    print(f"prod-smoke: {message}", flush=True)


def demo_ids(env: dict) -> dict:
    """A follow-up the demo case manager may edit in the open plan round, from the database."""
    code = (
        "import json\n"
        "from followups.models import FollowUp, FollowUpRound\n"
        "from django.contrib.auth import get_user_model\n"
        "from departments.access import access_for\n"
        "user = get_user_model().objects.get(username='leder')\n"
        "plan = FollowUpRound.objects.get(state='open', kind='plan')\n"
        "access = access_for(user)\n"
        "f = next(f for f in FollowUp.objects.visible_to(user).filter("
        "recommendation__report=plan.report).order_by('pk')"
        " if access.can_edit_department(f.department_id) and f.is_editable)\n"
        "print(json.dumps({'followup': f.pk, 'year': plan.report.year}))\n"
    )
    out = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", "shell", "-c", code],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def saved_action(env: dict, pk: int) -> str:
    code = f"from followups.models import FollowUp; print(FollowUp.objects.get(pk={pk}).action)"
    out = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", "shell", "-c", code],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def wait_until_up(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        check(proc.poll() is None, f"gunicorn exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("prod-smoke FAILED: gunicorn did not start listening")


def stop(proc: subprocess.Popen | None, name: str) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    step(f"{name} (pid {proc.pid}) stopped")


def run(env: dict, port: int, logs: Path) -> None:
    ids = demo_ids(env)
    manager = Browser(port)
    manager.login("leder")
    step("logged in as the demo manager")
    _h, home = manager.get("/")
    check(b'lang="da"' in home, "the start page is not Danish")
    manager.get("/oversigt/opfoelgninger/")
    manager.get("/oversigt/opfoelgninger/?status=open")
    manager.get("/oversigt/")
    step("start page, follow-up list and dashboard answered 200")

    edit = f"/opfoelgning/{ids['followup']}/rediger/"
    fields = manager.form(edit, r"/rediger/$")
    marker = f"Prod-smoke {int(time.time())}: vi gennemgår skabelonerne."
    fields["action"] = marker
    status, headers, content = manager.request("POST", edit, fields)
    check(status == 302, f"saving the follow-up answered {status}: {content[:300]!r}")
    check(marker in saved_action(env, ids["followup"]), "the saved text is not in the database")
    step(f"follow-up {ids['followup']} saved (302) and found in the database")

    council = Browser(port)
    council.login("byraad")
    pdf = f"/rapporter/{ids['year'] - 1}/rapport.pdf"
    deadline = time.monotonic() + PDF_WAIT_SECONDS
    path, polls = pdf, 0
    while True:
        status, headers, content = council.request("GET", path)
        check(status in (200, 302), f"GET {path} answered {status}")
        if status == 200 and headers.get("Content-Type") == "application/pdf":
            break
        if status == 302:
            target = urlsplit(headers["Location"])
            path = (target.path or pdf) + (f"?{target.query}" if target.query else "")
        else:
            path = pdf  # a progress page: ask for the PDF again, as its reload does
        polls += 1
        check(time.monotonic() < deadline, f"no PDF after {PDF_WAIT_SECONDS} s ({polls} polls)")
        time.sleep(1)
    check(content.startswith(b"%PDF-"), "the council PDF is not a PDF")
    step(f"council PDF rendered by the worker ({len(content)} bytes, {polls} polls)")


def main() -> int:
    check(os.environ.get("DATABASE_URL", "").startswith("postgres"), "DATABASE_URL must be set")
    port = free_port()
    logs = Path(os.environ.get("SMOKE_LOG_DIR", "/tmp"))  # noqa: S108
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "prod-smoke-" + "x" * 50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "PYTHONPATH": str(ROOT),
    }
    web = worker = None
    web_log = open(logs / "prod-smoke-gunicorn.log", "w")  # noqa: SIM115
    worker_log = open(logs / "prod-smoke-worker.log", "w")  # noqa: SIM115
    try:
        web = subprocess.Popen(  # noqa: S603
            [GUNICORN, "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=web_log,
            stderr=subprocess.STDOUT,
        )
        worker = subprocess.Popen(  # noqa: S603
            [PYTHON, "manage.py", "db_worker", "--interval", "0.5", "--no-startup-delay"],
            cwd=ROOT,
            env=env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        step(f"gunicorn pid {web.pid} on port {port}, db_worker pid {worker.pid}")
        wait_until_up(port, web)
        run(env, port, logs)
        check(worker.poll() is None, "the worker died")
    except BaseException:
        for log in (web_log, worker_log):
            log.flush()
            print(f"--- {log.name} (last 40 lines)")
            print("\n".join(Path(log.name).read_text().splitlines()[-40:]))
        raise
    finally:
        stop(web, "gunicorn")
        stop(worker, "db_worker")
        web_log.close()
        worker_log.close()
    step("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
