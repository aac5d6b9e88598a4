"""SECURITY.md case 11: hostile or broken files are refused before parsing."""

import io
import zipfile

import pytest

from importing import security
from importing.parsing import parse_document
from importing.security import ImportRefused
from tests.importing.documents import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    HEADER,
    ORG,
    make_csv,
    make_docx,
    make_xlsx,
    rewrite_zip,
    zip_bomb,
)


def refused(name: str, data: bytes) -> str:
    with pytest.raises(ImportRefused) as exc:
        parse_document(name, data)
    return exc.value.message


def good_docx() -> bytes:
    return make_docx([ORG, [HEADER, ["Dialog", "Tekst", "- Handling"]]])


def test_oversized_file_is_refused_before_parsing(settings, monkeypatch):
    settings.IMPORT_MAX_BYTES = 1000
    called = []
    monkeypatch.setattr(security, "_check_office", lambda *a: called.append(a))
    message = refused("stor.docx", b"PK\x03\x04" + b"x" * 2000)
    assert "stor.docx" in message
    assert "MB" in message
    assert not called


def test_unknown_extension_is_refused():
    assert "docx" in refused("plan.pdf", b"%PDF-1.7")


@pytest.mark.parametrize("name", ["plan.docx", "plan.xlsx"])
def test_wrong_magic_bytes(name):
    message = refused(name, b"Tema;Anbefaling;Opfolgning\n")
    assert name in message
    assert "does not match" in message


def test_docx_named_xlsx_is_refused():
    message = refused("plan.xlsx", good_docx())
    assert "contains a Word document" in message


def test_xlsx_named_docx_is_refused():
    message = refused("plan.docx", make_xlsx([HEADER]))
    assert "contains a Excel document" in message or "Excel" in message


def test_zip_named_csv_and_binary_csv_are_refused():
    assert "Word or Excel" in refused("plan.csv", good_docx())
    assert "not a text file" in refused("plan.csv", b"Tema;\x00\x01\x02")


def test_non_utf8_csv_is_refused():
    assert "UTF-8" in refused("plan.csv", "Tema;Anbefaling;Opfølgning".encode("utf-16"))


def test_zip_bomb_by_compression_ratio_is_refused():
    message = refused("bombe.docx", zip_bomb(size=50 * 1024 * 1024))
    assert "zip bomb" in message


def test_zip_bomb_by_total_size_is_refused(settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 20 * 1024 * 1024
    settings.IMPORT_MAX_COMPRESSION_RATIO = 10**6
    assert "zip bomb" in refused("bombe.docx", zip_bomb(size=30 * 1024 * 1024))


def test_zip_whose_headers_lie_is_refused_without_inflating_it():
    """Central directory says 1 KB, the member holds 8 MB: refused, never inflated fully."""
    bomb = zip_bomb(size=8 * 1024 * 1024)
    marker = b"word/media/filler.bin"
    central = bomb.rindex(b"PK\x01\x02", 0, bomb.rindex(marker))
    real = (8 * 1024 * 1024).to_bytes(4, "little")
    assert bomb[central + 24 : central + 28] == real
    lying = bomb[: central + 24] + (1024).to_bytes(4, "little") + bomb[central + 28 :]
    assert "bombe.docx" in refused("bombe.docx", lying)


def test_non_utf8_csv_is_refused_cp1252():
    assert "UTF-8" in refused("plan.csv", "Tema;Anbefaling;Opfølgning".encode("cp1252"))


def test_too_many_members_is_refused(settings):
    settings.IMPORT_MAX_ZIP_MEMBERS = 20
    data = rewrite_zip(good_docx(), {f"customXml/item{i}.bin": b"x" for i in range(30)})
    assert "too many parts" in refused("mange.docx", data)


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_xml_entities_in_docx_part_are_refused(payload):
    data = rewrite_zip(good_docx(), {"word/document.xml": payload})
    message = refused("entiteter.docx", data)
    assert "DTD or entities" in message


def test_xml_entities_in_xlsx_part_are_refused():
    data = rewrite_zip(make_xlsx([HEADER]), {"xl/sharedStrings.xml": BILLION_LAUGHS})
    assert "DTD or entities" in refused("entiteter.xlsx", data)


def test_damaged_zip_is_refused():
    data = good_docx()
    assert "damaged" in refused("skadet.docx", data[: len(data) // 2])


def test_macro_enabled_content_type_is_refused():
    data = good_docx()
    types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")
    types = types.replace(
        security.DOCX_MAIN.encode(), b"application/vnd.ms-word.document.macroEnabled.main+xml"
    )
    assert "macro-enabled" in refused(
        "makro.docx", rewrite_zip(data, {"[Content_Types].xml": types})
    )


def test_openpyxl_uses_defusedxml():
    from openpyxl.xml import DEFUSEDXML

    assert DEFUSEDXML


def test_good_files_pass():
    parse_document("ok.docx", good_docx())
    parse_document("ok.xlsx", make_xlsx([[ORG], HEADER, ["Dialog", "Tekst", "A"]]))
    parse_document("ok.csv", make_csv([[ORG], HEADER, ["Dialog", "Tekst", "A"]]))


def test_too_many_rows_is_refused(settings):
    settings.IMPORT_MAX_ROWS = 50
    rows = [[ORG], HEADER] + [["Dialog", f"Tekst {i}", "A"] for i in range(60)]
    assert "more than 50 table rows" in refused("lang.csv", make_csv(rows))


def test_wide_sheet_reads_only_the_first_columns():
    wide = ["Dialog", "Tekst", "A", "", *["x"] * 2000]
    doc = parse_document("bred.xlsx", make_xlsx([[ORG], HEADER, wide]))
    assert doc.sections[0].rows[0].text == "Tekst"


def test_xml_entities_in_a_part_not_named_xml_are_refused():
    data = rewrite_zip(good_docx(), {"word/media/image1.bin": BILLION_LAUGHS})
    assert "DTD or entities" in refused("skjult.docx", data)


def test_utf16_xml_part_with_entities_is_refused():
    payload = BILLION_LAUGHS.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    data = rewrite_zip(good_docx(), {"word/document.xml": payload.encode("utf-16")})
    assert "DTD or entities" in refused("utf16.docx", data)


def test_binary_part_starting_with_a_bracket_and_svg_images_are_accepted():
    svg = b'<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x"><svg/>'
    data = rewrite_zip(
        good_docx(), {"word/media/image1.svg": svg, "word/media/image2.bin": b"<\x00\x01\x02"}
    )
    parse_document("billeder.docx", data)
