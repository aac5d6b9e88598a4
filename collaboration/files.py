"""What an attached file must be: an allowed kind by name *and* content, within the size
limit, and for Word and Excel an ordinary document that is no zip bomb (SECURITY.md 11, 24)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.errors import ServiceError
from core.files import DOCX, XLSX, OfficeMessages, ZipLimits, check_office_zip, extension_of

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Word and Excel files: the most an attachment may unpack to, its parts and their ratio.
ZIP_LIMITS = ZipLimits(max_uncompressed=100 * 1024 * 1024, max_members=1000, max_ratio=200)


@dataclass(frozen=True)
class FileKind:
    content_type: str
    magic: tuple[bytes, ...]


KINDS: dict[str, FileKind] = {
    "pdf": FileKind("application/pdf", (b"%PDF-",)),
    DOCX: FileKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    XLSX: FileKind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)
    ),
    "png": FileKind("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": FileKind("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": FileKind("image/jpeg", (b"\xff\xd8\xff",)),
}

MSG_FILE_TOO_LARGE = _(
    "The file %(file)s is %(size)s MB; files up to %(limit)s MB can be attached."
)
MSG_FILE_EMPTY = _("The file %(file)s is empty.")
MSG_FILE_KIND = _(
    "The file %(file)s cannot be attached: only PDF, Word (.docx), Excel (.xlsx), PNG and "
    "JPEG files are allowed."
)
MSG_FILE_CONTENT = _(
    "The file %(file)s is not a real %(kind)s file (its content does not match its name)."
)
MSG_FILE_BROKEN = _("The file %(file)s is damaged and cannot be read.")
MSG_FILE_TOO_MANY_PARTS = _("The file %(file)s contains too many parts (%(count)s).")
MSG_FILE_ZIP_BOMB = _(
    "The file %(file)s unpacks to far more data than a document of its size can hold and "
    "is refused (a possible zip bomb)."
)
MSG_FILE_XML_ENTITIES = _(
    "The file %(file)s contains XML declarations (DTD or entities) that are not allowed in "
    "Word or Excel documents and is refused."
)
MSG_FILE_BAD_XML = _("The file %(file)s contains a damaged XML part (%(part)s).")
MSG_FILE_UNSUPPORTED_OFFICE = _(
    "The file %(file)s is not an ordinary Word or Excel document (macro-enabled files and "
    "templates cannot be attached)."
)
MSG_FILE_WRONG_OFFICE_TYPE = _(
    "The file %(file)s is named .%(kind)s but contains a %(actual)s document. "
    "Rename it or save it in the right format."
)

OFFICE_MESSAGES = OfficeMessages(
    not_zip=MSG_FILE_CONTENT,
    broken=MSG_FILE_BROKEN,
    too_many_members=MSG_FILE_TOO_MANY_PARTS,
    zip_bomb=MSG_FILE_ZIP_BOMB,
    xml_entities=MSG_FILE_XML_ENTITIES,
    bad_xml=MSG_FILE_BAD_XML,
    unsupported=MSG_FILE_UNSUPPORTED_OFFICE,
    wrong_type=MSG_FILE_WRONG_OFFICE_TYPE,
)


class FileRefused(ServiceError):
    """The file cannot be attached; nothing was written."""


def max_bytes() -> int:
    return int(getattr(settings, "ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")


def check_size(name: str, size: int) -> None:
    """Refuse an oversized or empty file before reading it."""
    limit = max_bytes()
    if size > limit:
        raise FileRefused(MSG_FILE_TOO_LARGE, file=name, size=_mb(size), limit=_mb(limit))
    if size == 0:
        raise FileRefused(MSG_FILE_EMPTY, file=name)


def check_file(name: str, data: bytes) -> str:
    """The content type of a file that may be attached (else FileRefused)."""
    check_size(name, len(data))
    extension = extension_of(name)
    kind = KINDS.get(extension)
    if kind is None:
        raise FileRefused(MSG_FILE_KIND, file=name)
    if not data.startswith(kind.magic):
        raise FileRefused(MSG_FILE_CONTENT, file=name, kind=extension.upper())
    if extension in (DOCX, XLSX):
        check_office_zip(
            name, data, extension, limits=ZIP_LIMITS, messages=OFFICE_MESSAGES, error=FileRefused
        )
    return kind.content_type
