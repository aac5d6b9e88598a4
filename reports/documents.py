"""The council's report as a standalone HTML document: the source for the PDF and the preview."""

from __future__ import annotations

import datetime

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
        "has_markers": any(
            row.marker or any(c.marker for c in row.followups)
            for *_x, row in table.recommendation_rows()
        ),
    }


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
