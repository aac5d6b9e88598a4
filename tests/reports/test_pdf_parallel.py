"""A large report laid out in parallel parts and merged: the same document as one rendering."""

import io
import re
import shutil
import subprocess
import time

import pikepdf
import pytest

from reports import pdf, pdf_parallel, rendering
from reports.documents import document_html, document_parts, split_sections
from reports.tables import build_table
from tests.reports.pdf_inspect import link_annotation_tags, links, outline, reader, struct_tags

FOOTER = re.compile(r"Side (\d+) af (\d+)")


@pytest.fixture
def table(big_report, secretariat):
    return build_table(report=big_report.report, user=secretariat, round=big_report.status_round)


@pytest.fixture
def parallel(settings):
    settings.REPORT_PDF_PROCESSES = 2
    settings.REPORT_PDF_PARALLEL_MIN_CELLS = 0


def render_parts(table, parts: int) -> pdf.RenderedPDF:
    document = document_parts(table, parts=parts)
    return pdf_parallel.parts_to_pdf(document.front, document.sections, timeout=120)


@pytest.fixture
def single(table):
    return pdf.html_to_pdf_bounded(document_html(table), timeout=120)


@pytest.mark.parametrize("parts", [2, 3])
def test_merged_report_is_the_single_rendering(table, single, parts):
    merged = render_parts(table, parts)
    ours, theirs = reader(merged.content), reader(single.content)
    assert merged.pages == single.pages == len(ours.pages) > 6
    # Tags per type and page, bookmarks (titles, nesting, pages), links and every page's
    # text (contents' page numbers and "Side X af Y" included) are those of one rendering.
    tags = struct_tags(ours)
    assert tags == struct_tags(theirs)
    assert {"/Document", "/Table", "/TH", "/TD", "/H1", "/H2", "/Link"} <= {t for t, _ in tags}
    assert outline(ours) == outline(theirs)
    assert links(ours) == links(theirs)
    assert [p.extract_text() for p in ours.pages] == [p.extract_text() for p in theirs.pages]
    assert merged.refused == []


def test_page_numbers_run_on_across_the_parts(table):
    merged = reader(render_parts(table, 2).content)
    footers = [FOOTER.search(page.extract_text()).groups() for page in merged.pages]
    total = len(merged.pages)
    assert footers == [(str(n), str(total)) for n in range(1, total + 1)]


def test_every_contents_link_lands_on_its_sections_first_page(table):
    content = render_parts(table, 2).content
    document = reader(content)
    texts = [page.extract_text() for page in document.pages]
    toc_page = next(i for i, text in enumerate(texts) if "Indhold" in text.split("\n")[0])
    sections = [s.heading for s in table.sections]
    assert len(sections) >= 2
    boxes = [target for page, _kind, target in links(document) if page == toc_page]
    # A link is an annotation per line of its title: one run of them per entry.
    targets = [t for i, t in enumerate(boxes) if i == 0 or boxes[i - 1] != t]
    # Indledning, Statusoverblik, then one per section, each printed with its page number.
    assert len(targets) == 2 + len(sections)
    for heading, target in zip(sections, targets[2:], strict=True):
        # The section's heading is on the target page, and not on the page before it.
        assert heading in texts[target]
        assert target - 1 == toc_page or heading not in texts[target - 1]
        printed = re.search(re.escape(heading[-20:]) + r"[ .]*(\d+)", texts[toc_page])
        assert printed and int(printed.group(1)) == target + 1
    # Every section's part brought its section's named destination.
    with pikepdf.open(io.BytesIO(content)) as merged:
        names = merged.Root.Names.Dests.Names
        named = {str(names[i]) for i in range(0, len(names), 2)}
    assert {f"section-{n}" for n in range(1, len(sections) + 1)} <= named


def test_merged_file_is_one_well_formed_pdf_ua_document(table, single, tmp_path):
    content = render_parts(table, 2).content
    # Every link annotation is tagged under a Link element, as in the single rendering.
    assert set(link_annotation_tags(content)) == set(link_annotation_tags(single.content))
    assert set(link_annotation_tags(content)) == {"/Link"}
    with (
        pikepdf.open(io.BytesIO(content)) as merged,
        pikepdf.open(io.BytesIO(single.content)) as one,
    ):
        assert merged.check_pdf_syntax() == []  # qpdf's --check, through libqpdf
        root = merged.Root
        assert str(root.Lang) == "da"
        assert bool(root.MarkInfo.Marked)
        assert bool(root.ViewerPreferences.DisplayDocTitle)
        with merged.open_metadata() as meta, one.open_metadata() as theirs:
            assert meta["dc:title"] == theirs["dc:title"]
            assert meta.get("pdfuaid:part") == "1"
        # No embedded files, anywhere.
        assert "/EmbeddedFiles" not in root.get("/Names", {})
        assert "/AF" not in root
        for page in merged.pages:
            for annot in page.obj.get("/Annots", []):
                assert annot.Subtype == pikepdf.Name.Link
        # One structure tree: one Document element, the parent tree keyed past every page
        # and annotation, each page's and link's key holding its own elements.
        tree = root.StructTreeRoot
        assert len(tree.K) == 1 and pikepdf.Name.Document == tree.K[0].S
        nums = tree.ParentTree.Nums
        entries = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        assert int(tree.ParentTreeNextKey) == max(entries) + 1
        for page in merged.pages:
            elements = entries[int(page.obj.StructParents)]
            assert all(e.Pg.objgen == page.obj.objgen for e in elements if "/Pg" in e)
            for annot in page.obj.get("/Annots", []):
                holder = entries[int(annot.StructParent)]
                assert any(
                    k.get("/Obj") == annot for k in holder.K if isinstance(k, pikepdf.Dictionary)
                )
        # Table header ids unique across the parts, and every cell's headers among them.
        ids, headers = [], set()
        stack = [tree.K[0]]
        while stack:
            element = stack.pop()
            if "/ID" in element:
                ids.append(bytes(element.ID))
            attributes = element.get("/A")
            if isinstance(attributes, pikepdf.Dictionary) and "/Headers" in attributes:
                headers.update(bytes(h) for h in attributes.Headers)
            kids = element.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    stack.append(kid)
        assert len(ids) == len(set(ids)) > 3
        assert headers and headers <= set(ids)
        # Each part's font subsets keep a subset tag of their own.
        subsets: dict[str, set] = {}
        for page in merged.pages:
            for font in page.obj.Resources.Font.values():
                subsets.setdefault(str(font.BaseFont), set()).add(font.objgen)
        assert all(len(objects) == 1 for objects in subsets.values())
    # The command as well where Debian's qpdf is installed (CI: REQUIRE_QPDF=1).
    if shutil.which("qpdf"):
        path = tmp_path / "merged.pdf"
        path.write_bytes(content)
        result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)  # noqa: S603, S607
        assert result.returncode == 0, result.stdout + result.stderr


def test_render_pdf_uses_the_parts_for_a_large_report(table, parallel, monkeypatch):
    calls = []
    original = pdf_parallel.parts_to_pdf

    def spy(front, sections, **kwargs):
        calls.append(len(sections))
        return original(front, sections, **kwargs)

    monkeypatch.setattr(pdf_parallel, "parts_to_pdf", spy)
    rendered = rendering.render_pdf(table)
    assert calls == [2]
    assert rendered.pages == len(reader(rendered.content).pages)


def test_small_reports_and_one_process_keep_the_single_path(table, settings):
    size = rendering.report_size(table)
    settings.REPORT_PDF_PROCESSES = 2
    settings.REPORT_PDF_PARALLEL_MIN_CELLS = size.cells + 1
    assert rendering.renders_in_parts(table, size) == 1
    settings.REPORT_PDF_PARALLEL_MIN_CELLS = size.cells
    assert rendering.renders_in_parts(table, size) == 2
    settings.REPORT_PDF_PROCESSES = 1
    assert rendering.renders_in_parts(table, size) == 1


def test_moved_pages_fall_back_to_one_process(table, single, parallel, monkeypatch, caplog):
    # The real page numbers push the contents onto one more page than the placeholders did:
    # the offsets the parts were told are wrong, so the report is rendered in one piece.
    original = pdf_parallel.fill_page_numbers

    def longer_with_numbers(html, numbers):
        filled = original(html, numbers)
        if numbers is None:
            return filled
        return filled.replace("</nav>", '</nav><p style="break-after: page">x</p>', 1)

    monkeypatch.setattr(pdf_parallel, "fill_page_numbers", longer_with_numbers)
    with caplog.at_level("WARNING", logger="reports.rendering"):
        rendered = rendering.render_pdf(table)
    assert "pages moved" in caplog.text
    assert [p.extract_text() for p in reader(rendered.content).pages] == [
        p.extract_text() for p in reader(single.content).pages
    ]


def test_a_failing_part_fails_the_rendering(table, monkeypatch):
    def broken(html, prepared, conn):
        raise RuntimeError("layout broke")

    monkeypatch.setattr(pdf_parallel, "_sections_child", broken)
    with pytest.raises(pdf.RenderCrashed, match="layout broke"):
        render_parts(table, 2)


def test_a_slow_part_is_stopped(table, monkeypatch):
    def stuck(html, prepared, conn):
        import time

        time.sleep(60)

    monkeypatch.setattr(pdf_parallel, "_sections_child", stuck)
    document = document_parts(table, parts=2)
    with pytest.raises(pdf.RenderTimeout):
        pdf_parallel.parts_to_pdf(document.front, document.sections, timeout=2)


@pytest.mark.parametrize(
    ("weights", "parts", "expected"),
    [
        ([53, 6, 6, 6, 6, 6, 6, 6, 6], 2, [(0, 1), (1, 9)]),
        ([1, 1, 1, 1], 2, [(0, 2), (2, 4)]),
        ([1, 1, 1, 1, 1, 1], 3, [(0, 2), (2, 4), (4, 6)]),
        ([5], 3, [(0, 1)]),
        ([10, 1, 1, 1, 10], 3, [(0, 1), (1, 4), (4, 5)]),
    ],
)
def test_sections_are_split_into_runs_of_even_weight(weights, parts, expected):
    assert [(r.start, r.stop) for r in split_sections(weights, parts)] == expected


def test_parts_fetch_nothing_but_our_static_files():
    front = '<html lang="da"><title>t</title><body><h1>Forside</h1></body></html>'
    section = (
        '<html lang="da"><title>t</title><body><section><h2 id="section-1">Afsnit</h2>'
        '<img src="https://example.com/x.png" alt=""><img src="file:///etc/passwd" alt="">'
        "</section></body></html>"
    )
    rendered = pdf_parallel.parts_to_pdf(front, [section], timeout=60)
    assert rendered.pages == 2
    assert sorted(rendered.refused) == ["file:///etc/passwd", "https://example.com/x.png"]
    assert reader(rendered.content).pages[1].extract_text().strip().startswith("Afsnit")


def test_warm_up_renders_and_prepares_the_stylesheet_once_per_process(monkeypatch):
    calls = []
    monkeypatch.setattr(pdf, "_prepared", None)
    monkeypatch.setattr(pdf, "html_to_pdf", lambda html: calls.append(html))
    first = pdf.warm_up()
    assert pdf.warm_up() is first
    assert isinstance(first, pdf.PreparedStylesheet)
    assert calls == [pdf.WARM_UP_HTML]


def test_a_section_start_not_found_falls_back_to_one_process(
    table, single, parallel, monkeypatch, caplog
):
    monkeypatch.setattr(pdf_parallel, "section_starts", lambda pages: {})
    with caplog.at_level("WARNING", logger="reports.rendering"):
        rendered = rendering.render_pdf(table)
    assert "No first page found for sections [1, 2, 3]" in caplog.text
    assert rendered.pages == single.pages


def test_the_parts_render_with_the_prepared_stylesheet(table, refetches_refused):
    """The forked parts take the sheet and fonts warm_up prepared, not fetching them again."""
    rendered = render_parts(table, 2)
    assert rendered.refused == []
    assert any(url.endswith(".woff") for url in rendered.fetched)


class _LateDone:
    """A part's end of its pipe that holds back its finished PDF for two seconds."""

    def __init__(self, conn) -> None:
        self.conn = conn

    def send(self, message) -> None:
        if message[0] == "done":
            time.sleep(2.0)
        self.conn.send(message)

    def recv(self):
        return self.conn.recv()


def test_parts_are_merged_as_they_arrive_in_any_order(table, monkeypatch):
    """parts_to_pdf merges each part's PDF as it comes, while a later part is still being
    written; a part that arrives before an earlier one waits for it. Any order of arrival
    gives the file merge_parts makes of the parts in order."""
    from reports.pdf_merge import PartsMerge, merge_parts

    document = document_parts(table, parts=3)
    original_child = pdf_parallel._sections_child

    def late_last_part(html, prepared, conn):
        late = html == document.sections[-1]
        original_child(html, prepared, _LateDone(conn) if late else conn)

    added: dict[int, float] = {}
    kept: dict[int, bytes] = {}
    original_add = PartsMerge.add

    def add(self, index, data):
        added[index] = time.monotonic()
        kept[index] = data
        original_add(self, index, data)

    monkeypatch.setattr(pdf_parallel, "_sections_child", late_last_part)
    monkeypatch.setattr(PartsMerge, "add", add)
    merged = pdf_parallel.parts_to_pdf(document.front, document.sections, timeout=120).content
    assert sorted(added) == [0, 1, 2, 3]
    # The front matter and the first runs were merged before the late part came.
    assert added[3] - max(added[0], added[1], added[2]) > 0.5
    parts = [kept[index] for index in range(4)]
    assert merged == merge_parts(parts)

    backwards = PartsMerge(4)
    try:
        for index in (3, 1, 2):
            backwards.add(index, parts[index])
        with pytest.raises(ValueError, match="0 of 4 parts merged"):
            backwards.result()
        backwards.add(0, parts[0])
        assert backwards.result() == merged
    finally:
        backwards.close()
