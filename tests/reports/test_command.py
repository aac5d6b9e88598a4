import csv

import pypdf
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tests import factories


@pytest.mark.parametrize("extension", ["pdf", "html", "xlsx", "csv"])
def test_render_report_writes_each_format(report_data, tmp_path, extension):
    output = tmp_path / f"rapport.{extension}"
    call_command(
        "render_report", "--year", "2031", "--round", "status 2033", "--output", str(output)
    )
    data = output.read_bytes()
    if extension == "pdf":
        assert data.startswith(b"%PDF")
        assert len(pypdf.PdfReader(str(output)).pages) >= 5
    elif extension == "html":
        assert '<html lang="da">' in data.decode()
        assert "Telefontiden er udvidet." in data.decode()
    elif extension == "xlsx":
        assert data[:2] == b"PK"
    else:
        rows = list(csv.reader(output.open(encoding="utf-8-sig"), delimiter=";"))
        assert rows[1] == ["Tema", "Anbefaling", "Opfølgning", "Status"]
        assert "Gennemført: Telefontiden er udvidet." in rows[3]


def test_department_and_user(report_data, tmp_path, council):
    output = tmp_path / "r.csv"
    call_command("render_report", "--year", "2031", "--department", "bu", "--output", str(output))
    text = output.read_text(encoding="utf-8-sig")
    assert "Børn og Unge" in text and "Ældreområdet:" not in text
    # As a council member, the unpublished status round does not exist.
    with pytest.raises(CommandError, match="ingen runde"):
        call_command(
            "render_report",
            "--year",
            "2031",
            "--round",
            "Status 2033",
            "--user",
            council.username,
            "--output",
            str(output),
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "1999"], "ingen årsberetning for 1999"),
        (["--year", "2031", "--round", "Nope"], "ingen runde “Nope”"),
        (["--year", "2031", "--department", "XYZ"], "ingen forvaltning med forkortelsen “XYZ”"),
        (["--year", "2031", "--as-of", "igår"], "ikke en dato"),
        (["--year", "2031", "--user", "nobody"], "ingen bruger"),
    ],
)
def test_clear_errors(report_data, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("render_report", *args, "--output", str(tmp_path / "r.pdf"))


def test_unknown_extension(report_data, tmp_path):
    with pytest.raises(CommandError, match="Ukendt filtype “.docx”"):
        call_command("render_report", "--year", "2031", "--output", str(tmp_path / "r.docx"))
    assert not (tmp_path / "r.docx").exists()


def test_user_cannot_render_another_departments_report(report_data, tmp_path):
    officer = factories.MembershipFactory(department=report_data.boern).user
    output = tmp_path / "r.csv"
    with pytest.raises(CommandError, match=f"“AEO”, som {officer.username} kan se"):
        call_command(
            "render_report",
            *("--year", "2031", "--department", "AEO", "--user", officer.username),
            *("--output", str(output)),
        )
    assert not output.exists()
    call_command(
        "render_report",
        *("--year", "2031", "--department", "BU", "--user", officer.username),
        *("--output", str(output)),
    )
    assert "Børn og Unge" in output.read_text(encoding="utf-8-sig")


def test_a_pdf_over_the_size_limit_stops_with_a_danish_message(
    report_data, tmp_path, settings, monkeypatch
):
    from reports import pdf

    def refuse(*args, **kwargs):
        raise AssertionError("an over-limit report must not be rendered")

    monkeypatch.setattr(pdf, "html_to_pdf_bounded", refuse)
    monkeypatch.setattr("reports.pdf_parallel.parts_to_pdf", refuse)
    settings.REPORT_MAX_CHARS = 10
    output = tmp_path / "r.pdf"
    # Danish even when the calling thread has English active (as a test client request with
    # the English cookie leaves it): the command speaks the product's language.
    too_large = "Rapporten er for stor til at blive lavet som PDF"
    with translation.override("en"), pytest.raises(CommandError, match=too_large):
        call_command("render_report", "--year", "2031", "--output", str(output))
    assert not output.exists()
    # The spreadsheets are not limited.
    call_command("render_report", "--year", "2031", "--output", str(tmp_path / "r.csv"))
