import pytest

from importing.parsing import parse_document, section_target
from importing.security import ImportRefused
from tests.importing.documents import (
    HEADER,
    ORG,
    Bullets,
    Merged,
    make_csv,
    make_docx,
    make_xlsx,
    section,
)


def test_section_target():
    assert section_target(ORG) == ""
    assert (
        section_target("ANBEFALINGER  og handlinger som vedrører Ældreområdet:") == "Ældreområdet"
    )
    assert section_target("Anbefalinger og handlinger som vedrorer Natur og Byg") == "Natur og Byg"
    assert section_target("Tema") is None


def test_docx_sections_bullets_and_continuation_rows():
    data = make_docx(
        [
            "Indledning om året",
            ORG,
            [
                HEADER,
                [
                    "Telefontider",
                    "- Borgerne venter længe i telefonen.\n- Især om mandagen.",
                    Bullets(["Natur og Byg åbner telefonen tidligere.", "Ældreområdet ringer op."]),
                ],
                ["", "", "- Skoleområdet gennemgår telefonlister."],
            ],
            section("Ældreområdet"),
            [
                HEADER,
                ["Klagesvar", "Svar bør forklare næste skridt.", "Ny skabelon for klagesvar."],
            ],
        ]
    )
    doc = parse_document("plan.docx", data)
    assert [s.department for s in doc.sections] == [None, "Ældreområdet"]
    row = doc.sections[0].rows[0]
    assert row.theme == "Telefontider"
    assert row.text == "- Borgerne venter længe i telefonen.\n- Især om mandagen."
    assert [(a.text, a.bullet) for a in row.actions] == [
        ("Natur og Byg åbner telefonen tidligere.", True),
        ("Ældreområdet ringer op.", True),
        ("Skoleområdet gennemgår telefonlister.", True),
    ]
    assert row.actions[2].pos.row == 3
    assert str(row.actions[2].pos) == "plan.docx, table 1, row 3"
    other = doc.sections[1].rows[0]
    assert (other.theme, other.text) == ("Klagesvar", "Svar bør forklare næste skridt.")
    assert not doc.has_status


def test_docx_heading_as_merged_row_inside_one_table_with_status_column():
    data = make_docx(
        [
            [
                Merged(ORG),
                [*HEADER, "Status"],
                ["Svartider", "Svar hurtigere.", "- Alle: nye frister", "Igangsat: i gang"],
                Merged(section("Natur og Byg")),
                [*HEADER, "Status"],
                ["Svartider", "Også her.", "- Færre sager i kø", ""],
            ]
        ]
    )
    doc = parse_document("samlet.docx", data)
    assert doc.has_status
    assert [s.department for s in doc.sections] == [None, "Natur og Byg"]
    assert doc.sections[0].rows[0].actions[0].status == "Igangsat: i gang"


def test_continuation_row_appends_to_recommendation_and_status():
    rows = [
        [ORG],
        ["Tema", "Anbefaling", "Opfølgning", "Status"],
        ["Dialog", "Første del af teksten", "- Handling A", "Planlagt: snart"],
        ["", "anden del af teksten", "", "og mere status"],
    ]
    doc = parse_document("fil.xlsx", make_xlsx(rows))
    row = doc.sections[0].rows[0]
    assert row.text == "Første del af teksten\nanden del af teksten"
    assert row.actions[0].status == "Planlagt: snart\nog mere status"


@pytest.mark.parametrize("delimiter", [";", ","])
@pytest.mark.parametrize("bom", [True, False])
def test_csv_delimiters_and_bom(delimiter, bom):
    rows = [
        [ORG, "", ""],
        ["Tema", "Anbefaling", "Opfølgning"],
        ["Dialog, og tone", "Tal pænt, også i breve.", "- A\n- B"],
    ]
    doc = parse_document("fil.csv", make_csv(rows, delimiter=delimiter, bom=bom))
    row = doc.sections[0].rows[0]
    assert row.theme == "Dialog, og tone"
    assert [a.text for a in row.actions] == ["A", "B"]


def test_rows_without_section_heading_concern_the_whole_organisation_with_warning():
    doc = parse_document("fil.csv", make_csv([HEADER, ["Dialog", "Tekst", "- A"]]))
    assert doc.sections[0].is_organisation
    assert "whole organisation" in doc.warnings[0].message


def test_title_rows_before_header_are_ignored():
    doc = parse_document(
        "fil.xlsx", make_xlsx([["Handleplan 2024"], [], [ORG], HEADER, ["Dialog", "Tekst", "A"]])
    )
    assert doc.sections[0].rows[0].theme == "Dialog"


def test_formula_like_text_is_kept_as_text():
    doc = parse_document("fil.csv", make_csv([[ORG], HEADER, ["=1+2", "@SUM(A1)", "+45 12"]]))
    row = doc.sections[0].rows[0]
    assert (row.theme, row.text, row.actions[0].text) == ("=1+2", "@SUM(A1)", "+45 12")


def test_table_without_header_is_refused():
    with pytest.raises(ImportRefused) as exc:
        parse_document("fil.csv", make_csv([["a", "b", "c"], ["d", "e", "f"]]))
    assert "fil.csv" in exc.value.message
    assert "Tema" in exc.value.message


def test_header_with_too_few_columns_is_refused_with_position():
    with pytest.raises(ImportRefused) as exc:
        parse_document("fil.xlsx", make_xlsx([[ORG], ["Tema", "Anbefaling"], ["x", "y"]]))
    assert "fil.xlsx, table 1, row 2" in exc.value.message


def test_docx_other_tables_are_skipped_with_warning():
    data = make_docx([[["Sagsnr.", "2024-1"]], ORG, [HEADER, ["Dialog", "Tekst", "A"]]])
    doc = parse_document("plan.docx", data)
    assert len(doc.sections) == 1
    assert any("table 1" in w.message for w in doc.warnings)


def test_csv_export_neutralised_formulas_come_back_as_written():
    rows = [[ORG], HEADER, ["Dialog", "'- Første punkt\n- Andet punkt", "NB: '=ikke en formel"]]
    doc = parse_document("eksport.csv", make_csv(rows))
    row = doc.sections[0].rows[0]
    assert row.text == "- Første punkt\n- Andet punkt"
    # Only a leading apostrophe before a formula character is the export's.
    assert row.actions[0].text == "NB: '=ikke en formel"


def test_docx_vertically_merged_cells_continue_the_row_above():
    from tests.importing.documents import make_docx_vertically_merged

    doc = parse_document("flettet.docx", make_docx_vertically_merged())
    [row] = doc.sections[0].rows
    assert (row.theme, row.text) == ("Svartider", "Svar inden for fire uger.")
    assert [a.text for a in row.actions] == ["NB: Ny postkasse", "ÆO: Ny frist", "Fælles"]
    assert not doc.warnings


def test_a_theme_starting_with_tema_is_data_not_a_header():
    rows = [[ORG], HEADER, ["Tema 1", "Anbefalingen gælder alle.", "- A"]]
    doc = parse_document("fil.csv", make_csv(rows))
    assert doc.sections[0].rows[0].theme == "Tema 1"


def test_csv_separator_follows_the_header_even_with_commas_in_the_text():
    rows = [
        [ORG],
        ["Tema", "Anbefaling", "Opfølgning"],
        *[["Dialog, tone", f"Svar, ring, skriv {i}, og tal, pænt.", "- A, B, C"] for i in range(5)],
    ]
    doc = parse_document("fil.csv", make_csv(rows, delimiter=";"))
    assert doc.sections[0].rows[0].theme == "Dialog, tone"


STATUS_HEADER = [*HEADER, "Status 2019"]


def test_a_row_without_theme_and_nothing_above_is_refused_not_dropped():
    data = make_docx(
        [ORG, [HEADER, ["", "Svar hurtigere.", "Natur og Byg svarer inden for 14 dage."]]]
    )
    with pytest.raises(ImportRefused) as exc:
        parse_document("plan.docx", data)
    assert "table 1, row 2" in str(exc.value.message)
    assert "nothing has been imported" in str(exc.value.message)


def test_a_theme_with_actions_but_no_recommendation_text_is_refused():
    data = make_docx([ORG, [HEADER, ["Svartider", "", "Natur og Byg svarer hurtigere."]]])
    with pytest.raises(ImportRefused) as exc:
        parse_document("plan.docx", data)
    assert "Svartider" in str(exc.value.message)


def test_a_theme_alone_is_a_heading_row_and_is_skipped_with_a_warning():
    data = make_docx(
        [
            ORG,
            [
                HEADER,
                ["Svartider", "", ""],
                ["Dialog", "Ring før brevet.", "Natur og Byg ringer."],
            ],
        ]
    )
    doc = parse_document("plan.docx", data)
    assert [r.theme for s in doc.sections for r in s.rows] == ["Dialog"]
    assert any("Svartider" in w.message for w in doc.warnings)


def test_a_status_continued_on_the_next_row_stays_with_the_last_line():
    data = make_docx(
        [
            ORG,
            [
                STATUS_HEADER,
                ["Dialog", "Ring før brevet.", "Natur og Byg ringer.", "Gennemført: Det sker."],
                ["", "", "", "Også om aftenen."],
            ],
        ]
    )
    row = parse_document("plan.docx", data).sections[0].rows[0]
    assert row.actions[-1].status == "Gennemført: Det sker.\nOgså om aftenen."
