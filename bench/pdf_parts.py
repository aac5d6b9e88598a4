"""Benchmark: where a parallel rendering's time goes (bench/FINDINGS.md, "Parallel PDF").

    .venv/bin/python bench/pdf_parts.py [--runs 3] [--scale 1]

Builds bench/pdf.py's synthetic report in a throwaway SQLite database, then prints JSON lines:

- {"section": n, "weight", "rows", "cells", "pages", "layout_seconds", "write_seconds"}: each
  section rendered alone in this process (collector paused, as the renderers do), so the
  weights `reports.documents.section_weight` gives can be compared with what they stand for;
  then {"cut": ...}: the runs of sections `split_sections` chooses for REPORT_PDF_PROCESSES,
  their summed seconds, and the best cut of whole sections into as many runs by those seconds.
- {"run": i, "events": [...], "merge_seconds", "after_last_part_seconds", "seconds"}:
  `reports.pdf_parallel.parts_to_pdf` with the time (from its start) at which each part's
  "paginated" and "done" message reached the parent, with the part's page count; the seconds
  of each step of the merge (a part added as it came, then the merged file saved); and the
  time from the last part's arrival to the result.
- with --cuts 3,2: {"cut_after": n, "seconds": [...]}: the report in two parts cut after
  section n, for each n given, alternating run by run (`parts_to_pdf`, min/median/max), to
  compare cuts on a machine whose speed drifts.
- {"stylesheet": ...}: what a rendering saves with `reports.pdf.PreparedStylesheet`: a
  one-paragraph report document rendered 20 times linking the style sheet (parsed, fonts
  loaded, font configuration made for each) and 20 times with the prepared sheet,
  alternating; seconds per rendering, min and median.

Timings print as measured; they are not asserted.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import tempfile
import time
from pathlib import Path

from pdf import build_data, setup_django


def section_costs(table, context) -> list[dict]:
    """Each section as a part of its own (the template and context of document_parts)."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from reports import pdf
    from reports.documents import section_weight

    fetcher = pdf.StaticOnlyFetcher()
    prepared = pdf.warm_up()
    numbered = context["numbered_sections"]
    lines = []
    for index, (number, section) in enumerate(numbered):
        with translation.override("da"):
            html = render_to_string(
                "reports/document/part.html",
                {
                    **context,
                    "numbered_sections": numbered[index : index + 1],
                    "part_title": table.report.title,
                },
            )
        with pdf.without_cyclic_gc():
            start = time.perf_counter()
            document = pdf.render_document(html, fetcher, prepared=prepared)
            laid_out = time.perf_counter()
            document.write_pdf(pdf_variant=pdf.PDF_VARIANT)
            written = time.perf_counter()
        lines.append(
            {
                "section": number,
                "weight": section_weight(section),
                "rows": sum(len(group.rows) for group in section.themes),
                "cells": sum(
                    len(row.followups or [None]) for g in section.themes for row in g.rows
                ),
                "pages": len(document.pages),
                "layout_seconds": round(laid_out - start, 3),
                "write_seconds": round(written - laid_out, 3),
            }
        )
    return lines


def best_cut(seconds: list[float], parts: int) -> tuple[float, list[int]]:
    """The cut of consecutive runs whose longest run is shortest (few sections: brute force)."""
    best: tuple[float, list[int]] = (float("inf"), [])
    for cuts in itertools.combinations(range(1, len(seconds)), parts - 1):
        bounds = [0, *cuts, len(seconds)]
        longest = max(sum(seconds[a:b]) for a, b in itertools.pairwise(bounds))
        if longest < best[0]:
            best = (longest, list(cuts))
    return best


def timeline(front: str, sections: list[str], run: int) -> dict:
    """parts_to_pdf with the arrival time of every part's messages in the parent, the time
    spent merging each part as it came, and the time from the last part to the result."""
    import multiprocessing.connection as connection

    from reports import pdf_merge, pdf_parallel

    parent = os.getpid()
    events: list[dict] = []
    started = 0.0  # set just before parts_to_pdf
    original_recv = connection.Connection.recv
    original_add = pdf_merge.PartsMerge.add
    original_result = pdf_merge.PartsMerge.result
    merge_seconds: list[float] = []

    def recv(self):
        message = original_recv(self)
        if os.getpid() == parent and message[0] in ("paginated", "done"):
            pages = message[1] if message[0] == "paginated" else message[2]
            at = round(time.perf_counter() - started, 3)
            events.append({"message": message[0], "pages": pages, "at": at})
        return message

    def add(self, index, data):
        begun = time.perf_counter()
        original_add(self, index, data)
        merge_seconds.append(round(time.perf_counter() - begun, 3))

    def result(self):
        begun = time.perf_counter()
        merged = original_result(self)
        merge_seconds.append(round(time.perf_counter() - begun, 3))
        return merged

    connection.Connection.recv = recv  # type: ignore[method-assign]
    pdf_merge.PartsMerge.add = add  # type: ignore[method-assign]
    pdf_merge.PartsMerge.result = result  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        pdf_parallel.parts_to_pdf(front, sections, timeout=600)
        seconds = round(time.perf_counter() - started, 3)
    finally:
        connection.Connection.recv = original_recv  # type: ignore[method-assign]
        pdf_merge.PartsMerge.add = original_add  # type: ignore[method-assign]
        pdf_merge.PartsMerge.result = original_result  # type: ignore[method-assign]
    return {
        "run": run,
        "events": events,
        "merge_seconds": merge_seconds,
        "after_last_part_seconds": round(seconds - events[-1]["at"], 3),
        "seconds": seconds,
    }


def stylesheet_cost(renders: int = 20) -> dict:
    """Seconds per rendering of a tiny report document, linked and with the prepared sheet."""
    import statistics

    from reports import pdf

    prepared = pdf.warm_up()
    html = (
        f'<html lang="da"><head>{prepared.link}</head><body class="report-document">'
        "<p>Anbefaling <strong>2030-1</strong> <em>(kritikpunkt)</em></p></body></html>"
    )
    seconds: dict[str, list[float]] = {"linked": [], "prepared": []}
    for _ in range(renders):
        for name, use in (("linked", None), ("prepared", prepared)):
            start = time.perf_counter()
            pdf.html_to_pdf(html, prepared=use)
            seconds[name].append(time.perf_counter() - start)
    return {
        "stylesheet": {
            name: {
                "min": round(min(values), 4),
                "median": round(statistics.median(values), 4),
                "renders": renders,
            }
            for name, values in seconds.items()
        }
    }


def compare_cuts(table, cuts: list[int], runs: int) -> None:
    """The report in two parts cut after each of `cuts`, rendered alternately."""
    import statistics

    from django.template.loader import render_to_string
    from django.utils import translation

    from reports import pdf_parallel
    from reports.documents import document_context

    context = document_context(table)
    numbered = context["numbered_sections"]
    with translation.override("da"):
        front = render_to_string("reports/document/part.html", {**context, "front": True})
        parts = {
            cut: [
                render_to_string(
                    "reports/document/part.html",
                    {**context, "numbered_sections": run, "part_title": table.report.title},
                )
                for run in (numbered[:cut], numbered[cut:])
            ]
            for cut in cuts
        }
    seconds: dict[int, list[float]] = {cut: [] for cut in cuts}
    for _run in range(runs):
        for cut in cuts:
            start = time.perf_counter()
            pdf_parallel.parts_to_pdf(front, parts[cut], timeout=600)
            seconds[cut].append(round(time.perf_counter() - start, 3))
    for cut, values in seconds.items():
        line = {"cut_after": cut, "seconds": values, "min": min(values)}
        line |= {"median": statistics.median(values), "max": max(values)}
        print(json.dumps(line), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3, help="Timed parallel renders (default 3).")
    parser.add_argument("--scale", type=int, default=1, help="Report size (default 1).")
    parser.add_argument("--cuts", help="Compare two-part cuts after these sections, e.g. 3,2.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        setup_django(str(Path(work) / "bench.sqlite3"))
        from django.conf import settings
        from django.core.management import call_command
        from django.db import transaction

        from departments.access import system_user
        from recommendations.models import AnnualReport
        from reports import pdf
        from reports.documents import (
            document_context,
            document_parts,
            section_weight,
            split_sections,
        )
        from reports.tables import build_table

        call_command("migrate", verbosity=0)
        with transaction.atomic():
            build_data(2030, args.scale)
        report = AnnualReport.objects.get(year=2030)
        table = build_table(
            report=report, user=system_user(), round=report.rounds.get(name="Status 2032")
        )
        pdf.warm_up()
        if args.cuts:
            compare_cuts(table, [int(n) for n in args.cuts.split(",")], args.runs)
            return
        print(json.dumps(stylesheet_cost()), flush=True)
        costs = section_costs(table, document_context(table))
        for line in costs:
            print(json.dumps(line), flush=True)
        processes = settings.REPORT_PDF_PROCESSES
        seconds = [line["layout_seconds"] + line["write_seconds"] for line in costs]
        runs = split_sections([section_weight(s) for s in table.sections], processes)
        longest, cuts = best_cut(seconds, processes)
        print(
            json.dumps(
                {
                    "cut": [[run.start + 1, run.stop] for run in runs],
                    "cut_seconds": [round(sum(seconds[run.start : run.stop]), 3) for run in runs],
                    "best_cut_after_sections": cuts,
                    "best_cut_longest_seconds": round(longest, 3),
                    "all_sections_seconds": round(sum(seconds), 3),
                }
            ),
            flush=True,
        )
        parts = document_parts(table, parts=processes)
        for run in range(1, args.runs + 1):
            print(json.dumps(timeline(parts.front, list(parts.sections), run)), flush=True)


if __name__ == "__main__":
    main()
