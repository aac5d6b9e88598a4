"""Load run (SECURITY.md case 19): concurrent users against gunicorn for a while.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opf_load .venv/bin/python bench/load.py \\
        [--users 20] [--seconds 600] [--workers 4]

Migrates the database, loads the demo (so run it on a database of its own), starts gunicorn
with the development settings on a free port, and lets `--users` virtual users (threads, each
with its own session, logged in as the demo's case officers, managers and secretariat) mix
lists, searches, the dashboard, recommendation pages, follow-up edits and the council's PDF
until `--seconds` have passed. Prints one JSON line per kind of request (count, errors,
p50/p95 ms), a line with the number of version conflicts (409: two users saved the same
follow-up; expected and correct) and the gunicorn processes' memory (RSS) at start, middle and
end. A 5xx, a timeout or an unexpected 4xx counts as an error.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PASSWORD = "demo-2026"  # noqa: S105 (the fictional demo users' published password)
USERS = ["sagsbehandler", "sagsbehandler.buf", "sagsbehandler.tmf", "leder", "leder.buf"]
USERS += ["sekretariat"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Summed RSS of gunicorn's master and workers."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return round(total / 1024, 1)


class VirtualUser(threading.Thread):
    def __init__(self, base: str, username: str, deadline: float, results: dict, lock):
        super().__init__(daemon=True)
        self.base = base
        self.username = username
        self.deadline = deadline
        self.results = results
        self.lock = lock
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        self.jar = jar
        self.followups: list[str] = []

    def record(self, kind: str, ms: float, status: int) -> None:
        with self.lock:
            entry = self.results.setdefault(
                kind, {"times": [], "errors": 0, "conflicts": 0, "refused": 0}
            )
            entry["times"].append(ms)
            if status == 409:
                entry["conflicts"] += 1
            elif status == 422:  # a service refused the change (e.g. not editable): shown, fine
                entry["refused"] += 1
            elif status >= 500 or status in (0, 400, 401, 404) or status == 403:
                entry["errors"] += 1

    def request(self, kind: str, path: str, data: dict | None = None) -> tuple[int, str]:
        body = None
        headers = {"Accept-Language": "da"}
        if data is not None:
            body = urllib.parse.urlencode(data).encode()
            headers["Referer"] = self.base + path
            headers["X-CSRFToken"] = self.csrf()
        req = urllib.request.Request(self.base + path, data=body, headers=headers)  # noqa: S310
        start = time.perf_counter()
        try:
            with self.opener.open(req, timeout=60) as response:
                status, text = response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read().decode("utf-8", "replace")
        except (urllib.error.URLError, TimeoutError):
            status, text = 0, ""
        self.record(kind, (time.perf_counter() - start) * 1000, status)
        return status, text

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def login(self) -> None:
        self.request("login", "/konto/login/")
        self.request(
            "login",
            "/konto/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": self.csrf()},
        )
        _, home = self.request("home", "/")
        linked = sorted(set(re.findall(r'href="(/opfoelgning/\d+/)"', home)))
        # Only the follow-ups this user may still edit (their page offers the edit link).
        self.followups = [
            url for url in linked if f'href="{url}rediger/"' in self.request("followup", url)[1]
        ]

    def edit(self) -> None:
        if not self.followups:
            return
        url = random.choice(self.followups)
        status, form = self.request("followup edit form", url + "rediger/")
        version = re.search(r'name="version" value="(\d+)"', form)
        if status != 200 or not version:
            return
        target = re.search(r'name="target_date" value="([0-9-]*)"', form)
        self.request(
            "followup save",
            url + "rediger/",
            {
                "csrfmiddlewaretoken": self.csrf(),
                "version": version.group(1),
                "action": f"- Handling skrevet af {self.username} {time.time():.0f}",
                "responsible": self.username,
                "target_date": target.group(1) if target else "",
            },
        )

    def run(self) -> None:
        self.login()
        year = "2025"
        actions = [
            lambda: self.request("home", "/"),
            lambda: self.request("list follow-ups", "/oversigt/opfoelgninger/"),
            lambda: self.request("search", "/oversigt/anbefalinger/?q=borger"),
            lambda: self.request("report page", f"/beretninger/{year}/"),
            lambda: self.request("report preview", f"/rapporter/{year}/"),
            self.edit,
        ]
        if self.username.startswith(("leder", "sekretariat")):
            actions.append(lambda: self.request("dashboard", "/oversigt/"))
        if self.username == "sekretariat":
            actions.append(lambda: self.request("pdf", f"/rapporter/{year}/rapport.pdf"))
        while time.monotonic() < self.deadline:
            random.choice(actions)()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    for command in (["migrate", "--noinput"], ["load_demo"]):
        subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(args.workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/konto/login/", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        memory = {"start": rss_mb(server.pid)}
        results: dict = {}
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds
        users = [
            VirtualUser(base, USERS[i % len(USERS)], deadline, results, lock)
            for i in range(args.users)
        ]
        for user in users:
            user.start()
        time.sleep(args.seconds / 2)
        memory["middle"] = rss_mb(server.pid)
        for user in users:
            user.join()
        memory["end"] = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    conflicts = 0
    for kind, entry in sorted(results.items()):
        times = sorted(entry["times"])
        conflicts += entry["conflicts"]
        print(
            json.dumps(
                {
                    "request": kind,
                    "count": len(times),
                    "errors": entry["errors"],
                    "refused_422": entry["refused"],
                    "p50_ms": round(statistics.median(times), 1),
                    "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
                }
            )
        )
    errors = sum(e["errors"] for e in results.values())
    print(
        json.dumps(
            {
                "users": args.users,
                "seconds": args.seconds,
                "errors": errors,
                "version_conflicts_409": conflicts,
                "gunicorn_rss_mb": memory,
            }
        )
    )


if __name__ == "__main__":
    main()
