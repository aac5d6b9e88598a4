import csv
import io

import openpyxl

from reports.spreadsheets import HEADER, table_rows, to_csv, to_xlsx
from reports.tables import ORGANISATION_HEADING, build_table


def test_rows_follow_the_layout_contract(report_data, secretariat):
    table = build_table(report=report_data.report, user=secretariat, round=report_data.status_round)
    assert table_rows(table) == [
        [ORGANISATION_HEADING, "", "", ""],
        HEADER,
        [
            "Telefontider",
            "- Borgere kommer ikke igennem.",
            "Børn og Unge: - Børn og Unge udvider telefontiden.",
            "",
        ],
        [
            "",
            "",
            "Ældreområdet: - Ældreområdet udvider telefontiden.",
            "Gennemført: Telefontiden er udvidet.",
        ],
        ["Anbefalinger og handlinger som vedrører Ældreområdet", "", "", ""],
        HEADER,
        ["Klagesvar", "Svar bør forklare.", "Ældreområdet: Fast skabelon.", ""],
    ]


def test_xlsx_one_sheet_same_rows_and_no_formulas(report_data, secretariat):
    rec = report_data.dept_followup.recommendation
    rec.text = '=HYPERLINK("http://x","klik")'
    rec.save()
    table = build_table(report=report_data.report, user=secretariat)
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(table)))
    assert len(workbook.worksheets) == 1
    sheet = workbook.active
    values = [
        [c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert values == table_rows(table)
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    assert "=HYPERLINK" in values[-1][1]


def test_csv_is_formula_safe(report_data, secretariat):
    rec = report_data.dept_followup.recommendation
    rec.text = "=1+1"
    rec.save()
    report_data.dept_followup.action = "@SUM(A1)"
    report_data.dept_followup.save()
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    rows = list(
        csv.reader(
            io.StringIO(to_csv(build_table(report=report_data.report, user=secretariat))),
            delimiter=";",
        )
    )
    assert rows[0] == [ORGANISATION_HEADING, "", "", ""]
    for row in rows:
        for value in row:
            assert not value.startswith(dangerous), value
    assert ["Klagesvar", "'=1+1", "Ældreområdet: @SUM(A1)", ""] in rows
    # Bullet lines are kept, only prefixed where a cell would start with "-".
    assert rows[2][1] == "'- Borgere kommer ikke igennem."


def test_spreadsheets_keep_the_ombudsmans_order(report_data, secretariat):
    from tests.reports.test_tables import _ombudsman_order_data

    _ombudsman_order_data(report_data)
    table = build_table(report=report_data.report, user=secretariat)
    texts = [row[1] for row in table_rows(table) if row[1] and row[0] != "Tema"]
    assert texts == ["- Borgere kommer ikke igennem.", "Nr. 3.", "Nr. 4.", "Svar bør forklare."]
    csv_rows = list(csv.reader(io.StringIO(to_csv(table, ","))))
    assert [r[1].removeprefix("'") for r in csv_rows if r[1] and r[0] != "Tema"] == texts
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(table))).active
    assert [r[1] for r in sheet.iter_rows(values_only=True) if r[1] and r[0] != "Tema"] == texts
