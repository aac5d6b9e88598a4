"""Benchmark: downloading the current report after a change, once the worker has rendered it.

    .venv/bin/python bench/current_report.py [--runs 5] [--n 30] [--wait]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opf_current .venv/bin/python \
        bench/current_report.py            # a scratch database: it is flushed first

Builds bench/pdf.py's synthetic report (`build_data`: 60 recommendations, 8 departments,
300 follow-ups with statuses) in a throwaway SQLite database, or in the scratch database
DATABASE_URL names, with production's task queue (django-tasks-db). Then, per run:

1. a change: the secretariat chooses a new comment for the council's report
   (`comment_add`, committed: the history signal marks the year, the mark queues the
   year's task chain to run REPORT_REFRESH_DELAY seconds later);
2. the debounce passes and the worker runs: `db_worker --batch`, after the queued task and
   the year's `due_at` are moved to now (with `--wait`, after really waiting the delay);
   "pass_seconds" is that worker run, rendering the year's changed current reports;
3. `--n` downloads of the current report (`/rapporter/2030/rapport.pdf`, the whole file
   read) through Django's test Client, alternating a council member and the secretariat.

Prints one JSON line per run and audience {"run", "audience", "n", "p50_ms", "p95_ms",
"max_ms", "queries", "bytes", "pass_seconds", "rendered"}, then one line per audience with
the ranges over the runs. The target: p95 <= 100 ms. Not a test: nothing is asserted on
the times.

`measure_current_download(runs)` does the same and returns the figures as a dict; it uses
the database Django is set up with if it is (and bench/pdf.py's report if it is there), or
a throwaway SQLite database.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2030
AUDIENCES = ("council", "secretariat")


def _bench_pdf():
    """bench/pdf.py as a module (its Django set-up and synthetic data)."""
    spec = importlib.util.spec_from_file_location("bench_pdf", Path(__file__).with_name("pdf.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _ensure_django(flush: bool) -> None:
    """Django set up (a throwaway SQLite database unless DATABASE_URL names one), migrated,
    with bench/pdf.py's report in it."""
    import django
    from django.apps import apps

    if not apps.ready:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
        if not os.environ.get("DATABASE_URL"):
            scratch = tempfile.mkdtemp(prefix="opf-bench-current-")
            os.environ["SQLITE_PATH"] = str(Path(scratch) / "bench.sqlite3")
        django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from recommendations.models import AnnualReport

    call_command("migrate", verbosity=0)
    if flush:
        call_command("flush", interactive=False, verbosity=0)
    if not AnnualReport.objects.filter(year=YEAR).exists():
        with transaction.atomic():
            _bench_pdf().build_data()
    # As a web process starts (config/wsgi.py): the views imported, the objects loaded so
    # far frozen out of the garbage collector's full collections.
    import config.wsgi  # noqa: F401


def _users():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from departments.access import GlobalRole

    users = {}
    for name, role in (("council", GlobalRole.COUNCIL), ("secretariat", GlobalRole.SECRETARIAT)):
        user, _created = get_user_model().objects.get_or_create(
            username=f"bench-current-{name}", defaults={"first_name": name.title()}
        )
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        users[name] = user
    return users


def _worker_pass(wait: bool) -> tuple[float, int]:
    """Let the debounce pass and run the worker as production does; (seconds, renderings)."""
    from django.core.management import call_command
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from reports.models import ReportRefresh, ReportRendering

    refresh = ReportRefresh.objects.get(year=YEAR)
    if wait:
        time.sleep(max(0.0, (refresh.due_at - timezone.now()).total_seconds()) + 0.5)
    else:
        now = timezone.now()
        ReportRefresh.objects.filter(year=YEAR).update(due_at=now)
        DBTaskResult.objects.filter(status="READY").update(run_after=now)
    before = ReportRendering.objects.filter(state="done").count()
    start = time.perf_counter()
    call_command("db_worker", "--batch", verbosity=0)
    seconds = time.perf_counter() - start
    if ReportRefresh.objects.get(year=YEAR).chain_token:
        raise RuntimeError("the year's chain did not finish: is the debounce over?")
    return seconds, ReportRendering.objects.filter(state="done").count() - before


def measure_current_download(runs: int, n: int = 30, *, wait: bool = False) -> dict:
    """Per run: a change, the worker's pass after the debounce, `n` downloads per audience
    (alternating); returns {"runs": [...], "ranges": {...}}."""
    _ensure_django(flush=False)
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from collaboration.services import comment_add
    from followups.models import FollowUp

    media = tempfile.mkdtemp(prefix="opf-bench-current-media-")
    overrides = override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
        MEDIA_ROOT=media,
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
    )
    overrides.enable()
    try:
        users = _users()
        clients = {}
        for name, user in users.items():
            clients[name] = Client()
            clients[name].force_login(user)
        followup = FollowUp.objects.filter(recommendation__report__year=YEAR).order_by("pk")[0]
        path = f"/rapporter/{YEAR}/rapport.pdf"
        results = []
        for run in range(1, runs + 1):
            comment_add(
                actor=users["secretariat"],
                followup=followup,
                text=f"Bemærkning til byrådet, kørsel {run} ({datetime.datetime.now():%H:%M:%S}).",  # noqa: DTZ005
                for_council=True,
            )
            pass_seconds, rendered = _worker_pass(wait)
            times: dict[str, list[float]] = {name: [] for name in AUDIENCES}
            queries: dict[str, int] = dict.fromkeys(AUDIENCES, 0)
            sizes: dict[str, int] = dict.fromkeys(AUDIENCES, 0)
            for name in AUDIENCES:  # one warm-up request each (a new connection, sessions)
                b"".join(clients[name].get(path).streaming_content)
            for _ in range(n):
                for name in AUDIENCES:
                    with CaptureQueriesContext(connection) as ctx:
                        start = time.perf_counter()
                        response = clients[name].get(path)
                        body = b"".join(response.streaming_content)
                        times[name].append((time.perf_counter() - start) * 1000)
                    if response.status_code != 200 or not body.startswith(b"%PDF"):
                        raise RuntimeError(f"{name}: {response.status_code}, not the stored PDF")
                    queries[name] = max(queries[name], len(ctx.captured_queries))
                    sizes[name] = len(body)
            for name in AUDIENCES:
                line = {
                    "run": run,
                    "audience": name,
                    "n": n,
                    "p50_ms": round(statistics.median(times[name]), 1),
                    "p95_ms": round(_percentile(times[name], 0.95), 1),
                    "max_ms": round(max(times[name]), 1),
                    "queries": queries[name],
                    "bytes": sizes[name],
                    "pass_seconds": round(pass_seconds, 2),
                    "rendered": rendered,
                }
                results.append(line)
    finally:
        overrides.disable()
    ranges = {}
    for name in AUDIENCES:
        mine = [r for r in results if r["audience"] == name]
        ranges[name] = {
            key: [min(r[key] for r in mine), max(r[key] for r in mine)]
            for key in ("p50_ms", "p95_ms", "max_ms", "queries", "pass_seconds")
        }
    return {"vendor": connection.vendor, "runs": results, "ranges": ranges}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="changes, each then measured")
    parser.add_argument("--n", type=int, default=30, help="downloads per audience and run")
    parser.add_argument(
        "--wait", action="store_true", help="really wait REPORT_REFRESH_DELAY after each change"
    )
    args = parser.parse_args()
    _ensure_django(flush=bool(os.environ.get("DATABASE_URL")))
    figures = measure_current_download(args.runs, args.n, wait=args.wait)
    for line in figures["runs"]:
        print(json.dumps(line))
    for name, ranges in figures["ranges"].items():
        print(json.dumps({"audience": name, "vendor": figures["vendor"], "ranges": ranges}))


if __name__ == "__main__":
    main()
