"""Benchmark: downloading a published edition of the large council's report.

    .venv/bin/python bench/editions.py [--n 50]

Builds bench/pdf.py's synthetic report (60 recommendations, 8 departments, ~300 follow-ups)
in a throwaway SQLite database, archives its PDF edition through the service
(`edition_archive`, one WeasyPrint rendering), then downloads it `--n` times as a council
member through Django's test client (in-process: view, access check, storage read and the
whole file streamed) and prints one JSON line: {"bytes", "n", "p50_ms", "p95_ms",
"queries", "archive_seconds"}. The target is a published edition served in at most 50 ms.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _bench_pdf():
    """bench/pdf.py as a module (its Django setup and synthetic data)."""
    spec = importlib.util.spec_from_file_location("bench_pdf", Path(__file__).with_name("pdf.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50, help="measured downloads")
    args = parser.parse_args()

    bench_pdf = _bench_pdf()
    work = Path(tempfile.mkdtemp(prefix="opf-bench-editions-"))
    bench_pdf.setup_django(str(work / "bench.sqlite3"))
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from departments.access import GlobalRole
    from followups.models import FollowUpRound
    from reports.services import edition_archive

    call_command("migrate", verbosity=0)
    with transaction.atomic():
        bench_pdf.build_data()
    users = get_user_model().objects
    status_round = FollowUpRound.objects.get(name="Status 2032")
    start = time.perf_counter()
    edition = edition_archive(round=status_round, actor=users.get(username="bench"))
    archive_seconds = time.perf_counter() - start

    council = users.create(username="council")
    council.groups.add(Group.objects.get_or_create(name=GlobalRole.COUNCIL)[0])
    settings.ALLOWED_HOSTS = ["testserver"]
    client = Client()
    client.force_login(council)
    path = reverse("reports:edition", args=[edition.pk])
    response = client.get(path)  # warm-up
    size = len(b"".join(response.streaming_content))
    assert response.status_code == 200 and size == edition.size
    times, queries = [], 0
    for _ in range(args.n):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(path)
            body = b"".join(response.streaming_content)
            times.append((time.perf_counter() - start) * 1000)
        assert len(body) == size
        queries = max(queries, len(ctx.captured_queries))
    print(
        json.dumps(
            {
                "bytes": size,
                "n": args.n,
                "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(sorted(times)[round(0.95 * (len(times) - 1))], 1),
                "queries": queries,
                "archive_seconds": round(archive_seconds, 2),
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
