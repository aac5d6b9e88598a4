"""The council's report as a standalone HTML document: the source for the PDF and the preview."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.text import danish_key
from reports.dashboard.charts import Cell, Chart, Row, Series
from reports.tables import STATUS_LABELS_DA, UNPLACED_NAME, ReportTable

NO_STATUS = ""


def status_chart(table: ReportTable) -> Chart:
    """Latest status per department, counted from the table itself (no further queries); the
    lines awaiting placement are counted too, in a row of their own after the departments."""
    counts: dict[str, dict[str, int]] = {}
    unplaced: dict[str, int] = {}
    for _section, _group, row in table.recommendation_rows():
        for cell in row.followups:
            per_status = unplaced if cell.unplaced else counts.setdefault(cell.department_name, {})
            per_status[cell.status] = per_status.get(cell.status, 0) + 1
    series = [Series(key=key, label=label) for key, label in STATUS_LABELS_DA.items()]
    series.append(Series(key=NO_STATUS, label="Ingen status endnu"))
    named = [(name, counts[name]) for name in sorted(counts, key=danish_key)]
    if unplaced:
        named.append((UNPLACED_NAME, unplaced))
    rows = [
        Row(label=name, cells=[Cell(value=per_status.get(s.key, 0)) for s in series])
        for name, per_status in named
    ]
    return Chart(
        id="status-overview",
        title="Status pr. forvaltning",
        series=series,
        rows=rows,
        row_heading="Forvaltning",
        note="antal opfølgninger efter seneste status",
    ).layout()


def document_title(table: ReportTable) -> str:
    parts = [table.report.title]
    if table.round:
        parts.append(table.round.name)
    if table.department:
        parts.append(table.department.name)
    return " – ".join(parts)


def document_context(
    table: ReportTable,
    *,
    prepared: datetime.date | None = None,
    edition_number: int | None = None,
) -> dict:
    return {
        "table": table,
        "municipality": settings.MUNICIPALITY_NAME,
        "document_title": document_title(table),
        "prepared": prepared or timezone.localdate(),
        "edition_number": edition_number,
        "status_chart": status_chart(table),
        "numbered_sections": list(enumerate(table.sections, start=1)),
        # The PDF's; the preview includes the document with embedded=True.
        "embedded": False,
        "has_markers": any(
            row.marker or any(c.marker for c in row.followups)
            for *_x, row in table.recommendation_rows()
        ),
    }


# Characters per line in the table's three columns (Anbefaling, Opfølgning, Status) at the
# document's type size: A4 landscape, 9.5 pt IBM Plex Sans, widths 36/38/26 %
# (static/css/report-document.css).
LINE_CHARS = (55, 58, 39)


def _lines(text: str, width: int) -> int:
    """Lines a text takes in a column `width` characters wide (each paragraph its own)."""
    return sum(1 + len(paragraph) // width for paragraph in text.splitlines() or [""])


def _evidence_lines(comments, attachments, width: int) -> int:
    return sum(1 + _lines(c.text, width) for c in comments) + len(attachments)


def section_weight(section) -> int:
    """A section's share of the rendering work: the lines its table is tall, roughly.

    WeasyPrint's time goes with the pages it lays out, about the same per page whatever is
    on it (bench/FINDINGS.md, "Parallel PDF"), so the weight is an estimate of height: a
    recommendation's row is as tall as its own cell or its departments' rows, whichever is
    taller. Counting characters instead underweights a recommendation that many departments
    answer briefly: each answer takes a row of its own.
    """
    rec_chars, action_chars, status_chars = LINE_CHARS
    lines = 0
    for group in section.themes:
        lines += 2
        for row in group.rows:
            own = 2 + _lines(row.text, rec_chars)
            own += _evidence_lines(row.comments, [], rec_chars)
            answers = 1
            if row.followups:
                answers = sum(
                    1
                    + max(
                        1
                        + _lines(cell.action, action_chars)
                        + _evidence_lines(cell.comments, cell.attachments, action_chars),
                        1 + _lines(cell.status_text, status_chars),
                    )
                    for cell in row.followups
                )
            lines += 1 + max(own, answers)
    return lines


def split_sections(weights: list[int], parts: int) -> list[range]:
    """Consecutive runs of sections, at most `parts` of them, as even in weight as can be.

    Sections stay whole (each starts a page, so the parts' pages are the document's pages);
    a cut goes where the running total is nearest the next even share.
    """
    total = sum(weights)
    cuts: list[range] = []
    running, start = 0, 0
    for index, weight in enumerate(weights):
        share = total * (len(cuts) + 1) / parts
        before, running = running, running + weight
        if len(cuts) < parts - 1 and index > start and abs(before - share) < abs(running - share):
            cuts.append(range(start, index))
            start = index
    cuts.append(range(start, len(weights)))
    return [cut for cut in cuts if len(cut)]


@dataclass(frozen=True)
class DocumentParts:
    """The report as separately renderable HTML documents: the front matter, then runs of
    sections (reports/pdf_parallel.py renders and merges them)."""

    front: str
    sections: Sequence[str]


def document_parts(
    table: ReportTable,
    *,
    parts: int,
    prepared: datetime.date | None = None,
    edition_number: int | None = None,
) -> DocumentParts:
    context = document_context(table, prepared=prepared, edition_number=edition_number)
    numbered = context["numbered_sections"]
    runs = split_sections([section_weight(s) for _n, s in numbered], parts)
    with translation.override("da"):
        front = render_to_string("reports/document/part.html", {**context, "front": True})
        sections = [
            render_to_string(
                "reports/document/part.html",
                {
                    **context,
                    "numbered_sections": numbered[run.start : run.stop],
                    "part_title": table.report.title,
                },
            )
            for run in runs
        ]
    return DocumentParts(front, sections)


def document_html(
    table: ReportTable,
    *,
    prepared: datetime.date | None = None,
    edition_number: int | None = None,
) -> str:
    """Danish dates and month names whatever the user's language: it is a Danish document."""
    context = document_context(table, prepared=prepared, edition_number=edition_number)
    with translation.override("da"):
        return render_to_string("reports/document/report.html", context)
