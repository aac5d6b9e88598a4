"""Benchmark: importing a large follow-up document (preview, then commit).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/opf_import .venv/bin/python bench/imports.py \
        [--recommendations 300] [--format xlsx|csv]

The database is emptied (flush) and migrated first: point DATABASE_URL at a scratch
database. Without DATABASE_URL a throwaway SQLite file is used. The script creates 8
departments, a secretariat user and the year's report with an open status round, then
writes a synthetic three-column document (a quarter of the recommendations for the whole
organisation with a bullet per department, the rest in department sections with two
bullets, every follow-up with a status) and imports it with the same services the web
upload uses. Prints one JSON line per step:

    {"step": "preview"|"commit", "seconds", "queries", "objects": {...}}
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

DEPARTMENTS = [
    ("Beskæftigelsesforvaltningen", "BEF"),
    ("Børne- og Ungeforvaltningen", "BUF"),
    ("Kultur- og Fritidsforvaltningen", "KFF"),
    ("Natur og Byg", "NB"),
    ("Social- og Sundhedsforvaltningen", "SSF"),
    ("Teknik- og Miljøforvaltningen", "TMF"),
    ("Økonomiforvaltningen", "ØKF"),
    ("Ældreområdet", "ÆO"),
]
THEMES = ["Svartider", "Dialog", "Klagevejledning", "Partshøring", "Aktindsigt", "Begrundelse"]
HEADER = ["Tema", "Anbefaling", "Opfølgning – Hvad gør vi?", "Status"]
STATUSES = ["Planlagt", "Igangsat", "Gennemført", "Løbende"]


def document_rows(n: int) -> list[list[str]]:
    org = n // 4
    rows: list[list[str]] = [["Anbefalinger og handlinger som vedrører hele organisationen"]]
    rows.append(HEADER)
    for i in range(org):
        theme = THEMES[i % len(THEMES)]
        for k, (name, _short) in enumerate(DEPARTMENTS):
            rows.append(
                [
                    theme if k == 0 else "",
                    f"Anbefaling {i + 1}: borgerne skal have svar om {theme.lower()}."
                    if k == 0
                    else "",
                    f"{name}: - gennemgår arbejdsgangen for {theme.lower()} i {i + 1}. kvartal.",
                    f"{STATUSES[(i + k) % len(STATUSES)]}: arbejdet er beskrevet.",
                ]
            )
    per_department = (n - org) // len(DEPARTMENTS)
    number = org
    for d, (name, _short) in enumerate(DEPARTMENTS):
        rows.append([f"Anbefalinger og handlinger som vedrører {name}"])
        rows.append(HEADER)
        count = per_department + (1 if d < (n - org) % len(DEPARTMENTS) else 0)
        for _ in range(count):
            number += 1
            theme = THEMES[number % len(THEMES)]
            rows.append(
                [
                    theme,
                    f"Anbefaling {number}: {name} bør forklare sine afgørelser om {theme.lower()}.",
                    "- Ny skabelon til afgørelser.\n- Kursus for medarbejderne.",
                    f"{STATUSES[number % len(STATUSES)]}: skabelonen er i brug.",
                ]
            )
    return rows


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    return out.getvalue().encode("utf-8")


def as_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recommendations", type=int, default=300)
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    args = parser.parse_args()
    scratch = None
    if not os.environ.get("DATABASE_URL"):
        scratch = tempfile.mkdtemp(prefix="opf-import-bench-")
        os.environ["SQLITE_PATH"] = str(Path(scratch) / "bench.sqlite3")
    import django

    django.setup()
    import datetime

    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    from departments.access import GlobalRole
    from departments.services import department_create
    from followups.models import FollowUp, StatusUpdate
    from followups.services import round_open
    from importing.services import import_commit, import_preview
    from recommendations.models import Recommendation
    from recommendations.services import report_create
    from tests.factories import UserFactory

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    secretariat = UserFactory(username="bench-secretariat")
    group, _ = Group.objects.get_or_create(name=GlobalRole.SECRETARIAT)
    secretariat.groups.add(group)
    for name, short in DEPARTMENTS:
        department_create(actor=secretariat, name=name, short_name=short)
    year = 2030
    report = report_create(actor=secretariat, year=year, title=f"Årsberetning {year}")
    round_open(
        actor=secretariat,
        report=report,
        name="Status 2031",
        kind="status",
        deadline=datetime.date(year + 1, 9, 1),
    )
    rows = document_rows(args.recommendations)
    data = as_xlsx(rows) if args.format == "xlsx" else as_csv(rows)
    name = f"bench.{args.format}"
    print(f"# {args.format}, {len(data)} bytes, {len(rows)} rows", file=sys.stderr)

    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        plan = import_preview(name=name, data=data, year=year, create_departments=False)
        preview_seconds = time.perf_counter() - start
    summary = plan.summary()
    print(
        json.dumps(
            {
                "step": "preview",
                "seconds": round(preview_seconds, 3),
                "queries": counter.count,
                "objects": {k: summary[k] for k in ("recommendations", "followups", "actions")},
                "warnings": len(summary["warnings"]),
            }
        )
    )
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        import_commit(actor=secretariat, name=name, data=data, year=year)
        commit_seconds = time.perf_counter() - start
    created = {
        "recommendations": Recommendation.objects.count(),
        "followups": FollowUp.objects.count(),
        "statuses": StatusUpdate.objects.count(),
    }
    print(
        json.dumps(
            {
                "step": "commit",
                "seconds": round(commit_seconds, 3),
                "queries": counter.count,
                "queries_per_followup": round(counter.count / max(1, created["followups"]), 1),
                "objects": created,
            }
        )
    )


if __name__ == "__main__":
    main()
