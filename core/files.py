"""Checks of uploaded Office files before anything opens them (SECURITY.md cases 11 and 24).

Word and Excel files are zip archives of XML parts. `check_office_zip` checks the magic
bytes, every member's real uncompressed size (a zip bomb lies in its headers, so members are
decompressed with a cap) and parses every XML part with defusedxml, which refuses DTDs and
entities. The import (importing.security) and the attachments (collaboration.files) call it
with their own messages and exception class.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from django.utils.functional import Promise

from core.errors import ServiceError

DOCX, XLSX = "docx", "xlsx"
ZIP_MAGIC = b"PK\x03\x04"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MAIN_TYPES = {DOCX_MAIN: DOCX, XLSX_MAIN: XLSX}

Message = str | Promise


@dataclass(frozen=True)
class ZipLimits:
    max_uncompressed: int
    max_members: int
    max_ratio: int


@dataclass(frozen=True)
class OfficeMessages:
    """The caller's wording of each refusal; each takes `file`, some `kind`, `count`,
    `actual` or `part`."""

    not_zip: Message
    broken: Message
    too_many_members: Message
    zip_bomb: Message
    xml_entities: Message
    bad_xml: Message
    unsupported: Message
    wrong_type: Message


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].casefold() if "." in name else ""


class _CappedReader(io.RawIOBase):
    """Reads a zip member but refuses once `budget` bytes are exceeded."""

    def __init__(self, stream, *, refuse: Any, budget: list[int]) -> None:
        self._stream = stream
        self._refuse = refuse
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
            raise self._refuse()
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


def check_office_zip(
    name: str,
    data: bytes,
    kind: str,
    *,
    limits: ZipLimits,
    messages: OfficeMessages,
    error: type[ServiceError] = ServiceError,
) -> None:
    """Refuse (raise `error`) unless `data` is an ordinary Word (`kind` 'docx') or Excel
    ('xlsx') document that is safe to open."""
    label = "Word" if kind == DOCX else "Excel"
    if not data.startswith(ZIP_MAGIC):
        raise error(messages.not_zip, file=name, kind=label)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise error(messages.broken, file=name) from exc
    if len(members) > limits.max_members:
        raise error(messages.too_many_members, file=name, count=len(members))
    # Declared sizes first: cheap, and refuses the obvious bombs without inflating anything.
    declared = sum(m.file_size for m in members)
    if declared > limits.max_uncompressed:
        raise error(messages.zip_bomb, file=name)
    for member in members:
        if member.file_size > 1024 * 1024 and (
            member.file_size > limits.max_ratio * max(member.compress_size, 1)
        ):
            raise error(messages.zip_bomb, file=name)
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names:
        raise error(messages.not_zip, file=name, kind=label)
    # Then the real sizes: inflate every member with a budget, parsing XML parts safely.
    budget = [limits.max_uncompressed]
    content_types: list[str] = []

    def bomb() -> ServiceError:
        return error(messages.zip_bomb, file=name)

    for member in members:
        if member.is_dir():
            continue
        try:
            with archive.open(member) as raw:
                capped = _CappedReader(raw, refuse=bomb, budget=budget)
                # Judge by content, not name: a part can be XML whatever it is called.
                named_xml = member.filename.endswith((".xml", ".rels"))
                if named_xml or (
                    # SVG images are kept as pictures, never parsed by python-docx/openpyxl.
                    not member.filename.casefold().endswith(".svg")
                    and _looks_like_xml(capped.peek_head())
                ):
                    _parse_xml(
                        name,
                        member.filename,
                        capped,
                        content_types,
                        strict=named_xml,
                        messages=messages,
                        error=error,
                    )
                else:
                    while capped.read(65536):
                        pass
        except ServiceError:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
            raise error(messages.broken, file=name) from exc
    actual = next((MAIN_TYPES[t] for t in content_types if t in MAIN_TYPES), None)
    if actual is None:
        raise error(messages.unsupported, file=name)
    if actual != kind:
        raise error(
            messages.wrong_type,
            file=name,
            kind=kind,
            actual="Word" if actual == DOCX else "Excel",
        )


def _looks_like_xml(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    return head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def _parse_xml(
    name: str,
    part: str,
    stream,
    content_types: list[str],
    *,
    strict: bool,
    messages: OfficeMessages,
    error: type[ServiceError],
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
        raise error(messages.xml_entities, file=name) from exc
    except SafeET.ParseError as exc:
        if strict:
            raise error(messages.bad_xml, file=name, part=part) from exc
        while stream.read(65536):  # still count its real size against the budget
            pass
