import logging
import zlib

import pydyf

from reports import pdf
from reports.pdf import html_to_pdf, patch_pydyf, report_pdf, unpatched_pydyf
from reports.tables import build_table
from tests.reports.pdf_inspect import links, outline, reader, struct_tags


def test_patched_render_has_the_structure_of_the_unpatched(big_report, secretariat):
    table = build_table(report=big_report.report, user=secretariat, round=big_report.status_round)
    patched = report_pdf(table)
    with unpatched_pydyf():
        unpatched = report_pdf(table)
    ours, theirs = reader(patched.content), reader(unpatched.content)
    assert patched.pages == unpatched.pages == len(ours.pages) == len(theirs.pages) > 6
    tags = struct_tags(ours)
    assert tags == struct_tags(theirs)
    assert sum(tags.values()) > 500
    assert len({page for _, page in tags}) == patched.pages + 1  # every page, and None
    assert {"/TD", "/H1", "/Link"} <= {tag for tag, _ in tags}
    marks = outline(ours)
    assert marks == outline(theirs)
    assert len(marks) > 3
    assert len({page for _, _, page in marks}) > 1
    found = links(ours)
    assert found == links(theirs)
    assert any(kind == "page" for _, kind, _ in found)
    assert [p.extract_text() for p in ours.pages] == [p.extract_text() for p in theirs.pages]


def test_page_references_follow_added_pages():
    document = pydyf.PDF()
    first = document.page_references
    assert first == ()
    for _ in range(3):
        page = pydyf.Dictionary({"Type": "/Page"})
        document.add_page(page)
        assert document.page_references[-1] == f"{page.number} 0 R".encode()
    assert document.page_references is document.page_references
    with unpatched_pydyf():
        assert document.page_references == pdf._PYDYF_ORIGINALS["page_references"].fget(document)
    document.pages["Kids"] = pydyf.Array(document.pages["Kids"][:3])
    assert len(document.page_references) == 1


def test_other_pydyf_version_is_left_alone(monkeypatch, caplog):
    with unpatched_pydyf():
        monkeypatch.setattr(pydyf, "__version__", "0.99.0")
        with caplog.at_level(logging.WARNING, logger="opfoelgning.pdf"):
            assert patch_pydyf() is False
        assert pydyf.PDF.__dict__["page_references"] is pdf._PYDYF_ORIGINALS["page_references"]
        assert pydyf.Stream.__dict__["data"] is pdf._PYDYF_ORIGINALS["stream_data"]
    assert any("0.99.0" in r.getMessage() for r in caplog.records if r.name == "opfoelgning.pdf")


def test_installed_pydyf_is_the_patched_version():
    # A failure here means pydyf was upgraded: re-read its source before moving the guard.
    assert pydyf.__version__ == pdf.PYDYF_PATCHED_VERSION
    assert pydyf.PDF.__dict__["page_references"] is not pdf._PYDYF_ORIGINALS["page_references"]


def test_streams_are_compressed_at_level_6(monkeypatch):
    levels = []
    real = zlib.compressobj

    def spy(*args, **kwargs):
        levels.append(kwargs.get("level", args[0] if args else None))
        return real(*args, **kwargs)

    monkeypatch.setattr(zlib, "compressobj", spy)
    html = "<html lang='da'><title>t</title><h1>Overskrift</h1><p>Tekst.</p></html>"
    html_to_pdf(html)
    assert levels and set(levels) == {6}
    levels.clear()
    with unpatched_pydyf():
        html_to_pdf(html)
    assert levels and set(levels) == {9}
