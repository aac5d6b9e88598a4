"""Load run (SECURITY.md case 19): concurrent users against production's processes.

    .venv/bin/python bench/load.py [--users 20] [--seconds 600] [--workers 4]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opf_load .venv/bin/python bench/load.py

Runs the product as deploy/README.md sets it up, on loopback only: gunicorn (`config.wsgi`,
`--workers` processes) and the worker (`manage.py db_worker`), both with the production
settings (config.settings.prod: pooled PostgreSQL, the database cache and task queue,
WhiteNoise) on the PostgreSQL database named by DATABASE_URL (default `opf_load` on
127.0.0.1:5432, created if missing; use a database of its own). Before starting them it
migrates, creates the cache table, collects the static files into a temporary STATIC_ROOT
and loads the fictional demo with the development settings (load_demo refuses production's).
Requests carry `X-Forwarded-Proto: https` as nginx's do (SECURE_SSL_REDIRECT=0).

`--users` virtual users (threads, each with its own session, logged in as the demo's case
officers, managers and secretariat) mix lists, searches, the dashboard, report pages,
follow-up edits and the council's PDF (queued for the worker: the user polls every 2 s, as
the progress page does, until the file comes) for `--seconds`. Prints one JSON line per kind
of request (count, errors, p50/p95/max ms), then a summary: errors, version conflicts (409:
two users saved the same follow-up; expected and correct) and the memory (RSS, MB) of
gunicorn's processes and of the worker at start, middle and end. A 5xx, a timeout or an
unexpected 4xx counts as an error. Both processes are stopped by PID at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PASSWORD = "demo-2026"  # noqa: S105 (the fictional demo users' published password)
# Assigned in turn, so that even a few users include a manager and the secretariat (PDF).
USERS = ["sagsbehandler", "leder", "sekretariat", "sagsbehandler.buf", "leder.buf"]
USERS += ["sagsbehandler.tmf"]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/opf_load"
WORK_YEAR = "2025"  # the demo's report whose action plan is being written
PUBLISHED_YEAR = "2024"  # the demo's published report: the council's PDF
PDF_WAIT_SECONDS = 180
REQUEST_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Summed RSS of a process and its children (gunicorn's master and workers)."""
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


def ensure_database(url: str) -> None:
    """Create the database named by the URL if it does not exist (nothing is dropped)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = parts._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def manage(env: dict, *command: str) -> None:
    done = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(command)} failed:\n{done.stderr[-3000:]}")


class VirtualUser(threading.Thread):
    """A browser behind nginx: its own cookies, CSRF token, HTTPS as the proxy says."""

    def __init__(self, port: int, username: str, deadline: float, results: dict, lock):
        super().__init__(daemon=True)
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.username = username
        self.deadline = deadline
        self.results = results
        self.lock = lock
        self.cookies: dict[str, str] = {}
        self.followups: list[str] = []

    def record(self, kind: str, ms: float, status: int) -> None:
        with self.lock:
            entry = self.results.setdefault(
                kind, {"times": [], "errors": 0, "conflicts": 0, "refused": 0, "statuses": {}}
            )
            entry["times"].append(ms)
            entry["statuses"][status] = entry["statuses"].get(status, 0) + 1
            if status == 409:
                entry["conflicts"] += 1
            elif status == 422:  # a service refused the change (e.g. not editable): shown, fine
                entry["refused"] += 1
            elif status not in (200, 302):
                entry["errors"] += 1

    def request(
        self, kind: str | None, path: str, data: dict | None = None
    ) -> tuple[int, dict, bytes]:
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "Accept-Language": "da",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data)
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": self.origin,
                    "Referer": self.origin + path,
                }
            )
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request("POST" if data is not None else "GET", path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            status, response_headers = response.status, response.getheaders()
        except (OSError, http.client.HTTPException):
            status, response_headers, content = 0, [], b""
        finally:
            conn.close()
        if kind:
            self.record(kind, (time.perf_counter() - start) * 1000, status)
        for name, value in response_headers:
            if name.lower() == "set-cookie":
                key, _sep, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return status, dict(response_headers), content

    def page(self, kind: str, path: str) -> str:
        return self.request(kind, path)[2].decode("utf-8", "replace")

    def login(self) -> None:
        self.request("login page", "/konto/login/")
        self.request(
            "login",
            "/konto/login/",
            {
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
            },
        )
        home = self.page("home", "/")
        linked = sorted(set(re.findall(r'href="(/opfoelgning/\d+/)"', home)))
        # Only the follow-ups this user may still edit (their page offers the edit link).
        self.followups = [
            url for url in linked if f'href="{url}rediger/"' in self.page("followup", url)
        ]

    def edit(self) -> None:
        if not self.followups:
            return
        url = random.choice(self.followups)  # noqa: S311 (a load mix, not a secret)
        status, _headers, content = self.request("followup edit form", url + "rediger/")
        form = content.decode("utf-8", "replace")
        version = re.search(r'name="version" value="(\d+)"', form)
        if status != 200 or not version:
            return
        target = re.search(r'name="target_date" value="([0-9-]*)"', form)
        self.request(
            "followup save",
            url + "rediger/",
            {
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
                "version": version.group(1),
                "action": f"- Handling skrevet af {self.username} {time.time():.0f}",
                "responsible": self.username,
                "target_date": target.group(1) if target else "",
            },
        )

    def pdf(self) -> None:
        """Ask for the council's PDF until the worker has rendered it, as a user would."""
        path = f"/rapporter/{PUBLISHED_YEAR}/rapport.pdf"
        start = time.perf_counter()
        give_up = time.monotonic() + PDF_WAIT_SECONDS
        while True:
            status, headers, _content = self.request("pdf request", path)
            if status == 200 and headers.get("Content-Type") == "application/pdf":
                outcome = 200
                break
            if status == 302 and "Location" in headers:
                target = urlsplit(headers["Location"])
                self.request("pdf progress page", target.path + f"?{target.query}".rstrip("?"))
            elif status != 200:
                outcome = status
                break
            if time.monotonic() > give_up:
                outcome = 0
                break
            time.sleep(2)
        self.record("pdf until the file", (time.perf_counter() - start) * 1000, outcome)

    def run(self) -> None:
        self.login()
        actions = [
            lambda: self.request("home", "/"),
            lambda: self.request("list follow-ups", "/oversigt/opfoelgninger/"),
            lambda: self.request("search", "/oversigt/anbefalinger/?q=borger"),
            lambda: self.request("report page", f"/beretninger/{WORK_YEAR}/"),
            lambda: self.request("report preview", f"/rapporter/{WORK_YEAR}/"),
            self.edit,
        ]
        if self.username.startswith(("leder", "sekretariat")):
            actions.append(lambda: self.request("dashboard", "/oversigt/"))
        if self.username == "sekretariat":
            actions.append(self.pdf)
        while time.monotonic() < self.deadline:
            random.choice(actions)()  # noqa: S311


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def wait_until_listening(port: int, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start listening")


def warm_up(port: int, workers: int) -> None:
    """Concurrent requests until every gunicorn worker has loaded the application, so the
    first users do not wait for a worker's start and the start's memory is a loaded one."""

    def get() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request("GET", "/konto/login/", headers={"X-Forwarded-Proto": "https"})
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()

    for _round in range(3):
        threads = [threading.Thread(target=get) for _ in range(workers * 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def report(results: dict, args, memory: dict) -> None:
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
                    # Nearest rank: with few samples p95 is the largest, never below p50.
                    "p95_ms": round(times[max(0, math.ceil(0.95 * len(times)) - 1)], 1),
                    "max_ms": round(times[-1], 1),
                    "statuses": {str(k): v for k, v in sorted(entry["statuses"].items())},
                },
                ensure_ascii=False,
            )
        )
    print(
        json.dumps(
            {
                "users": args.users,
                "seconds": args.seconds,
                "gunicorn_workers": args.workers,
                "settings": "config.settings.prod",
                "requests": sum(len(e["times"]) for e in results.values()),
                "errors": sum(e["errors"] for e in results.values()),
                "version_conflicts_409": conflicts,
                "rss_mb": memory,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if not 1 <= args.users <= 200 or not 1 <= args.seconds <= 3600:
        raise SystemExit("--users 1..200 and --seconds 1..3600")
    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database (production's)")
    ensure_database(database_url)

    scratch = Path(tempfile.mkdtemp(prefix="opf-load-"))
    prod = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": str(scratch / "static"),
        "MEDIA_ROOT": str(scratch / "media"),
        "IMPORT_STAGING_DIR": str(scratch / "import"),
        "PYTHONPATH": str(ROOT),
    }
    dev = {**prod, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    print(f"preparing {urlsplit(database_url).path.lstrip('/')} ...", file=sys.stderr)
    manage(prod, "migrate", "--noinput")
    manage(prod, "createcachetable")
    manage(prod, "collectstatic", "--noinput", "-v", "0")
    manage(dev, "load_demo")

    port = free_port()
    logs = {name: open(scratch / f"{name}.log", "w") for name in ("gunicorn", "worker")}  # noqa: SIM115
    web = worker = None
    memory: dict = {}
    results: dict = {}
    try:
        web = subprocess.Popen(  # noqa: S603
            [PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", str(args.workers), "--timeout", "120", "--log-level", "warning"],
            cwd=ROOT,
            env=prod,
            stdout=logs["gunicorn"],
            stderr=subprocess.STDOUT,
        )
        worker = subprocess.Popen(  # noqa: S603
            [PYTHON, "manage.py", "db_worker", "--interval", "0.5", "--no-startup-delay"],
            cwd=ROOT,
            env=prod,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        )
        wait_until_listening(port, web)
        warm_up(port, args.workers)

        def snapshot() -> dict:
            return {"gunicorn": rss_mb(web.pid), "worker": rss_mb(worker.pid)}

        memory["start"] = snapshot()
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds
        users = [
            VirtualUser(port, USERS[i % len(USERS)], deadline, results, lock)
            for i in range(args.users)
        ]
        for user in users:
            user.start()
        time.sleep(args.seconds / 2)
        memory["middle"] = snapshot()
        for user in users:
            # A user finishes the request it is in; a PDF wait is bounded by PDF_WAIT_SECONDS.
            user.join(timeout=args.seconds / 2 + PDF_WAIT_SECONDS + REQUEST_TIMEOUT + 30)
        memory["end"] = snapshot()
        if worker.poll() is not None:
            print(f"the worker exited with {worker.returncode}", file=sys.stderr)
    finally:
        stop(web)
        stop(worker)
        for log in logs.values():
            log.close()
    report(results, args, memory)
    errors = (scratch / "gunicorn.log").read_text().count("Traceback")
    errors += (scratch / "worker.log").read_text().count("Traceback")
    if errors:
        print(f"{errors} tracebacks in the logs under {scratch}", file=sys.stderr)
    else:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
