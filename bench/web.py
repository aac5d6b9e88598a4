# ruff: noqa: E501
"""Page benchmark against the national-scale data set (see generate_scale_data).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opf_scale .venv/bin/python bench/web.py

Uses Django's test client in-process (no network, no web server), logged in as the users the
generator creates, with production's cache and task queue: the database cache shared by every
process (table `opf_cache`, created here if missing, emptied at the start) and the database
task queue (nothing works it off during the bench), so the query counts are production's.
Every page is requested a few times to warm up (the dashboard's first request computes and
caches its aggregates; that cold time is printed separately), then `--n` times (default
20). One JSON line per page:

    {"page", "p50_ms", "p95_ms", "queries", "sql_ms", "ratio"}

`queries` is the number of SQL statements per request, `sql_ms` the summed SQL time of a
request (median), `ratio` = page time / SQL time (medians): how much of a request is Python
(view, template, middleware) rather than the database.

The last two lines, "dashboard right after a change", save a follow-up through the service
before each request (so each writes `--n` follow-up versions), with the figures' refresh
queued and not worked off: what users see while the worker computes new figures. Once in a
web process that holds the earlier figures (as a running one does), once in a process that
has read nothing yet (it reads the earlier figures from the database cache). The refresh
tasks the bench queued are deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


class QueryTimer:
    """connection.execute_wrapper: counts statements and sums their time."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.count += 1


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def measure(client, url: str, n: int, warmup: int) -> dict:
    from django.db import connection

    cold_ms = None
    for i in range(warmup):
        start = time.perf_counter()
        response = client.get(url)
        if i == 0:
            cold_ms = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
    times, sql, counts = [], [], []
    for _ in range(n):
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
        assert response.status_code == 200, url
        times.append(elapsed * 1000)
        sql.append(timer.seconds * 1000)
        counts.append(timer.count)
    p50 = statistics.median(times)
    sql_ms = statistics.median(sql)
    return {
        "p50_ms": round(p50, 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "queries": max(counts),
        "sql_ms": round(sql_ms, 1),
        "ratio": round(p50 / sql_ms, 2) if sql_ms else None,
        "first_request_ms": round(cold_ms, 1) if cold_ms is not None else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", default="", help="run only pages whose name contains this")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    # As a web process starts (config/wsgi.py): the views imported, the objects loaded so
    # far frozen out of the garbage collector's full collections.
    import config.wsgi  # noqa: F401
    from followups.models import FollowUpRound
    from recommendations.models import Recommendation, Theme
    from reports.management.commands.generate_scale_data import (
        MANAGER_USERNAME,
        SECRETARIAT_USERNAME,
    )

    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to the PostgreSQL scale database (opf_scale).")
    production_like()
    settings.ALLOWED_HOSTS = ["testserver"]
    users = get_user_model().objects
    secretariat = Client()
    secretariat.force_login(users.get(username=SECRETARIAT_USERNAME))
    manager = Client()
    manager.force_login(users.get(username=MANAGER_USERNAME))
    manager_dept = users.get(username=MANAGER_USERNAME).memberships.first().department_id

    rec_list = reverse("dashboard:recommendations")
    fup_list = reverse("dashboard:followups")
    newest_year = Recommendation.objects.order_by("-report__year").values_list(
        "report__year", flat=True
    )[0]
    theme = Theme.objects.order_by("name").first().pk
    open_round = FollowUpRound.objects.open().first().pk
    rec = Recommendation.objects.filter(report__year=newest_year - 2).order_by("pk").first().pk

    pages = [
        ("dashboard (secretariat)", secretariat, reverse("dashboard:dashboard")),
        ("dashboard (manager)", manager, reverse("dashboard:dashboard")),
        ("recommendations: no filter", secretariat, rec_list),
        ("recommendations: year+theme", secretariat, f"{rec_list}?year={newest_year}&theme={theme}"),
        ("recommendations: department+status", secretariat, f"{rec_list}?department={manager_dept}&status=in_progress"),
        ("recommendations: sort by theme (da)", secretariat, f"{rec_list}?sort=theme"),
        ("recommendations: text search", secretariat, f"{rec_list}?q=partshøringen+afgørelser"),
        ("follow-ups: no filter", secretariat, fup_list),
        ("follow-ups: round+department+state", secretariat, f"{fup_list}?round={open_round}&department={manager_dept}&state=submitted"),
        ("follow-ups: overdue+year", secretariat, f"{fup_list}?overdue=true&year={newest_year - 1}"),
        ("follow-ups: status=done+theme", secretariat, f"{fup_list}?status=done&theme={theme}"),
        ("follow-ups: text search", secretariat, f"{fup_list}?q=temadag+klagevejledningen"),
        ("follow-ups: sort by department (da)", secretariat, f"{fup_list}?sort=department"),
        ("follow-ups: sort by department, last page", secretariat, f"{fup_list}?sort=department&page=20"),
        ("follow-ups: sort by department+year", secretariat, f"{fup_list}?sort=department&year={newest_year - 1}"),
        ("follow-ups: sort by theme (da)", secretariat, f"{fup_list}?sort=theme"),
        ("follow-ups: sort by department+status=done+theme", secretariat, f"{fup_list}?sort=department&status=done&theme={theme}"),
        ("follow-ups: manager, no filter", manager, fup_list),
        ("recommendation page", secretariat, reverse("recommendations:detail", args=[rec])),
    ]  # fmt: skip
    for name, client, url in pages:
        if args.only and args.only not in name:
            continue
        result = measure(client, url, args.n, args.warmup)
        print(json.dumps({"page": name, **result, "url": url}, ensure_ascii=False), flush=True)
    for name, new_process in (
        ("dashboard right after a change", False),
        ("dashboard right after a change, new web process", True),
    ):
        if not args.only or args.only in name:
            after_change(secretariat, reverse("dashboard:dashboard"), args.n, name, new_process)


def production_like() -> None:
    """Production's cache and task queue (config/settings/prod.py) in place of the test
    settings' in-memory cache and immediate tasks."""
    from django.core.management import call_command
    from django.test import override_settings

    override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": "opf_cache",
            }
        },
        TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
    ).enable()
    call_command("createcachetable", verbosity=0)
    # From an empty cache: the first request computes the figures (`first_request_ms`).
    from django.core.cache import cache

    cache.clear()


def after_change(client, url: str, n: int, name: str, new_process: bool) -> None:
    """The dashboard requested right after a follow-up was changed (through the service, so
    the data version moves), as in production: the refreshes go to the queue (not worked
    off here) and the earlier figures and open round's progress are served. `new_process`:
    the process holds nothing in memory before each request. Writes `n` follow-up versions
    to the scale database; deletes the refresh tasks it queued."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from followups import services
    from followups.models import FollowUp
    from reports.dashboard import stats
    from reports.management.commands.generate_scale_data import SECRETARIAT_USERNAME

    actor = get_user_model().objects.get(username=SECRETARIAT_USERNAME)
    followup = FollowUp.objects.filter(state=FollowUp.State.DRAFT).order_by("pk").first()
    client.get(url)  # figures of the current version exist
    before = set(DBTaskResult.objects.values_list("pk", flat=True))
    times, sql, counts = [], [], []
    for i in range(n):
        followup = services.followup_update(
            followup=followup,
            actor=actor,
            expected_version=None,
            action=f"Benchmark {i}",
            responsible=followup.responsible,
            target_date=followup.target_date,  # kept: a target date cannot be removed
            assignee=followup.assignee,
        )
        if new_process:
            stats.forget_in_process()
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
        assert response.status_code == 200
        times.append(elapsed * 1000)
        sql.append(timer.seconds * 1000)
        counts.append(timer.count)
    p50 = statistics.median(times)
    sql_ms = statistics.median(sql)
    result = {
        "page": name,
        "p50_ms": round(p50, 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "queries": max(counts),
        "sql_ms": round(sql_ms, 1),
        "ratio": round(p50 / sql_ms, 2) if sql_ms else None,
        "refreshes_queued": DBTaskResult.objects.exclude(pk__in=before).count(),
        "url": url,
    }
    DBTaskResult.objects.exclude(pk__in=before).delete()
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
