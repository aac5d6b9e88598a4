"""Benchmark: the council's report with our pipeline (WeasyPrint, in one process and in
parallel parts) against headless chromium, at 1x, 2x and 4x the large report.

    .venv/bin/python bench/pdf.py [--runs N] [--scales 1,2,4] [--keep DIR] [--no-download]
    .venv/bin/python bench/pdf.py --pydyf RUNS

Builds synthetic reports in a throwaway SQLite database: at 1x, 60 recommendations over 8
departments, ~300 follow-ups with statuses (75 pages); 2x and 4x have twice and four times the
recommendations in the same sections. Each report's HTML (and, for the parallel path, its
parts: reports.documents.document_parts with REPORT_PDF_PROCESSES) is written once. Then, N
times (default 5), interleaved (run by run, size by size, engine by engine), each engine
renders each size in a child process of its own; one JSON line per render:
{"run","scale","engine","pages","seconds","process_seconds","cpu_seconds","peak_rss_mb","bytes"}.

- "single": `reports.pdf.html_to_pdf`; "parallel": `reports.pdf_parallel.parts_to_pdf` (it
  forks its parts from that child). Both children first call `reports.pdf.warm_up()`, as a
  long-lived worker has done before its first rendering ("warm_up_seconds", not in
  "seconds"); "seconds" is the HTML-to-PDF time inside the child.
- "chromium": Debian's chromium, tagged (--export-tagged-pdf) with an outline
  (--generate-pdf-document-outline); "seconds" is its whole run (its start-up cannot be
  separated). Its peak RSS is its largest single process; its CPU time misses the zygote's
  renderers, so no CPU ratio is printed.

Then one line per size and engine with the min, median and max over the runs, the ratios the
issue sets targets for (single 4x / 1x; parallel 1x / chromium 1x, per run), and, unless
--no-download, bench/current_report.py's download figures for the current report after a
change once the debounce has passed (when that module is present).

With --pydyf RUNS, chromium is skipped: our pipeline renders the 1x HTML with
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


def build_data(year: int = 2030, scale: int = 1) -> None:
    """60 x scale recommendations over 8 departments, ~300 x scale follow-ups, each with a
    status; the departments and themes are shared by the years built in one database."""
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

    user, _created = get_user_model().objects.get_or_create(username="bench")
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
        Department.objects.get_or_create(name=name, short_name=f"D{i}")[0]
        for i, name in enumerate(names)
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
    themes = [Theme.objects.get_or_create(name=n, key=theme_key(n))[0] for n in theme_names]
    report = AnnualReport.objects.create(
        year=year,
        title=f"Borgerrådgiverens årsberetning {year}",
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
    for number in range(1, 60 * scale + 1):
        theme = themes[number % len(themes)]
        org_wide = number <= 20 * scale
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
        f"# synthetic report {year} ({scale}x): {60 * scale} recommendations, 8 departments, "
        f"{followups} follow-ups",
        file=sys.stderr,
    )


def render_ours(html_path: str, out_path: str, *, unpatched: bool = False) -> None:
    """Child: our pipeline in one process (settings for the static finders only, no
    database), after the one-time warm-up a long-lived worker has behind it."""
    setup_django()
    from contextlib import nullcontext

    from reports.pdf import html_to_pdf, unpatched_pydyf, warm_up

    html = Path(html_path).read_text(encoding="utf-8")
    with unpatched_pydyf() if unpatched else nullcontext():
        start = time.perf_counter()
        warm_up()
        warmed = time.perf_counter()
        rendered = html_to_pdf(html)
        seconds = time.perf_counter() - warmed
    Path(out_path).write_bytes(rendered.content)
    print(json.dumps({"pages": rendered.pages, "seconds": seconds, "warm_up": warmed - start}))


def render_parallel(parts_path: str, out_path: str) -> None:
    """Child: our pipeline in parallel parts (forked from here), after the same warm-up."""
    setup_django()
    from reports.pdf import warm_up
    from reports.pdf_parallel import parts_to_pdf

    parts = json.loads(Path(parts_path).read_text(encoding="utf-8"))
    start = time.perf_counter()
    warm_up()
    warmed = time.perf_counter()
    rendered = parts_to_pdf(parts["front"], parts["sections"], timeout=600)
    seconds = time.perf_counter() - warmed
    Path(out_path).write_bytes(rendered.content)
    print(json.dumps({"pages": rendered.pages, "seconds": seconds, "warm_up": warmed - start}))


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


def pdf_facts(path: Path) -> dict:
    """Pages, whether tagged, bookmarks, and qpdf's check (libqpdf through pikepdf)."""
    import pikepdf

    with pikepdf.open(path) as document:
        with document.open_outline() as outline:
            bookmarks = sum(1 for _ in _walk(outline.root))
        return {
            "pages": len(document.pages),
            "tagged": "/StructTreeRoot" in document.Root,
            "bookmarks": bookmarks,
            "qpdf_check": "ok" if not document.check_pdf_syntax() else "problems",
        }


def _walk(items):
    for item in items:
        yield item
        yield from _walk(item.children)


def prepare(work: Path, year: int, scale: int) -> dict:
    """The report's HTML, its parts and chromium's copy of it with the static files."""
    from django.conf import settings
    from django.contrib.staticfiles import finders
    from django.db import transaction

    from departments.access import system_user
    from recommendations.models import AnnualReport
    from reports.documents import document_html, document_parts
    from reports.tables import build_table

    with transaction.atomic():
        build_data(year, scale)
    report = AnnualReport.objects.get(year=year)
    round = report.rounds.get(name="Status 2032")
    table = build_table(report=report, user=system_user(), round=round)
    html = document_html(table)
    html_path = work / f"report-{scale}x.html"
    html_path.write_text(html, encoding="utf-8")
    parts = document_parts(table, parts=settings.REPORT_PDF_PROCESSES)
    parts_path = work / f"parts-{scale}x.json"
    parts_path.write_text(json.dumps({"front": parts.front, "sections": parts.sections}))
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
    site_html = static / f"report-{scale}x.html"
    # Chromium supports neither target-counter() nor leader(): it never drew the contents'
    # page numbers or dots. Its copy leaves out the dots' image too (which it draws tile by
    # tile, 0.2-0.6 s), so that it does the work it did before the dots became an image.
    site_html.write_text(
        html.replace('"/static/', '"static/').replace(
            "</head>", "<style>.report-toc-title { background: none; }</style></head>", 1
        ),
        encoding="utf-8",
    )
    return {
        "html": html_path,
        "parts": parts_path,
        "site": site_html,
        "pieces": len(parts.sections),
    }


def run_engine(engine: str, prepared: dict, work: Path, scale: int) -> dict:
    out = work / f"{engine}-{scale}x.pdf"
    out.unlink(missing_ok=True)
    if engine == "chromium":
        measured = run_measured(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                "--export-tagged-pdf",
                "--generate-pdf-document-outline",
                f"--user-data-dir={work / 'chromium-profile'}",
                f"--print-to-pdf={out}",
                prepared["site"].as_uri(),
            ]
        )
        if not out.exists():
            sys.exit(f"chromium failed: {measured['stderr']}")
        inner = {"seconds": measured["process_seconds"], "warm_up": None}
    else:
        flag, source = (
            ("--ours", prepared["html"])
            if engine == "single"
            else (
                "--parallel",
                prepared["parts"],
            )
        )
        measured = run_measured([sys.executable, __file__, flag, str(source), str(out)])
        if measured["returncode"] != 0:
            sys.exit(f"our {engine} renderer failed: {measured['stderr']}")
        inner = json.loads(measured["stdout"].strip().splitlines()[-1])
    facts = pdf_facts(out)
    return {
        "scale": scale,
        "engine": engine,
        **facts,
        "seconds": round_(inner["seconds"]),
        "warm_up_seconds": round_(inner["warm_up"]) if inner["warm_up"] is not None else None,
        "process_seconds": round_(measured["process_seconds"]),
        "cpu_seconds": round_(measured["cpu_seconds"]),
        "peak_rss_mb": round_(measured["peak_rss_mb"]),
        "bytes": out.stat().st_size,
    }


ENGINES = ("single", "parallel", "chromium")


def summarise(lines: list[dict], scales: list[int]) -> None:
    import statistics

    def seconds(scale, engine):
        return [x["seconds"] for x in lines if x["scale"] == scale and x["engine"] == engine]

    for scale in scales:
        for engine in ENGINES:
            values = seconds(scale, engine)
            print(
                json.dumps(
                    {
                        "summary": f"{scale}x {engine}",
                        "runs": len(values),
                        "seconds_min": min(values),
                        "seconds_median": round_(statistics.median(values)),
                        "seconds_max": max(values),
                    }
                )
            )
    targets = {}
    if 1 in scales and 4 in scales:
        one, four = seconds(1, "single"), seconds(4, "single")
        per_run = [b / a for a, b in zip(one, four, strict=True)]
        targets["single_4x_over_1x"] = [round_(min(per_run)), round_(max(per_run))]
        targets["single_4x_over_1x_target"] = "<= 4.2"
    if 1 in scales:
        ours, theirs = seconds(1, "parallel"), seconds(1, "chromium")
        per_run = [a / b for a, b in zip(ours, theirs, strict=True)]
        targets["parallel_1x_over_chromium_1x"] = [round_(min(per_run)), round_(max(per_run))]
        targets["parallel_1x_over_chromium_1x_target"] = "<= 2.0"
        targets["parallel_1x_seconds"] = [min(ours), max(ours)]
        targets["parallel_1x_seconds_target"] = "<= 2.2"
        single = seconds(1, "single")
        per_run = [a / b for a, b in zip(single, ours, strict=True)]
        targets["single_1x_over_parallel_1x"] = [round_(min(per_run)), round_(max(per_run))]
    print(json.dumps({"targets": targets}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", help="Keep the HTML and PDFs in this folder.")
    parser.add_argument("--runs", type=int, default=5, help="Interleaved runs (default 5).")
    parser.add_argument("--scales", default="1,2,4", help="Report sizes (default 1,2,4).")
    parser.add_argument("--no-download", action="store_true", help="Skip the download figures.")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--ours", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--parallel", nargs=2, help=argparse.SUPPRESS)
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
    if args.parallel:
        render_parallel(*args.parallel)
        return

    work = Path(args.keep or tempfile.mkdtemp(prefix="opf-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db = work / "bench.sqlite3"
    db.unlink(missing_ok=True)
    setup_django(str(db))
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    scales = [1] if args.pydyf else [int(x) for x in args.scales.split(",")]
    prepared = {scale: prepare(work, 2030 + i, scale) for i, scale in enumerate(scales)}
    if args.pydyf:
        compare_pydyf(prepared[1]["html"], work, args.pydyf)
    else:
        from django.conf import settings

        print(
            json.dumps(
                {
                    "processes": settings.REPORT_PDF_PROCESSES,
                    "parts": {f"{s}x": p["pieces"] for s, p in prepared.items()},
                    "cores": os.cpu_count(),
                    "load_average": os.getloadavg(),
                }
            )
        )
        lines = []
        for run in range(1, args.runs + 1):
            for scale in scales:
                for engine in ENGINES:
                    line = {"run": run, **run_engine(engine, prepared[scale], work, scale)}
                    lines.append(line)
                    print(json.dumps(line), flush=True)
        summarise(lines, scales)
        print(json.dumps({"load_average_after": os.getloadavg()}))
        if not args.no_download:
            download_figures(args.runs)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def download_figures(runs: int) -> None:
    """bench/current_report.py's figures: the current report downloaded after a change."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        from current_report import measure_current_download
    except ImportError:
        print(json.dumps({"download": "bench/current_report.py is not there"}))
        return
    print(json.dumps({"download": measure_current_download(runs)}))


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
