"""Checks an uploaded document passes before any parser sees it (SECURITY.md case 11).

Office files are zip archives of XML parts. Before python-docx or openpyxl opens one we
check the size, the magic bytes, the declared content type, every member's real
uncompressed size (a zip bomb lies in its headers, so members are decompressed with a
cap) and parse every XML part with defusedxml, which refuses DTDs and entities.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.errors import ServiceError

DOCX, XLSX, CSV = "docx", "xlsx", "csv"
EXTENSIONS = (DOCX, XLSX, CSV)

ZIP_MAGIC = b"PK\x03\x04"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MAIN_TYPES = {DOCX_MAIN: DOCX, XLSX_MAIN: XLSX}

MSG_TOO_LARGE = _("The file %(file)s is %(size)s MB; files up to %(limit)s MB can be imported.")
MSG_EMPTY = _("The file %(file)s is empty.")
MSG_EXTENSION = _(
    "The file %(file)s cannot be imported: only Word (.docx), Excel (.xlsx) and CSV (.csv) "
    "files are supported."
)
MSG_NOT_ZIP = _(
    "The file %(file)s is not a real %(kind)s file (its content does not match its name). "
    "Save it again from Word or Excel and try once more."
)
MSG_BROKEN_ZIP = _("The file %(file)s is damaged and cannot be read.")
MSG_WRONG_OFFICE_TYPE = _(
    "The file %(file)s is named .%(kind)s but contains a %(actual)s document. "
    "Rename it or save it in the right format."
)
MSG_UNSUPPORTED_OFFICE = _(
    "The file %(file)s is not an ordinary Word or Excel document (macro-enabled files and "
    "templates are not imported)."
)
MSG_TOO_MANY_MEMBERS = _("The file %(file)s contains too many parts (%(count)s) to be imported.")
MSG_ZIP_BOMB = _(
    "The file %(file)s unpacks to far more data than a document of its size can hold and "
    "is refused (a possible zip bomb)."
)
MSG_XML_ENTITIES = _(
    "The file %(file)s contains XML declarations (DTD or entities) that are not allowed in "
    "Word or Excel documents and is refused."
)
MSG_BAD_XML = _("The file %(file)s contains a damaged XML part (%(part)s).")
MSG_BINARY_CSV = _("The file %(file)s is not a text file and cannot be read as CSV.")
MSG_CSV_ENCODING = _(
    "The file %(file)s is not UTF-8 text. Save it from Excel as “CSV UTF-8” and try again."
)
MSG_ZIP_AS_CSV = _("The file %(file)s is named .csv but is a Word or Excel document.")


class ImportRefused(ServiceError):
    """The document cannot be imported; nothing was written."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_uncompressed: int
    max_members: int
    max_ratio: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_bytes=getattr(settings, "IMPORT_MAX_BYTES", 10 * 1024 * 1024),
            max_uncompressed=getattr(settings, "IMPORT_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024),
            max_members=getattr(settings, "IMPORT_MAX_ZIP_MEMBERS", 1000),
            max_ratio=getattr(settings, "IMPORT_MAX_COMPRESSION_RATIO", 200),
        )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].casefold() if "." in name else ""


def check_size(name: str, size: int, limits: Limits | None = None) -> None:
    """Refuse oversized files before reading them (the web view calls this on upload.size)."""
    limits = limits or Limits.from_settings()
    if size > limits.max_bytes:
        raise ImportRefused(MSG_TOO_LARGE, file=name, size=_mb(size), limit=_mb(limits.max_bytes))
    if size == 0:
        raise ImportRefused(MSG_EMPTY, file=name)


def check_document(name: str, data: bytes, limits: Limits | None = None) -> str:
    """Return the kind ('docx', 'xlsx' or 'csv') of a file that is safe to parse."""
    limits = limits or Limits.from_settings()
    check_size(name, len(data), limits)
    kind = extension_of(name)
    if kind not in EXTENSIONS:
        raise ImportRefused(MSG_EXTENSION, file=name)
    if kind == CSV:
        _check_csv(name, data)
    else:
        _check_office(name, data, kind, limits)
    return kind


def _check_csv(name: str, data: bytes) -> None:
    if data.startswith(ZIP_MAGIC):
        raise ImportRefused(MSG_ZIP_AS_CSV, file=name)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportRefused(MSG_CSV_ENCODING, file=name)
    if b"\x00" in data:
        raise ImportRefused(MSG_BINARY_CSV, file=name)
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRefused(MSG_CSV_ENCODING, file=name) from exc


class _CappedReader(io.RawIOBase):
    """Reads a zip member but stops with ImportRefused once `budget` bytes are exceeded."""

    def __init__(self, stream, *, name: str, budget: list[int]) -> None:
        self._stream = stream
        self._name = name
        self._budget = budget
        self._pending = b""

    def readable(self) -> bool:
        return True

    def peek_head(self, size: int = 64) -> bytes:
        """The first bytes, handed out again by the next read."""
        self._pending += self._read(size)
        return self._pending

    def _read(self, size: int) -> bytes:
        chunk = self._stream.read(size)
        self._budget[0] -= len(chunk)
        if self._budget[0] < 0:
            raise ImportRefused(MSG_ZIP_BOMB, file=self._name)
        return chunk

    def read(self, size: int = -1) -> bytes:
        if self._pending:
            chunk, self._pending = self._pending, b""
            return chunk
        return self._read(65536 if size is None or size < 0 else min(size, 65536))

    def readinto(self, buffer) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _check_office(name: str, data: bytes, kind: str, limits: Limits) -> None:
    label = "Word" if kind == DOCX else "Excel"
    if not data.startswith(ZIP_MAGIC):
        raise ImportRefused(MSG_NOT_ZIP, file=name, kind=label)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportRefused(MSG_BROKEN_ZIP, file=name) from exc
    if len(members) > limits.max_members:
        raise ImportRefused(MSG_TOO_MANY_MEMBERS, file=name, count=len(members))
    # Declared sizes first: cheap, and refuses the obvious bombs without inflating anything.
    declared = sum(m.file_size for m in members)
    if declared > limits.max_uncompressed:
        raise ImportRefused(MSG_ZIP_BOMB, file=name)
    for member in members:
        if member.file_size > 1024 * 1024 and (
            member.file_size > limits.max_ratio * max(member.compress_size, 1)
        ):
            raise ImportRefused(MSG_ZIP_BOMB, file=name)
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names:
        raise ImportRefused(MSG_NOT_ZIP, file=name, kind=label)
    # Then the real sizes: inflate every member with a budget, parsing XML parts safely.
    budget = [limits.max_uncompressed]
    content_types: list[str] = []
    for member in members:
        if member.is_dir():
            continue
        try:
            with archive.open(member) as raw:
                capped = _CappedReader(raw, name=name, budget=budget)
                # Judge by content, not name: a part can be XML whatever it is called.
                named_xml = member.filename.endswith((".xml", ".rels"))
                if named_xml or (
                    # SVG images are kept as pictures, never parsed by python-docx/openpyxl.
                    not member.filename.casefold().endswith(".svg")
                    and _looks_like_xml(capped.peek_head())
                ):
                    _parse_xml(name, member.filename, capped, content_types, strict=named_xml)
                else:
                    while capped.read(65536):
                        pass
        except ImportRefused:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
            raise ImportRefused(MSG_BROKEN_ZIP, file=name) from exc
    actual = next((MAIN_TYPES[t] for t in content_types if t in MAIN_TYPES), None)
    if actual is None:
        raise ImportRefused(MSG_UNSUPPORTED_OFFICE, file=name)
    if actual != kind:
        raise ImportRefused(
            MSG_WRONG_OFFICE_TYPE,
            file=name,
            kind=kind,
            actual="Word" if actual == DOCX else "Excel",
        )


def _looks_like_xml(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def _parse_xml(
    name: str, part: str, stream, content_types: list[str], *, strict: bool = True
) -> None:
    """Parse one XML part with DTDs and entities forbidden; collect the content types.

    Not `strict`: a part that only looked like XML may fail to parse (it is not read as XML
    later either), but a DTD in it is still refused.
    """
    want_types = part == "[Content_Types].xml"
    try:
        for _event, element in SafeET.iterparse(
            stream, forbid_dtd=True, forbid_entities=True, forbid_external=True
        ):
            if want_types and element.tag.endswith("}Override"):
                content_types.append(element.get("ContentType", ""))
            element.clear()
    except DefusedXmlException as exc:
        raise ImportRefused(MSG_XML_ENTITIES, file=name) from exc
    except SafeET.ParseError as exc:
        if strict:
            raise ImportRefused(MSG_BAD_XML, file=name, part=part) from exc
        while stream.read(65536):  # still count its real size against the budget
            pass
