# ruff: noqa: E501
"""Sweep of the lists' filters against the national-scale data set (see generate_scale_data).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opf_scale .venv/bin/python bench/list_filters.py

bench/web.py measures a fixed set of pages 20 times each; this requests both lists with
every filter on its own and a set of combinations, as the secretariat, a manager and a
council member, `--n` times each (default 5) after two warm-up requests, with the same
production-like settings as bench/web.py. One JSON line per list page, slowest first:

    {"user", "p50_ms", "max_ms", "queries", "sql_ms", "url"}

and a last line counting the pages whose p50 is above 100 ms and above 60 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")


def combinations(manager_dept: int, sub_dept: int, plan_round: int, status_round: int, year: int):
    singles = [
        {},
        {"year": year},
        {"year": year - 8},
        {"round": plan_round},
        {"round": status_round},
        {"theme": 3},
        {"department": manager_dept},
        {"department": sub_dept},
        {"status": "done"},
        {"status": "in_progress"},
        {"status": "none"},
        {"status": "paused"},
        {"state": "draft"},
        {"state": "submitted"},
        {"state": "returned"},
        {"completion": "open"},
        {"completion": "finished"},
        {"overdue": "true"},
        {"written": "true"},
        {"moved": "true"},
        {"q": "klagevejledningen"},
        {"q": "borgere"},
        {"sort": "theme"},
        {"sort": "department"},
        {"sort": "target_date"},
        {"sort": "oldest"},
        {"page": 20},
    ]
    pairs = [
        {"status": "done", "department": manager_dept},
        {"overdue": "true", "department": manager_dept},
        {"moved": "true", "year": year - 1},
        {"completion": "open", "theme": 3},
        {"q": "borgere", "year": year - 1},
        {"sort": "target_date", "overdue": "true"},
        {"status": "none", "year": year - 1},
        {"round": status_round, "reported": "no"},
        {"round": status_round, "reported": "yes"},
        {"state": "approved", "overdue": "true", "theme": 5},
        {"sort": "department", "moved": "true"},
        {"sort": "theme", "completion": "finished"},
        {"department": sub_dept, "status": "paused"},
        {"page": 20, "status": "done"},
    ]
    return singles + pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5, help="measured requests per page")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    import config.wsgi  # noqa: F401 (started as a web process is: see bench/web.py)
    from bench.web import measure, production_like
    from departments.models import Department
    from followups.models import FollowUpRound
    from recommendations.models import AnnualReport
    from reports.management.commands.generate_scale_data import (
        COUNCIL_USERNAME,
        MANAGER_USERNAME,
        SECRETARIAT_USERNAME,
    )

    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to the PostgreSQL scale database (opf_scale).")
    production_like()
    settings.ALLOWED_HOSTS = ["testserver"]
    users = get_user_model().objects
    manager_dept = users.get(username=MANAGER_USERNAME).memberships.first().department_id
    sub_dept = Department.objects.filter(parent_id=manager_dept).order_by("pk").first().pk
    plan_round = FollowUpRound.objects.filter(kind="plan").open().first().pk
    status_round = FollowUpRound.objects.filter(kind="status").order_by("-deadline").first().pk
    year = AnnualReport.objects.order_by("-year").first().year
    params = combinations(manager_dept, sub_dept, plan_round, status_round, year)
    results = []
    for username in (SECRETARIAT_USERNAME, MANAGER_USERNAME, COUNCIL_USERNAME):
        client = Client()
        client.force_login(users.get(username=username))
        for url in (reverse("dashboard:followups"), reverse("dashboard:recommendations")):
            for p in params:
                full = f"{url}?{urlencode(p)}" if p else url
                result = measure(client, full, args.n, warmup=2)
                results.append(
                    {
                        "user": username,
                        "p50_ms": result["p50_ms"],
                        "max_ms": result["max_ms"],
                        "queries": result["queries"],
                        "sql_ms": result["sql_ms"],
                        "url": full,
                    }
                )
    results.sort(key=lambda r: -r["p50_ms"])
    for r in results:
        print(json.dumps(r, ensure_ascii=False))
    print(
        json.dumps(
            {
                "pages": len(results),
                "p50_over_100_ms": sum(r["p50_ms"] > 100 for r in results),
                "p50_over_60_ms": sum(r["p50_ms"] > 60 for r in results),
                "max_queries": max(r["queries"] for r in results),
            }
        )
    )


if __name__ == "__main__":
    main()
