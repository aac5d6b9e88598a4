"""Benchmark: the large council's report with our pipeline (WeasyPrint) against headless chromium.

    .venv/bin/python bench/pdf.py [--keep DIR] [--pydyf RUNS]

Builds a synthetic report (60 recommendations, 8 departments, ~300 follow-ups with
statuses) in a throwaway SQLite database, renders its HTML once, then prints one JSON line
per engine {"engine","pages","seconds","process_seconds","peak_rss_mb","bytes"} and a line
with the ratio ours/chromium. Each engine runs in its own child process; its peak RSS is
getrusage(RUSAGE_CHILDREN).ru_maxrss seen by a small wrapper process around it (for
chromium that is its largest single process). "seconds" is the HTML→PDF time inside our
child, and chromium's whole run (its start-up cannot be separated); "process_seconds" is the
wall time of each engine's child process and "cpu_seconds" its user+system CPU time
(every process it waited for; chromium's zygote-launched renderers are not among them, so
its figure is too low and no CPU ratio is printed).

With --pydyf RUNS, chromium is skipped: our pipeline renders the same HTML with
`reports.pdf.patch_pydyf` applied and without it (`unpatched_pydyf`), interleaved, RUNS times
each, one child process per render; one JSON line per render, then the ranges.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


def setup_django(sqlite_path: str | None = None) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    if sqlite_path:
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = sqlite_path
    import django

    django.setup()


def build_data() -> None:
    """60 recommendations over 8 departments, ~300 follow-ups, a status for each."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from departments.models import Department
    from followups.models import FollowUp, FollowUpRound, StatusUpdate
    from recommendations.models import (
        AnnualReport,
        Recommendation,
        RecommendationDepartment,
        Theme,
        theme_key,
    )

    user = get_user_model().objects.create(username="bench")
    names = [
        "Beskæftigelsesforvaltningen",
        "Børne- og Ungeforvaltningen",
        "Kultur- og Fritidsforvaltningen",
        "Natur og Byg",
        "Social- og Sundhedsforvaltningen",
        "Teknik- og Miljøforvaltningen",
        "Økonomiforvaltningen",
        "Ældreområdet",
    ]
    departments = [
        Department.objects.create(name=name, short_name=f"D{i}") for i, name in enumerate(names)
    ]
    theme_names = [
        "Svartider",
        "Dialog",
        "Helhedsorienteret sagsbehandling",
        "Klagevejledning",
        "Notatpligt",
        "Partshøring",
        "Telefontider",
        "Aktindsigt",
        "Begrundelse",
        "Tilgængelighed",
    ]
    themes = [Theme.objects.create(name=n, key=theme_key(n)) for n in theme_names]
    report = AnnualReport.objects.create(
        year=2030,
        title="Borgerrådgiverens årsberetning 2030",
        introduction="Årsberetningen samler borgerrådgiverens anbefalinger.\n"
        "- svartider\n- dialog med borgerne\n- helhed i sagsbehandlingen",
    )
    plan = FollowUpRound.objects.create(
        report=report,
        name="Handleplan april 2031",
        kind="plan",
        deadline=datetime.date(2031, 4, 1),
        state="published",
        published_at=timezone.now(),
    )
    status_round = FollowUpRound.objects.create(
        report=report,
        name="Status 2032",
        kind="status",
        deadline=datetime.date(2032, 4, 1),
        state="published",
        published_at=timezone.now(),
    )
    del plan
    rec_text = (
        "Borgerne oplever, at {t} ikke altid lever op til god forvaltningsskik.\n"
        "- Forvaltningen bør sikre, at borgeren får besked, når en sag trækker ud.\n"
        "- Afgørelser bør forklare, hvad der sker nu, og hvornår."
    )
    action = (
        "- {d} gennemgår sine arbejdsgange for {t} i første kvartal.\n"
        "- Medarbejderne får en kort vejledning og et fast skema.\n"
        "- Lederne følger op på stikprøver hver måned."
    )
    statuses = ["planned", "in_progress", "done", "ongoing", "paused"]
    followups = 0
    for number in range(1, 61):
        theme = themes[number % len(themes)]
        org_wide = number <= 20
        rec = Recommendation.objects.create(
            report=report,
            theme=theme,
            number=number,
            text=rec_text.format(t=theme.name.lower()),
            scope="organisation" if org_wide else "departments",
        )
        chosen = (
            departments
            if org_wide
            else [departments[(number + k) % 8] for k in range(4 if number % 2 else 3)]
        )
        for dep in chosen:
            if not org_wide:
                RecommendationDepartment.objects.create(recommendation=rec, department=dep)
            fu = FollowUp.objects.create(
                recommendation=rec,
                department=dep,
                action=action.format(d=dep.name, t=theme.name.lower()),
                state="approved",
            )
            followups += 1
            StatusUpdate.objects.create(
                followup=fu,
                round=status_round,
                status=statuses[followups % len(statuses)],
                text="Arbejdsgangene er gennemgået, og vejledningen er sendt ud. "
                "Stikprøverne viser færre klager.",
                author=user,
                reported_on=datetime.date(2032, 3, 1),
            )
    from followups.services import followup_progress_refresh

    followup_progress_refresh()  # the status overview page reads the progress read model
    print(
        f"# synthetic report: 60 recommendations, 8 departments, {followups} follow-ups",
        file=sys.stderr,
    )


def render_ours(html_path: str, out_path: str, *, unpatched: bool = False) -> None:
    """Child: our pipeline (settings for the static finders only, no database)."""
    setup_django()
    from contextlib import nullcontext

    from reports.pdf import html_to_pdf, unpatched_pydyf

    html = Path(html_path).read_text(encoding="utf-8")
    with unpatched_pydyf() if unpatched else nullcontext():
        start = time.perf_counter()
        rendered = html_to_pdf(html)
        seconds = time.perf_counter() - start
    Path(out_path).write_bytes(rendered.content)
    print(json.dumps({"pages": rendered.pages, "seconds": seconds}))


def measure(command: list[str]) -> None:
    """Wrapper child: run one engine, report its wall time and peak RSS."""
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kb = usage.ru_maxrss
    print(
        json.dumps(
            {
                "returncode": proc.returncode,
                "stdout": proc.stdout[-2000:],
                "stderr": proc.stderr[-500:],
                "process_seconds": elapsed,
                "peak_rss_mb": peak_kb / 1024,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
            }
        )
    )


def run_measured(command: list[str]) -> dict:
    wrapper = [sys.executable, __file__, "--measure", "--", *command]
    out = subprocess.run(wrapper, capture_output=True, text=True, check=True)  # noqa: S603
    return json.loads(out.stdout.strip().splitlines()[-1])


def count_pages(path: Path) -> int:
    import pypdf

    return len(pypdf.PdfReader(str(path)).pages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", help="Keep the HTML and PDFs in this folder.")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ours", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--unpatched", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--pydyf", type=int, help="Compare patched and unpatched pydyf.")
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.rest)
        return
    if args.ours:
        render_ours(*args.ours, unpatched=args.unpatched)
        return

    work = Path(args.keep or tempfile.mkdtemp(prefix="opf-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.sqlite3"
    db.unlink(missing_ok=True)
    setup_django(str(db))
    from django.contrib.staticfiles import finders
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    with transaction.atomic():
        build_data()
    from departments.access import system_user
    from recommendations.models import AnnualReport
    from reports.documents import document_html
    from reports.tables import build_table

    report = AnnualReport.objects.get(year=2030)
    round = report.rounds.get(name="Status 2032")
    html = document_html(build_table(report=report, user=system_user(), round=round))
    html_path = work / "report.html"
    html_path.write_text(html, encoding="utf-8")
    # The same HTML for chromium, reading the same static files from a folder beside it.
    static = work / "site"
    for relative in [
        "css/report-document.css",
        *[
            f"vendor/dkfds/fonts/IBMPlexSans/complete/woff/IBMPlexSans-{w}.woff"
            for w in ("Regular", "Bold", "Italic")
        ],
    ]:
        target = static / "static" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(finders.find(relative), target)
    (static / "report.html").write_text(html.replace('"/static/', '"static/'), encoding="utf-8")

    if args.pydyf:
        compare_pydyf(html_path, work, args.pydyf)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        return

    results = []
    ours_pdf = work / "ours.pdf"
    ours = run_measured([sys.executable, __file__, "--ours", str(html_path), str(ours_pdf)])
    if ours["returncode"] != 0:
        sys.exit(f"our renderer failed: {ours['stderr']}")
    inner = json.loads(ours["stdout"].strip().splitlines()[-1])
    results.append(
        {
            "engine": "weasyprint",
            "pages": inner["pages"],
            "seconds": round_(inner["seconds"]),
            "process_seconds": round_(ours["process_seconds"]),
            "cpu_seconds": round_(ours["cpu_seconds"]),
            "peak_rss_mb": round_(ours["peak_rss_mb"]),
            "bytes": ours_pdf.stat().st_size,
        }
    )
    chromium_pdf = work / "chromium.pdf"
    chrome = run_measured(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={work / 'chromium-profile'}",
            f"--print-to-pdf={chromium_pdf}",
            (static / "report.html").as_uri(),
        ]
    )
    if not chromium_pdf.exists():
        sys.exit(f"chromium failed: {chrome['stderr']}")
    results.append(
        {
            "engine": "chromium",
            "pages": count_pages(chromium_pdf),
            "seconds": round_(chrome["process_seconds"]),
            "process_seconds": round_(chrome["process_seconds"]),
            "cpu_seconds": round_(chrome["cpu_seconds"]),
            "peak_rss_mb": round_(chrome["peak_rss_mb"]),
            "bytes": chromium_pdf.stat().st_size,
        }
    )
    for line in results:
        print(json.dumps(line))
    print(
        json.dumps(
            {
                "ratio_ours_to_chromium": round_(results[0]["seconds"] / results[1]["seconds"]),
                "ratio_process": round_(
                    results[0]["process_seconds"] / results[1]["process_seconds"]
                ),
                "targets": "seconds <= 1.5x chromium and <= 5 s",
            }
        )
    )
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def compare_pydyf(html_path: Path, work: Path, runs: int) -> None:
    seen: dict[str, list[dict]] = {"patched": [], "unpatched": []}
    for _ in range(runs):
        for variant in seen:
            out = work / f"{variant}.pdf"
            command = [sys.executable, __file__, "--ours", str(html_path), str(out)]
            if variant == "unpatched":
                command.append("--unpatched")
            measured = run_measured(command)
            if measured["returncode"] != 0:
                sys.exit(f"our renderer failed: {measured['stderr']}")
            inner = json.loads(measured["stdout"].strip().splitlines()[-1])
            line = {
                "pydyf": variant,
                "pages": inner["pages"],
                "seconds": round_(inner["seconds"]),
                "cpu_seconds": round_(measured["cpu_seconds"]),
                "bytes": out.stat().st_size,
            }
            seen[variant].append(line)
            print(json.dumps(line))
    for variant, lines in seen.items():
        seconds = [line["seconds"] for line in lines]
        summary = {"pydyf": variant, "seconds_min": min(seconds), "seconds_max": max(seconds)}
        print(json.dumps(summary))


def round_(value: float) -> float:
    return round(value, 3)


if __name__ == "__main__":
    main()
