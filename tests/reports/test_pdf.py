import io
import re
import socket
import threading

import pypdf
import pytest

from reports.pdf import BASE_URL, StaticOnlyFetcher, html_to_pdf, report_pdf, resolve_static
from reports.tables import build_table
from tests import factories
from tests.reports.pdf_inspect import link_annotation_tags, struct_tags

INJECTIONS = [
    '<link rel="attachment" href="file:///etc/passwd">',
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">',
]


def reader(content: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(content))


def page_texts(content: bytes) -> list[str]:
    return [page.extract_text() for page in reader(content).pages]


def has_embedded_file(content: bytes) -> bool:
    pdf = reader(content)
    names = pdf.trailer["/Root"].get("/Names")
    if names is not None and "/EmbeddedFiles" in names.get_object():
        return True
    for page in pdf.pages:
        for annot in page.get("/Annots") or []:
            if annot.get_object().get("/Subtype") == "/FileAttachment":
                return True
    return b"/EmbeddedFile" in content or b"root:x:0:0" in content


def test_report_pdf_structure(big_report, secretariat):
    table = build_table(report=big_report.report, user=secretariat, round=big_report.status_round)
    rendered = report_pdf(table)
    texts = page_texts(rendered.content)
    total = len(texts)
    assert total == rendered.pages > 6
    for number, text in enumerate(texts, start=1):
        assert f"Side {number} af {total}" in text
    # Cover, introduction and contents come first; every later page holds the table.
    assert "Eksempelby Kommune" in texts[0] and "Udarbejdet" in texts[0]
    assert "Status 2033" in texts[0]
    assert "Indhold" in texts[2]
    # The status overview: the dashboard's chart with its numbers, per department.
    assert "Statusoverblik" in texts[3] and "Status pr. forvaltning" in texts[3]
    assert "Børn og Unge" in texts[3]
    table_pages = texts[4:]
    assert len(table_pages) >= 4
    for text in table_pages:
        assert re.search(r"Anbefaling\s+Opfølgning\s+Status", text), text[:300]
    joined = "\n".join(texts)
    for name in ["Telefontider", "Klagesvar", "Tema A", "Tema E"]:
        assert name in joined
    for heading in [
        "Anbefalinger og handlinger som vedrører hele organisationen",
        "Anbefalinger og handlinger som vedrører Børn og Unge",
        "Anbefalinger og handlinger som vedrører Ældreområdet",
    ]:
        assert heading in joined
    assert "Gennemført" in joined
    pdf = reader(rendered.content)
    root = pdf.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root.get("/Lang") == "da"
    assert pdf.metadata.title.startswith("Borgerrådgiverens årsberetning 2031")
    assert rendered.refused == []
    assert all(url.startswith(BASE_URL + "static/") for url in rendered.fetched)
    assert any(url.endswith(".woff") for url in rendered.fetched)


def font_names(document: pypdf.PdfReader) -> list[str]:
    """The embedded fonts' names without their subset tags, page by page."""
    names = []
    for page in document.pages:
        fonts = page["/Resources"].get("/Font") or {}
        names.append(
            sorted(str(f.get_object()["/BaseFont"]).split("+")[-1] for f in fonts.values())
        )
    return names


class CountingFetcher(StaticOnlyFetcher):
    """Records what WeasyPrint really asked it for."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def fetch(self, url, headers=None):
        self.calls.append(url)
        return super().fetch(url, headers)


def test_the_prepared_stylesheet_renders_what_the_linked_one_does(big_report, secretariat):
    """The sheet parsed once (pdf.PreparedStylesheet, what forked renderings use) gives the
    PDF the document's own link to it gives: pages, text, tags, bookmarks, links, fonts."""
    from reports.documents import document_html
    from reports.pdf import PreparedStylesheet
    from tests.reports.pdf_inspect import links, outline, struct_tags

    table = build_table(report=big_report.report, user=secretariat, round=big_report.status_round)
    html = document_html(table)
    prepared = PreparedStylesheet()
    assert prepared.link in html
    linked = html_to_pdf(html)
    fetcher = CountingFetcher()
    ours = html_to_pdf(html, prepared=prepared, fetcher=fetcher)
    # The sheet and its fonts came from the prepared sheet, not from fetching them again.
    assert not [url for url in fetcher.calls if url.endswith((".css", ".woff"))]
    a, b = reader(ours.content), reader(linked.content)
    assert ours.pages == linked.pages > 6
    assert [p.extract_text() for p in a.pages] == [p.extract_text() for p in b.pages]
    assert struct_tags(a) == struct_tags(b)
    assert outline(a) == outline(b)
    assert links(a) == links(b)
    assert font_names(a) == font_names(b)
    assert "IBM-Plex-Sans-Bold" in font_names(a)[0]
    # What the sheet fetched is accounted for as if the rendering had fetched it.
    assert sorted(set(ours.fetched)) == sorted(set(linked.fetched))
    assert any(url.endswith("report-document.css") for url in ours.fetched)
    assert ours.refused == []


def test_a_document_without_the_link_is_rendered_as_it_is():
    from reports.pdf import PreparedStylesheet

    html = '<html lang="da"><body><p style="font-size: 30pt">Hej</p></body></html>'
    prepared = PreparedStylesheet()
    fetcher = CountingFetcher()
    ours = html_to_pdf(html, prepared=prepared, fetcher=fetcher)
    assert page_texts(ours.content) == page_texts(html_to_pdf(html).content)
    assert ours.fetched == fetcher.calls == []
    assert font_names(reader(ours.content)) == font_names(reader(html_to_pdf(html).content))


def test_injected_markup_in_texts_embeds_nothing(report_data, secretariat):
    rec = report_data.dept_followup.recommendation
    rec.text = "Se bilag " + " ".join(INJECTIONS)
    rec.save()
    report_data.dept_followup.action = INJECTIONS[0]
    report_data.dept_followup.save()
    rendered = report_pdf(build_table(report=report_data.report, user=secretariat))
    assert not has_embedded_file(rendered.content)
    # Escaped as text: shown literally, never fetched.
    assert "file:///etc/passwd" in "\n".join(page_texts(rendered.content))
    assert not any("passwd" in url for url in rendered.fetched)


@pytest.fixture
def listener():
    """A loopback HTTP listener that counts connections."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    hits = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            hits.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], hits
    stop.set()
    thread.join(1)
    server.close()


def test_fetcher_refuses_everything_but_static_files(listener):
    port, hits = listener
    evil = [
        "file:///etc/passwd",
        f"http://127.0.0.1:{port}/style.css",
        f"https://127.0.0.1:{port}/img.png",
        "data:text/css,body{color:red}",
        BASE_URL + "static/../../../../etc/passwd",
        BASE_URL + "static/%2e%2e/%2e%2e/etc/passwd",
        BASE_URL + "etc/passwd",
    ]
    html = (
        '<html lang="da"><head><title>x</title>'
        f'<link rel="attachment" href="{evil[0]}">'
        f'<link rel="stylesheet" href="{evil[1]}">'
        f'<link rel="stylesheet" href="{evil[3]}">'
        "</head><body><p>Tekst</p>"
        f'<img src="{evil[0]}"><img src="{evil[2]}">'
        f'<img src="{evil[4]}"><img src="{evil[5]}"><img src="{evil[6]}">'
        f'<a rel="attachment" href="{evil[0]}">bilag</a>'
        "</body></html>"
    )
    fetcher = StaticOnlyFetcher()
    rendered = html_to_pdf(html, fetcher=fetcher)
    assert fetcher.fetched == []
    assert set(fetcher.refused) >= {evil[0], evil[1], evil[2], evil[3]}
    assert any("passwd" in url and url.startswith(BASE_URL) for url in fetcher.refused)
    assert not has_embedded_file(rendered.content)
    assert hits == []


@pytest.mark.parametrize(
    "url",
    [
        BASE_URL + "static/css/report-document.css",
        BASE_URL + "static/vendor/dkfds/fonts/IBMPlexSans/complete/woff/IBMPlexSans-Bold.woff",
    ],
)
def test_resolve_static_accepts_our_files(url):
    path = resolve_static(url)
    assert path is not None and path.is_file()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "https://example.com/static/css/report-document.css",
        "http://opfoelgning.invalid/static/css/report-document.css",
        BASE_URL + "static/../config/settings/base.py",
        BASE_URL + "static/css/%2e%2e/%2e%2e/config/settings/base.py",
        BASE_URL + "static/js/app.js",
        BASE_URL + "static//etc/passwd.css",
        BASE_URL + "static/",
    ],
)
def test_resolve_static_refuses(url):
    assert resolve_static(url) is None


def test_recommendation_taller_than_a_page_renders(report_data, secretariat):
    """Many departments answering one recommendation: more than a page for one row group."""
    long_text = "\n".join(f"- Linje {i} om hvad forvaltningen gør ved det." for i in range(12))
    rec = report_data.org_followups[0].recommendation
    for i in range(8):
        department = factories.DepartmentFactory(name=f"Forvaltning {i:02d}")
        factories.FollowUpFactory(recommendation=rec, department=department, action=long_text)
    rendered = report_pdf(build_table(report=report_data.report, user=secretariat))
    texts = page_texts(rendered.content)
    assert "Forvaltning 07" in "\n".join(texts)
    assert rendered.pages >= 6
    # A page that goes on with the recommendation (its Anbefaling cell is on an earlier
    # page) names it at the top: "2031-1 (fortsat)"; no other page says "fortsat".
    continued = [
        text
        for text in texts
        if "Linje 11 om" in text and "Borgere kommer ikke igennem" not in text
    ]
    assert len(continued) >= 2
    for text in continued:
        assert "2031-1 (fortsat)" in text, text[:200]
    assert sum("(fortsat)" in text for text in texts) == len(continued)


def test_rendering_pauses_the_cyclic_gc_and_restores_it(monkeypatch):
    """The collector is off while WeasyPrint renders and writes, and back on afterwards,
    also when rendering fails; a collector someone else had turned off stays off."""
    import gc

    from weasyprint import HTML
    from weasyprint.document import Document

    from reports import pdf

    seen = []

    def spy(name, real):
        def spying(self, *args, **kwargs):
            seen.append((name, gc.isenabled()))
            return real(self, *args, **kwargs)

        return spying

    monkeypatch.setattr(HTML, "render", spy("render", HTML.render))
    monkeypatch.setattr(Document, "write_pdf", spy("write_pdf", Document.write_pdf))
    assert gc.isenabled()
    rendered = html_to_pdf('<html lang="da"><title>T</title><p>Hej</p></html>')
    assert rendered.pages == 1
    assert seen == [("render", False), ("write_pdf", False)]
    assert gc.isenabled()

    def failing_html(*args, **kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(pdf, "HTML", failing_html)
    with pytest.raises(RuntimeError):
        html_to_pdf("<p>x</p>")
    assert gc.isenabled()
    gc.disable()
    try:
        with pdf.without_cyclic_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


# --- the bounded rendering (a child process with a timeout) ---------------------------------


def test_bounded_rendering_returns_the_pdf():
    from reports.pdf import html_to_pdf_bounded

    rendered = html_to_pdf_bounded('<html lang="da"><p>Hej</p></html>', timeout=120)
    assert rendered.content.startswith(b"%PDF")
    assert rendered.pages == 1


def test_bounded_rendering_stops_a_rendering_over_the_timeout(monkeypatch):
    """The child is killed at the timeout: the caller does not wait for the slow rendering."""
    import multiprocessing
    import time

    from reports import pdf

    def slow(html, **kwargs):
        time.sleep(120)
        return pdf.RenderedPDF(b"%PDF-too-late", 1)

    monkeypatch.setattr(pdf, "html_to_pdf", slow)  # the forked child inherits it
    start = time.monotonic()
    with pytest.raises(pdf.RenderTimeout):
        pdf.html_to_pdf_bounded("<p>x</p>", timeout=1)
    assert time.monotonic() - start < 60
    assert multiprocessing.active_children() == []  # no rendering left running


def test_bounded_rendering_reports_an_error_or_a_dead_child(monkeypatch):
    import os

    from reports import pdf

    def failing(html, **kwargs):
        raise ValueError("broken layout")

    monkeypatch.setattr(pdf, "html_to_pdf", failing)
    with pytest.raises(pdf.RenderCrashed, match="ValueError: broken layout"):
        pdf.html_to_pdf_bounded("<p>x</p>", timeout=60)

    def dying(html, **kwargs):
        os._exit(9)  # e.g. killed for memory

    monkeypatch.setattr(pdf, "html_to_pdf", dying)
    with pytest.raises(pdf.RenderCrashed):
        pdf.html_to_pdf_bounded("<p>x</p>", timeout=60)


def test_the_bounded_rendering_uses_the_prepared_stylesheet(refetches_refused):
    from reports import pdf

    prepared = pdf.warm_up()
    html = f'<html lang="da"><head>{prepared.link}</head><body><p>Hej</p></body></html>'
    rendered = pdf.html_to_pdf_bounded(html, timeout=120)
    assert rendered.refused == []
    assert "IBM-Plex-Sans" in font_names(reader(rendered.content))[0]


def test_a_list_items_bullet_is_its_own_text_not_a_structure_element(report_data, secretariat):
    """The bullets are printed as the items' text (report_richtext), not drawn by a ::before
    pseudo-element, which WeasyPrint would give a box and a structure element of its own: a
    tenth to a sixth of a section's rendering time (bench/FINDINGS.md). The page reads the same."""
    followup = report_data.dept_followup

    def render(items: int):
        followup.action = "\n".join(f"- Punkt nummer {i}." for i in range(items))
        followup.save()
        table = build_table(report=report_data.report, user=secretariat)
        content = report_pdf(table).content
        return struct_tags(reader(content)), "\n".join(page_texts(content))

    few_tags, _few_text = render(2)
    many_tags, many_text = render(12)

    def total(tags, kind):
        return sum(count for (tag, _page), count in tags.items() if tag == kind)

    assert total(many_tags, "/LI") == total(few_tags, "/LI") + 10
    assert total(many_tags, "/NonStruct") == total(few_tags, "/NonStruct")
    assert all(f"• Punkt nummer {i}." in many_text for i in range(12))


def test_the_contents_read_as_titles_and_pages_without_leader_dots(big_report, secretariat):
    """The dots between a title and its page are a background image, not text: about 2,000
    text boxes fewer to write, and a screen reader or a copy reads "Indledning 3"."""
    table = build_table(report=big_report.report, user=secretariat, round=big_report.status_round)
    rendered = report_pdf(table)
    contents = page_texts(rendered.content)[2]
    assert contents.startswith("Indhold")
    assert "..." not in contents
    pages = dict(re.findall(r"^(Indledning|Statusoverblik) (\d+)$", contents, re.MULTILINE))
    assert pages == {"Indledning": "2", "Statusoverblik": "4"}
    assert any(url.endswith("/static/img/report-leader.svg") for url in rendered.fetched)
    assert rendered.refused == []
    # Every link annotation (the contents' and the cross-references') is tagged under a Link.
    tags = link_annotation_tags(rendered.content)
    assert len(tags) >= 2 + len(table.sections)
    assert set(tags) == {"/Link"}
