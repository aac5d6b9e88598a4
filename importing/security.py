"""Checks an uploaded document passes before any parser sees it (SECURITY.md case 11).

Before python-docx or openpyxl opens a file we check its size and extension; Office files
then go through core.files.check_office_zip (magic bytes, declared content type, every
member's real uncompressed size, every XML part parsed with defusedxml), CSV through the
text checks below.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.errors import ServiceError
from core.files import (
    DOCX,
    DOCX_MAIN,
    XLSX,
    XLSX_MAIN,
    ZIP_MAGIC,
    OfficeMessages,
    ZipLimits,
    check_office_zip,
    extension_of,
)

CSV = "csv"
EXTENSIONS = (DOCX, XLSX, CSV)
__all__ = ["DOCX", "DOCX_MAIN", "XLSX", "XLSX_MAIN", "ZIP_MAGIC", "extension_of"]

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


OFFICE_MESSAGES = OfficeMessages(
    not_zip=MSG_NOT_ZIP,
    broken=MSG_BROKEN_ZIP,
    too_many_members=MSG_TOO_MANY_MEMBERS,
    zip_bomb=MSG_ZIP_BOMB,
    xml_entities=MSG_XML_ENTITIES,
    bad_xml=MSG_BAD_XML,
    unsupported=MSG_UNSUPPORTED_OFFICE,
    wrong_type=MSG_WRONG_OFFICE_TYPE,
)


def _check_office(name: str, data: bytes, kind: str, limits: Limits) -> None:
    check_office_zip(
        name,
        data,
        kind,
        limits=ZipLimits(
            max_uncompressed=limits.max_uncompressed,
            max_members=limits.max_members,
            max_ratio=limits.max_ratio,
        ),
        messages=OFFICE_MESSAGES,
        error=ImportRefused,
    )
