"""The council's table as XLSX and CSV.

Layout contract (the Word/spreadsheet importer reads it back): one sheet; per section a row
whose first cell is the section heading; then the header row Tema | Anbefaling | Opfølgning |
Status; then one row per follow-up. Tema and Anbefaling are filled only on a recommendation's
first row; Opfølgning is "<department>: <action>"; Status is "<label>: <text>" or empty.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from reports.tables import FollowUpCell, ReportTable

HEADER = ["Tema", "Anbefaling", "Opfølgning", "Status"]
# Cells starting with these are read as formulas (or DDE) by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def table_rows(table: ReportTable) -> list[list[str]]:
    """The sheet as rows of strings, following the layout contract."""
    rows: list[list[str]] = []
    for section in table.sections:
        rows.append([section.heading, "", "", ""])
        rows.append(list(HEADER))
        for group in section.themes:
            for rec in group.rows:
                cells: Sequence[FollowUpCell | None] = rec.followups or [None]
                for index, cell in enumerate(cells):
                    first = index == 0
                    followup = f"{cell.department_name}: {cell.action}" if cell else ""
                    status = ""
                    if cell and cell.status:
                        status = cell.status_label
                        if cell.status_text:
                            status = f"{status}: {cell.status_text}"
                    rows.append(
                        [group.name if first else "", rec.text if first else "", followup, status]
                    )
    return rows


def formula_safe(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


# Danish Excel splits a CSV on semicolons (the list separator where the comma is the decimal
# sign); `,` is kept for other programs (the download's ?sep=,).
CSV_SEPARATORS = (";", ",")


def to_csv(table: ReportTable, separator: str = ";") -> str:
    if separator not in CSV_SEPARATORS:
        raise ValueError(f"unsupported CSV separator {separator!r}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
    for row in table_rows(table):
        writer.writerow([formula_safe(value) for value in row])
    return buffer.getvalue()


def to_xlsx(table: ReportTable) -> bytes:
    """Every cell is stored as a string, never as a formula, whatever its first character."""
    workbook = Workbook()
    sheet = workbook.worksheets[0]  # the one a new workbook has
    sheet.title = "Rapport"
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row_number, row in enumerate(table_rows(table), start=1):
        is_heading = row[1:] == ["", "", ""] and row[0] and row[0].startswith("Anbefalinger og")
        is_header = row == HEADER
        for column, value in enumerate(row, start=1):
            cell = sheet.cell(row=row_number, column=column)
            cell.value = value
            cell.data_type = "s"
            cell.alignment = wrap
            if is_heading or is_header:
                cell.font = bold
    for letter, width in zip("ABCD", (22, 60, 60, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
