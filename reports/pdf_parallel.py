"""A large report rendered in parallel: the front matter and runs of sections, each laid out by
WeasyPrint in a process of its own, then merged into one PDF/UA document (reports/pdf_merge.py).

How the parts agree on page numbers ("Side X af Y") and the contents' page numbers, without
laying anything out twice but the small front matter:

1. Every part is forked at once. A part of sections paginates its document, then, before
   WeasyPrint lays out the page margins (where the footers are), tells the parent how many pages
   it has and on which of them each section starts, and waits.
2. The front matter is laid out with a placeholder for each section's page in the contents;
   its page count goes to the parent too.
3. The parent now knows every part's first page and the total, and answers: each part of
   sections lays out its footers with its page offset and the total, and writes its PDF; the
   front matter is laid out again with the real page numbers in its contents and writes its PDF.
4. The parent merges each part's PDF as it arrives, in order: the front matter and the first
   runs of sections are merged while the last is still being written.
5. Should the front matter's page count change with the real numbers (a heading that wraps
   differently), the offsets told were wrong: the report is rendered in one process instead.

The hooks replace two functions in `weasyprint.layout` in the forked child only; the parent
process and the single-process path (`reports.pdf`) never see them.
"""

from __future__ import annotations

import logging
import multiprocessing
import re
import signal
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait

import weasyprint.layout

from reports import pdf
from reports.pdf_merge import PartsMerge

logger = logging.getLogger("opfoelgning.pdf")

PAGE_PLACEHOLDER = re.compile(r'data-page="#page-(\d+)#"')
SECTION_ANCHOR = re.compile(r"section-(\d+)")
# How far into a page's boxes a section's heading is looked for (it opens its page).
ANCHOR_SEARCH_BOXES = 60

_original_make_all_pages = weasyprint.layout.make_all_pages
_original_make_margin_boxes = weasyprint.layout.make_margin_boxes


class PagesMismatch(Exception):
    """The front matter's page count changed once its contents had real page numbers."""


def fill_page_numbers(html: str, numbers: dict[int, int] | None) -> str:
    """The front matter with each section's page in its contents (or a wide placeholder)."""

    def replace(match: re.Match) -> str:
        page = numbers.get(int(match.group(1)), 0) if numbers is not None else 888
        return f'data-page="{page}"'

    return PAGE_PLACEHOLDER.sub(replace, html)


class _Numbering:
    """In a forked child: WeasyPrint's pagination reported, its margins numbered as told."""

    def __init__(self, on_paginated: Callable[[list], tuple[int, int]]) -> None:
        self.on_paginated = on_paginated
        self.pages: list = []
        self.told: tuple[int, int] | None = None

    def install(self) -> None:
        weasyprint.layout.make_all_pages = self.make_all_pages
        weasyprint.layout.make_margin_boxes = self.make_margin_boxes

    def make_all_pages(self, context, root_box, html, pages):
        self.pages = list(_original_make_all_pages(context, root_box, html, pages))
        self.told = None  # WeasyPrint paginates again when page-based content changed
        yield from self.pages

    def make_margin_boxes(self, context, page, state):
        if self.told is None:
            self.told = self.on_paginated(self.pages)
        offset, total = self.told
        quote_depth, counters, scopes, groups = state
        counters = dict(counters)
        counters["page"] = [*counters["page"][:-1], counters["page"][-1] + offset]
        counters["pages"] = [total]
        return _original_make_margin_boxes(
            context, page, type(state)((quote_depth, counters, scopes, groups))
        )


def section_starts(pages: list) -> dict[int, int]:
    """{section number: index of the page it starts on} from laid-out pages."""
    starts: dict[int, int] = {}
    for index, page in enumerate(pages):
        for seen, box in enumerate(page.descendants()):
            if seen > ANCHOR_SEARCH_BOXES:
                break
            element = getattr(box, "element", None)
            anchor = element.get("id") if element is not None else None
            match = SECTION_ANCHOR.fullmatch(anchor or "")
            if match and box.element_tag == "h2":
                starts.setdefault(int(match.group(1)), index)
    return starts


def _sections_child(html: str, prepared: pdf.PreparedStylesheet, conn: Connection) -> None:
    def on_paginated(pages: list) -> tuple[int, int]:
        conn.send(("paginated", len(pages), section_starts(pages)))
        _go, offset, total, _numbers = conn.recv()
        return offset, total

    fetcher = pdf.StaticOnlyFetcher()
    _Numbering(on_paginated).install()
    with pdf.without_cyclic_gc():
        document = pdf.render_document(html, fetcher, prepared=prepared)
        content = document.write_pdf(pdf_variant=pdf.PDF_VARIANT)
    conn.send(("done", content, len(document.pages), fetcher.fetched, fetcher.refused))


def _front_child(html: str, prepared: pdf.PreparedStylesheet, conn: Connection) -> None:
    fetcher = pdf.StaticOnlyFetcher()
    with pdf.without_cyclic_gc():
        placeholders = fill_page_numbers(html, None)
        counted = len(pdf.render_document(placeholders, fetcher, prepared=prepared).pages)
    conn.send(("paginated", counted, {}))
    _go, _offset, total, numbers = conn.recv()

    def on_paginated(pages: list) -> tuple[int, int]:
        if len(pages) != counted:
            raise PagesMismatch(f"{counted} pages with placeholders, {len(pages)} with numbers")
        return 0, total

    _Numbering(on_paginated).install()
    with pdf.without_cyclic_gc():
        document = pdf.render_document(fill_page_numbers(html, numbers), fetcher, prepared=prepared)
        content = document.write_pdf(pdf_variant=pdf.PDF_VARIANT)
    conn.send(("done", content, len(document.pages), fetcher.fetched, fetcher.refused))


def _child(
    target: Callable[[str, pdf.PreparedStylesheet, Connection], None],
    html: str,
    prepared: pdf.PreparedStylesheet,
    conn: Connection,
) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        target(html, prepared, conn)
    except PagesMismatch as exc:
        conn.send(("mismatch", str(exc)))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {str(exc)[:500]}"))
    finally:
        conn.close()


class _Parts:
    """The forked children and the parent's ends of their pipes."""

    def __init__(
        self, front: str, sections: Sequence[str], prepared: pdf.PreparedStylesheet
    ) -> None:
        context = multiprocessing.get_context("fork")
        self.conns: list[Connection] = []
        self.children = []
        jobs = [(_front_child, front)] + [(_sections_child, html) for html in sections]
        for target, html in jobs:
            parent_end, child_end = context.Pipe(duplex=True)
            child = context.Process(
                target=_child, args=(target, html, prepared, child_end), daemon=True
            )
            child.start()
            child_end.close()
            self.conns.append(parent_end)
            self.children.append(child)

    def gather(
        self, deadline: float, arrived: Callable[[int, tuple], None] | None = None
    ) -> list[tuple]:
        """One message from every part, or RenderTimeout / RenderCrashed / PagesMismatch;
        `arrived(index, message)` is called for each as it comes."""
        answers: dict[int, tuple] = {}
        waiting = dict(enumerate(self.conns))
        while waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise pdf.RenderTimeout("The parallel rendering took too long")
            for ready in wait(list(waiting.values()), timeout=remaining):
                index = next(i for i, c in waiting.items() if c is ready)
                try:
                    message: tuple = waiting[index].recv()
                except EOFError as exc:
                    code = self.children[index].exitcode
                    raise pdf.RenderCrashed(f"Part {index} ended ({code})") from exc
                if message[0] == "error":
                    raise pdf.RenderCrashed(f"Part {index}: {message[1]}")
                if message[0] == "mismatch":
                    raise PagesMismatch(message[1])
                answers[index] = message
                del waiting[index]
                if arrived is not None:
                    arrived(index, message)
        return [answers[index] for index in range(len(self.conns))]

    def close(self) -> None:
        for child in self.children:
            if child.is_alive():
                child.kill()
            child.join()
        for conn in self.conns:
            conn.close()


def parts_to_pdf(front: str, sections: Sequence[str], *, timeout: float) -> pdf.RenderedPDF:
    """The front matter and the runs of sections (reports.documents.document_parts) as one
    tagged PDF, each part in a forked process. Raises RenderTimeout, RenderCrashed or
    PagesMismatch (the caller renders in one process then)."""
    deadline = time.monotonic() + timeout
    parts = _Parts(front, sections, pdf.warm_up())
    merge = PartsMerge(len(parts.conns))
    try:
        paginated = parts.gather(deadline)
        counts = [message[1] for message in paginated]
        total = sum(counts)
        offsets = [sum(counts[:index]) for index in range(len(counts))]
        numbers: dict[int, int] = {}
        for offset, message in zip(offsets, paginated, strict=True):
            numbers.update({n: offset + index + 1 for n, index in message[2].items()})
        wanted = {int(n) for n in PAGE_PLACEHOLDER.findall(front)}
        if not wanted <= numbers.keys():
            raise PagesMismatch(
                f"No first page found for sections {sorted(wanted - numbers.keys())}"
            )
        for offset, conn in zip(offsets, parts.conns, strict=True):
            conn.send(("go", offset, total, numbers))
        # Each PDF is merged as it comes (in order), while the later parts are still written.
        done = parts.gather(deadline, lambda index, message: merge.add(index, message[1]))
        content = merge.result()
    finally:
        try:
            parts.close()
        finally:
            merge.close()
    return pdf.RenderedPDF(
        content,
        sum(message[2] for message in done),
        [url for message in done for url in message[3]],
        [url for message in done for url in message[4]],
    )
