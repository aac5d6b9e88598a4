"""PDF rendering: with reports/pdf_parallel.py, the only modules that import WeasyPrint.

WeasyPrint renders only HTML produced from our own templates, and fetches resources through
`StaticOnlyFetcher`, which serves our static files from disk and refuses everything else
(file://, http(s) to anywhere, data:, path traversal; redirects are never followed since
nothing goes over the network).
"""

from __future__ import annotations

import atexit
import gc
import logging
import mimetypes
import multiprocessing
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pydyf
from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

# A host that cannot exist (RFC 2606): relative URLs in our templates resolve against it,
# and the fetcher maps it to static files on disk.
BASE_URL = "https://opfoelgning.invalid/"
PDF_VARIANT = "pdf/ua-1"
ALLOWED_SUFFIXES = {".css", ".woff", ".woff2", ".ttf", ".otf", ".png", ".jpg", ".svg"}
# The report documents' style sheet (templates/reports/document/report.html links it).
REPORT_STYLESHEET = "css/report-document.css"


logger = logging.getLogger("opfoelgning.pdf")

# pydyf's internals that `patch_pydyf` replaces were read in this version only.
PYDYF_PATCHED_VERSION = "0.13.0"
ZLIB_LEVEL = 6
_PYDYF_ORIGINALS = {
    "page_references": pydyf.PDF.__dict__["page_references"],
    "stream_data": pydyf.Stream.__dict__["data"],
}


def _cached_page_references(self) -> tuple[bytes, ...]:
    # pydyf rebuilds the tuple of every page's reference on each access, and WeasyPrint's
    # tagging reads it once per structure element: quadratic in a long report. The tuple is
    # kept until the Kids array is replaced or grows or shrinks; pydyf and WeasyPrint only
    # ever extend it (`PDF.add_page`), never rewrite an entry in place.
    kids = self.pages["Kids"]
    cached = self.__dict__.get("_opf_page_references")
    if cached is None or cached[0] is not kids or cached[1] != len(kids):
        references = _PYDYF_ORIGINALS["page_references"].fget(self)
        cached = (kids, len(kids), references)
        self.__dict__["_opf_page_references"] = cached
    return cached[2]


def _stream_data_level_6(self) -> bytes:
    # pydyf 0.13.0's `Stream.data` with only the zlib level changed (9 → 6): level 9 spends
    # much more time for a few per cent smaller streams.
    stream = b"\n".join(pydyf._to_bytes(item) for item in self.stream)
    extra = pydyf.Dictionary(self.extra.copy())
    if self.compress:
        extra["Filter"] = "/FlateDecode"
        compressobj = pydyf.zlib.compressobj(level=ZLIB_LEVEL)
        stream = compressobj.compress(stream)
        stream += compressobj.flush()
    extra["Length"] = len(stream)
    return b"\n".join((extra.data, b"stream", stream, b"endstream"))


def _set_pydyf(page_references, stream_data) -> None:
    pydyf.PDF.page_references = page_references
    pydyf.Stream.data = stream_data


def patch_pydyf() -> bool:
    """Speed-ups for pydyf (see bench/FINDINGS.md, "pydyf"); True when applied.

    Only for the pydyf version they were written against: with any other, pydyf is left
    untouched and a warning is logged, as its internals may have changed.
    """
    if pydyf.__version__ != PYDYF_PATCHED_VERSION:
        logger.warning(
            "pydyf %s is not %s: its page references and compression are left unpatched",
            pydyf.__version__,
            PYDYF_PATCHED_VERSION,
        )
        return False
    _set_pydyf(property(_cached_page_references), property(_stream_data_level_6))
    return True


@contextmanager
def unpatched_pydyf() -> Iterator[None]:
    """pydyf as released for the block (for comparisons and benchmarks; not thread-safe)."""
    current = (pydyf.PDF.__dict__["page_references"], pydyf.Stream.__dict__["data"])
    _set_pydyf(_PYDYF_ORIGINALS["page_references"], _PYDYF_ORIGINALS["stream_data"])
    try:
        yield
    finally:
        _set_pydyf(*current)


patch_pydyf()


class RefusedURL(ValueError):
    """A resource outside our static files was requested."""


def _static_roots() -> list[Path]:
    roots = []
    for entry in settings.STATICFILES_DIRS:
        path = entry[1] if isinstance(entry, tuple | list) else entry
        roots.append(Path(path).resolve())
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


def resolve_static(url: str) -> Path | None:
    """The file on disk behind one of our static URLs, or None for anything else."""
    parts = urlsplit(url)
    base = urlsplit(BASE_URL)
    if parts.scheme != base.scheme or parts.netloc != base.netloc:
        return None
    if not parts.path.startswith(settings.STATIC_URL):
        return None
    relative = unquote(parts.path[len(settings.STATIC_URL) :])
    pieces = relative.replace("\\", "/").split("/")
    if not relative or "\x00" in relative or any(p in ("", ".", "..") for p in pieces):
        return None
    if Path(relative).suffix.lower() not in ALLOWED_SUFFIXES:
        return None
    found = finders.find(relative)
    candidate = Path(found) if found else Path(settings.STATIC_ROOT or "/nonexistent") / relative
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not any(resolved.is_relative_to(root) for root in _static_roots()):
        return None
    return resolved if resolved.is_file() else None


class StaticOnlyFetcher(URLFetcher):
    """Serves our static files; refuses (and records) every other URL."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("https",), allow_redirects=False, timeout=1)
        self.fetched: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        path = resolve_static(url)
        if path is None:
            self.refused.append(url)
            raise RefusedURL(f"Refused to fetch {url[:200]!r}: only our static files are allowed")
        self.fetched.append(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".css":
            content_type = "text/css"
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )


@dataclass
class RenderedPDF:
    content: bytes
    pages: int
    fetched: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the block, then restored.

    WeasyPrint allocates hundreds of thousands of boxes, styles and dicts that live until the
    document is written, and the collector walks them again and again while they pile up:
    about 15 % of the large report's render time (bench/pdf.py). Reference counting still
    frees what the render drops; the collector resumes afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class PreparedStylesheet:
    """The report documents' style sheet parsed, and its fonts loaded into a font
    configuration, once per process.

    `warm_up` prepares it in the process that forks the renderings' children, so each child
    starts with it instead of parsing the sheet, reading the fonts and loading the system's
    font configuration again: about 0.05 s of every rendering (bench/FINDINGS.md). Only
    forked children render with it, each in a single thread: WeasyPrint's font
    configuration is not meant to be shared by threads.
    """

    def __init__(self) -> None:
        href = static(REPORT_STYLESHEET)
        fetcher = StaticOnlyFetcher()
        self.link = f'<link rel="stylesheet" href="{href}">'
        self.font_config = FontConfiguration()
        self.css = CSS(
            url=urljoin(BASE_URL, href), url_fetcher=fetcher, font_config=self.font_config
        )
        self.fetched = list(fetcher.fetched)
        self.refused = list(fetcher.refused)
        self._owner = os.getpid()
        # The fonts' temporary folder goes with the process that made it (not its children,
        # which end without running exit handlers, nor a forked server's workers).
        folder = getattr(self.font_config, "_folder", None)
        if folder is not None:
            atexit.register(self._remove_folder, folder)

    def _remove_folder(self, folder: Path) -> None:
        if os.getpid() == self._owner:
            shutil.rmtree(folder, ignore_errors=True)

    def render(self, html: str, fetcher: StaticOnlyFetcher) -> Document:
        """`html` laid out with this sheet in place of its link to it; a document that does
        not link the sheet is rendered as it is."""
        without_link = html.replace(self.link, "", 1)
        if without_link == html:
            return render_document(html, fetcher)
        fetcher.fetched.extend(self.fetched)
        fetcher.refused.extend(self.refused)
        return HTML(string=without_link, base_url=BASE_URL, url_fetcher=fetcher).render(
            pdf_variant=PDF_VARIANT, stylesheets=[self.css], font_config=self.font_config
        )


def render_document(
    html: str, fetcher: StaticOnlyFetcher, *, prepared: PreparedStylesheet | None = None
) -> Document:
    """WeasyPrint's layout of `html` (with the prepared style sheet, if given)."""
    if prepared is not None:
        return prepared.render(html, fetcher)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(pdf_variant=PDF_VARIANT)


def html_to_pdf(
    html: str,
    *,
    fetcher: StaticOnlyFetcher | None = None,
    prepared: PreparedStylesheet | None = None,
) -> RenderedPDF:
    """A tagged PDF (PDF/UA-1) from HTML our templates produced."""
    fetcher = fetcher or StaticOnlyFetcher()
    with without_cyclic_gc():
        document = render_document(html, fetcher, prepared=prepared)
        content = document.write_pdf(pdf_variant=PDF_VARIANT)
    return RenderedPDF(content, len(document.pages), fetcher.fetched, fetcher.refused)


WARM_UP_HTML = (
    '<html lang="da"><head><title>-</title><link rel="stylesheet" '
    'href="/static/css/report-document.css"></head><body class="report-document">'
    "<h1>Æ</h1><p><strong>ø</strong> <em>å</em></p></body></html>"
)
_warm_lock = threading.Lock()
_prepared: PreparedStylesheet | None = None


def warm_up() -> PreparedStylesheet:
    """Render a tiny document once per process, so that the children forked for renderings
    start with WeasyPrint's one-time costs paid (cffi's type declarations, fontconfig, the
    user-agent style sheets): about 0.15 s of every child's time otherwise. Returns the
    process's prepared style sheet, which the children render with."""
    global _prepared
    with _warm_lock:
        if _prepared is None:
            html_to_pdf(WARM_UP_HTML)
            _prepared = PreparedStylesheet()
        return _prepared


class RenderTimeout(Exception):
    """The rendering ran longer than allowed and was stopped."""


class RenderCrashed(Exception):
    """The rendering process ended without a result (killed, out of memory, an error)."""


def _render_child(html: str, prepared: PreparedStylesheet, conn) -> None:
    # The worker's shutdown handlers are its own; a stopped worker's child just dies.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        conn.send(("ok", html_to_pdf(html, prepared=prepared)))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {str(exc)[:500]}"))
    finally:
        conn.close()


def html_to_pdf_bounded(html: str, *, timeout: float) -> RenderedPDF:
    """`html_to_pdf` in a child process that is killed after `timeout` seconds.

    A child process because nothing else can stop WeasyPrint reliably: `signal.alarm` works
    only in the main thread (`db_worker --reload` and the immediate backend in a threaded
    server run tasks in others) and cannot interrupt long C calls, and a killed child also
    gives back all its memory. It is forked, so it starts at once with WeasyPrint and the
    static finders loaded; it uses no database connection. Raises RenderTimeout or
    RenderCrashed.
    """
    prepared = warm_up()
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_render_child, args=(html, prepared, sender), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise RenderTimeout(f"The rendering took longer than {timeout} seconds")
        try:
            outcome, value = receiver.recv()
        except EOFError as exc:
            raise RenderCrashed(f"The rendering process ended ({child.exitcode})") from exc
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    if outcome != "ok":
        raise RenderCrashed(value)
    return value


def report_pdf(table, **kwargs) -> RenderedPDF:
    from reports.documents import document_html

    return html_to_pdf(document_html(table, **kwargs))
