"""Database outage under load (SECURITY.md case 18): PostgreSQL killed, then started again.

    .venv/bin/python bench/fault.py [--port 54329] [--outage 10] [--users 3]

Runs on a PostgreSQL cluster of its own (initdb into a temporary folder, its own port, its
unix socket in that folder; any other cluster is left alone): migrates a database there,
loads the fictional demo (development settings), runs collectstatic and createcachetable,
and starts gunicorn with the production settings (config.settings.prod) on a free loopback
port. `--users` demo case officers log in and each keeps going round their own follow-up:
start page, follow-up page, the edit form (htmx), a save (POST with CSRF token and version,
a new text every time), plus one anonymous visitor loading the login page. After a few
seconds the cluster is stopped with `pg_ctl stop -m immediate` (a crash: connections cut,
nothing flushed on the way out), the load goes on for `--outage` seconds, the cluster is
started again and the load goes on a little longer. Then everything is stopped and the
cluster deleted.

Prints JSON lines: requests by phase and status code with latency p50/p95/max (ms); the time
from the restart (pg_ctl start has returned, the server accepts connections) to the first
200, and the status of every request that started after it; the saves acknowledged (302)
and how many of them are not in the database afterwards (their text looked up in the
follow-up history: rows lost, expected 0); lines in gunicorn's log (tracebacks, the one-line
database_unavailable entries).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
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
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PASSWORD = "demo-2026"  # noqa: S105 (the fictional demo users' published password)
OFFICERS = ["sagsbehandler", "sagsbehandler.buf", "sagsbehandler.tmf"]
REQUEST_TIMEOUT = 15.0
DB_NAME = "opf_fault"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A throw-away PostgreSQL cluster in `folder`, run as the postgres user when we are root
    (initdb refuses root)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.socket_dir = folder / "socket"
        self.port = port
        self.log = folder / "postgres.log"
        self.url = f"postgres://postgres@127.0.0.1:{port}/{DB_NAME}"

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run(  # noqa: S603
            [*prefix, *command], capture_output=True, text=True, timeout=120, check=check
        )

    def init(self) -> None:
        self.socket_dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=50"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
            "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        status = self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status", check=False)
        return status.returncode == 0


def manage(env: dict, *command: str) -> None:
    done = subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(command)} failed:\n{done.stderr[-3000:]}")


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        # (start, end, kind, status) in monotonic seconds
        self.requests: list[tuple[float, float, str, int]] = []
        self.saves: list[tuple[int, str, int]] = []  # (follow-up id, text, status)

    def add(self, start: float, end: float, kind: str, status: int) -> None:
        with self.lock:
            self.requests.append((start, end, kind, status))


class Browser:
    """One user's cookies over plain HTTP; the proxy's header says HTTPS, so the Secure
    cookies Django sets are sent back regardless."""

    def __init__(self, port: int, recorder: Recorder) -> None:
        self.port = port
        self.origin = f"https://127.0.0.1:{port}"
        self.recorder = recorder
        self.cookies: dict[str, str] = {}

    def request(
        self, kind: str, path: str, data: dict | None = None, htmx: bool = False
    ) -> tuple[int, dict, str]:
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https"}
        if htmx:
            headers["HX-Request"] = "true"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
        start = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request("POST" if data is not None else "GET", path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read().decode("utf-8", "replace")
            status, response_headers = response.status, response.getheaders()
        except (OSError, http.client.HTTPException):
            status, response_headers, content = 0, [], ""
        finally:
            conn.close()
        self.recorder.add(start, time.monotonic(), kind, status)
        for name, value in response_headers:
            if name.lower() == "set-cookie":
                key, _sep, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return status, dict(response_headers), content


def field(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    if not match:
        return ""
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


class Officer(threading.Thread):
    def __init__(self, browser: Browser, username: str, followup: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.browser = browser
        self.username = username
        self.followup = followup
        self.stop = stop
        self.version = ""
        self.form: dict[str, str] = {}
        self.seq = 0

    def read_form(self) -> bool:
        status, _headers, html = self.browser.request(
            "edit form (htmx)", f"/opfoelgning/{self.followup}/rediger/", htmx=True
        )
        if status != 200:
            return False
        self.version = field(html, "version")
        self.form = {"responsible": field(html, "responsible")}
        self.form["target_date"] = field(html, "target_date")
        return True

    def save(self) -> None:
        self.seq += 1
        text = f"- Bench fault {self.username} #{self.seq} {time.time_ns()}"
        data = {
            "csrfmiddlewaretoken": self.browser.cookies.get("csrftoken", ""),
            "version": self.version,
            "action": text,
            **self.form,
            "target_date_reason": "",
        }
        status, _headers, _html = self.browser.request(
            "save (POST)", f"/opfoelgning/{self.followup}/rediger/", data
        )
        with self.browser.recorder.lock:
            self.browser.recorder.saves.append((self.followup, text, status))
        if status == 302 and self.version.isdigit():
            self.version = str(int(self.version) + 1)
        elif status != 302:
            self.version = ""  # read it again (a save answered 503 may still have committed)

    def run(self) -> None:
        while not self.stop.is_set():
            self.browser.request("start page", "/")
            self.browser.request("follow-up page", f"/opfoelgning/{self.followup}/")
            if not self.version:
                self.read_form()
            if self.version and not self.stop.is_set():
                self.save()


class Visitor(threading.Thread):
    def __init__(self, browser: Browser, stop: threading.Event):
        super().__init__(daemon=True)
        self.browser = browser
        self.stop = stop

    def run(self) -> None:
        while not self.stop.is_set():
            self.browser.request("login page", "/konto/login/")
            time.sleep(0.2)


def login(port: int, recorder: Recorder, username: str) -> Browser:
    browser = Browser(port, recorder)
    browser.request("login page", "/konto/login/")
    status, _h, _c = browser.request(
        "login",
        "/konto/login/",
        {
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""),
        },
    )
    if status != 302:
        raise SystemExit(f"log-in as {username} answered {status}")
    return browser


def editable_followup(browser: Browser) -> int:
    _s, _h, home = browser.request("start page", "/")
    for pk in sorted({int(p) for p in re.findall(r'href="/opfoelgning/(\d+)/"', home)}):
        # The follow-up page offers the edit link only while the follow-up can be edited.
        _s, _h, html = browser.request("follow-up page", f"/opfoelgning/{pk}/")
        if f'href="/opfoelgning/{pk}/rediger/"' in html:
            return pk
    raise SystemExit("no editable follow-up on the start page")


def summary(rows: list[tuple[float, float, str, int]]) -> dict:
    by_status: dict[str, list[float]] = {}
    for start, end, _kind, status in rows:
        by_status.setdefault(str(status), []).append((end - start) * 1000)
    out = {}
    for status, times in sorted(by_status.items()):
        times.sort()
        out[status] = {
            "count": len(times),
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
            "max_ms": round(times[-1], 1),
        }
    return out


def wait_for_http(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/konto/login/", headers={"X-Forwarded-Proto": "https"})
            if conn.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=54329, help="the private cluster's port")
    parser.add_argument("--outage", type=float, default=10.0, help="seconds without database")
    parser.add_argument("--before", type=float, default=5.0)
    parser.add_argument("--after", type=float, default=8.0)
    parser.add_argument("--users", type=int, default=3, choices=range(1, len(OFFICERS) + 1))
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="opf-fault-"))
    cluster = Cluster(folder, args.port)
    gunicorn = None
    try:
        cluster.init()
        cluster.start()
        import psycopg

        with psycopg.connect(
            f"postgres://postgres@127.0.0.1:{args.port}/postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {DB_NAME}")
        base_env = {
            **os.environ,
            "DATABASE_URL": cluster.url,
            "STATIC_ROOT": str(folder / "static"),
            "MEDIA_ROOT": str(folder / "media"),
            "IMPORT_STAGING_DIR": str(folder / "staging"),
        }
        dev = {**base_env, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
        prod = {
            **base_env,
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "SECRET_KEY": "bench-fault-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
        }
        manage(dev, "migrate", "--noinput", "-v", "0")
        manage(dev, "load_demo")
        manage(prod, "createcachetable")
        manage(prod, "collectstatic", "--noinput", "-v", "0")

        web_port = free_port()
        log_path = folder / "gunicorn.log"
        log = log_path.open("w")
        gunicorn = subprocess.Popen(  # noqa: S603
            [GUNICORN, "config.wsgi", "-b", f"127.0.0.1:{web_port}"]
            + ["--workers", str(args.users + 1), "--timeout", "60"],
            cwd=ROOT,
            env=prod,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_http(web_port, 60)

        recorder = Recorder()
        stop = threading.Event()
        threads: list[threading.Thread] = []
        for username in OFFICERS[: args.users]:
            browser = login(web_port, recorder, username)
            threads.append(Officer(browser, username, editable_followup(browser), stop))
        threads.append(Visitor(Browser(web_port, recorder), stop))
        recorder.requests.clear()
        for thread in threads:
            thread.start()

        time.sleep(args.before)
        killing = time.monotonic()
        cluster.stop("immediate")
        down = time.monotonic()
        time.sleep(args.outage)
        starting = time.monotonic()
        cluster.start()
        up = time.monotonic()
        time.sleep(args.after)
        stop.set()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT + 5)

        rows = sorted(recorder.requests)
        phases = {
            "before": [r for r in rows if r[1] < killing],
            "at the kill": [r for r in rows if r[0] < down and r[1] >= killing],
            "outage": [r for r in rows if r[0] >= down and r[1] <= starting],
            "during the start": [r for r in rows if r[0] < up and r[1] > starting],
            "after restart": [r for r in rows if r[0] >= up],
        }
        for phase, phase_rows in phases.items():
            print(json.dumps({"phase": phase, "requests": len(phase_rows)} | {
                "by_status": summary(phase_rows),
            }, ensure_ascii=False))  # fmt: skip
        outage_kinds = {}
        for kind in sorted({r[2] for r in phases["outage"]}):
            outage_kinds[kind] = summary([r for r in phases["outage"] if r[2] == kind])
        print(json.dumps({"outage_by_kind": outage_kinds}, ensure_ascii=False))
        after = phases["after restart"]
        first_200 = min((r[1] for r in after if r[3] == 200), default=None)
        print(
            json.dumps(
                {
                    "outage_seconds": round(starting - down, 1),
                    "pg_ctl_start_seconds": round(up - starting, 2),
                    "restart_to_first_200_ms": (
                        round((first_200 - up) * 1000, 1) if first_200 else None
                    ),
                    "first_requests_after_restart": [
                        {"kind": r[2], "status": r[3], "ms": round((r[1] - r[0]) * 1000, 1)}
                        for r in after[: 2 * len(threads)]
                    ],
                    "non_2xx_3xx_after_restart": sum(1 for r in after if not 200 <= r[3] < 400),
                },
                ensure_ascii=False,
            )
        )

        acknowledged = [(pk, text) for pk, text, status in recorder.saves if status == 302]
        with psycopg.connect(cluster.url) as conn:
            kept = {
                (pk, action)
                for pk, action in conn.execute(
                    "SELECT id, action FROM followups_historicalfollowup WHERE action LIKE %s",
                    ["- Bench fault %"],
                )
            }
        lost = [a for a in acknowledged if a not in kept]
        statuses: dict[str, int] = {}
        for _pk, _text, status in recorder.saves:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        print(
            json.dumps(
                {
                    "saves_by_status": statuses,
                    "saves_acknowledged": len(acknowledged),
                    "rows_lost": len(lost),
                    "saved_without_acknowledgement": len(
                        {(pk, t) for pk, t, s in recorder.saves if s != 302} & kept
                    ),
                }
            )
        )
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(30)
        log.close()
        text = log_path.read_text(errors="replace")
        print(
            json.dumps(
                {
                    "gunicorn_log_lines": text.count("\n"),
                    "tracebacks": text.count("Traceback"),
                    "database_unavailable_lines": text.count("database_unavailable"),
                    "psycopg_pool_warnings": len(re.findall(r"WARNING psycopg\.pool", text)),
                }
            )
        )
    finally:
        if gunicorn is not None and gunicorn.poll() is None:
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(30)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
        if cluster.data.exists() and cluster.running():
            cluster.stop("fast")
        if os.environ.get("FAULT_KEEP") != "1":
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(json.dumps({"kept": str(folder)}))


if __name__ == "__main__":
    main()
