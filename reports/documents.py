"""The council's report as a standalone HTML document: the source for the PDF and the preview."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from reports.tables import ReportTable


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
