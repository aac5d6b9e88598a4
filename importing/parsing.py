"""Reading the three-column follow-up tables from Word, Excel and CSV files.

Every format becomes the same structure (sections → rows → items), with the source
position of each row for messages. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from importing.security import CSV, DOCX, XLSX, ImportRefused, check_document

MSG_NO_TABLE = _(
    "No table with the columns Tema, Anbefaling and Opfølgning was found in %(file)s. "
    "The table needs a header row with these three columns (and optionally Status)."
)
MSG_TOO_FEW_COLUMNS = _(
    "%(where)s: the table has too few columns. It needs the columns Tema, Anbefaling and "
    "Opfølgning (and optionally Status)."
)
MSG_TOO_MANY_ROWS = _(
    "%(where)s: the file has more than %(limit)s table rows, more than a follow-up document "
    "holds; it is refused."
)
MSG_UNREADABLE = _("The file %(file)s could not be read: %(error)s")
MSG_NO_SECTION = _(
    "%(where)s: rows before the first heading “Anbefalinger og handlinger som vedrører …” "
    "are treated as concerning the whole organisation."
)
MSG_SKIPPED_TABLE = _(
    "%(where)s: the table has no header row Tema | Anbefaling | Opfølgning and is skipped."
)
MSG_NO_THEME = _(
    "%(where)s: the row has no theme and no row above to continue. Write the theme in the "
    "first column; nothing has been imported."
)
MSG_NO_TEXT = _("%(where)s: the theme “%(theme)s” has no recommendation text; the row is skipped.")
MSG_NO_TEXT_REFUSED = _(
    "%(where)s: the theme “%(theme)s” has follow-up text but no recommendation text. Write the "
    "recommendation in the second column; nothing has been imported."
)

SECTION_RE = re.compile(
    r"^\s*anbefalinger\s+og\s+handlinger,?\s+(?:som|der)\s+vedr(?:ø|oe|o)rer\s+"
    r"(?P<target>.+?)[\s.:]*$",
    re.IGNORECASE | re.DOTALL,
)
WHOLE_ORGANISATION = "hele organisationen"
# Only the first columns matter (Tema, Anbefaling, Opfølgning, Status); a sheet claiming
# 16,384 columns must not cost 16,384 cells per row.
MAX_COLUMNS = 8
# Typed bullets: "- ", "• ", "– " and friends at the start of a line.
BULLET_RE = re.compile(r"^\s*[-–—•·▪◦*‣](?:\s+|$)")


@dataclass(frozen=True)
class SourcePos:
    """Where a row sits in the file: table and row numbers start at 1."""

    file: str
    table: int | None = None
    row: int | None = None
    paragraph: int | None = None

    def __str__(self) -> str:
        if self.table is None:
            return str(_("%(file)s, paragraph %(paragraph)s")) % {
                "file": self.file,
                "paragraph": self.paragraph,
            }
        return str(_("%(file)s, table %(table)s, row %(row)s")) % {
            "file": self.file,
            "table": self.table,
            "row": self.row,
        }


@dataclass
class Item:
    """One paragraph or bullet of a cell."""

    text: str
    bullet: bool = False

    def render(self) -> str:
        return f"- {self.text}" if self.bullet else self.text


@dataclass
class ActionItem(Item):
    """One line of an Opfølgning cell, with the status given on its row."""

    status: str = ""
    pos: SourcePos | None = None


@dataclass
class Row:
    pos: SourcePos
    theme: str
    recommendation: list[Item] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)
    status: str = ""

    @property
    def text(self) -> str:
        return render_items(self.recommendation)


@dataclass
class Section:
    pos: SourcePos | None
    # None: the whole organisation; otherwise the department named in the heading.
    department: str | None
    rows: list[Row] = field(default_factory=list)

    @property
    def is_organisation(self) -> bool:
        return self.department is None


@dataclass
class Warning:
    pos: SourcePos | None
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class ParsedDocument:
    name: str
    kind: str
    has_status: bool = False
    sections: list[Section] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)

    @property
    def rows(self) -> Iterator[Row]:
        for section in self.sections:
            yield from section.rows


def render_items(items: Iterable[Item]) -> str:
    """The project's plain-text convention: one line per item, bullets start with '- '."""
    return "\n".join(item.render() for item in items)


def split_item(text: str, is_list: bool = False) -> Item | None:
    text = text.strip()
    if not text:
        return None
    match = BULLET_RE.match(text)
    if match:
        return Item(text[match.end() :].strip(), bullet=True)
    return Item(" ".join(text.split()) if not is_list else text, bullet=is_list)


def items_from_text(text: str) -> list[Item]:
    items = [split_item(line) for line in text.splitlines()]
    return [item for item in items if item is not None and item.text]


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def section_target(text: str) -> str | None:
    """'Anbefalinger og handlinger som vedrører X' → 'X' (or '' for the whole organisation)."""
    match = SECTION_RE.match(" ".join(text.split()))
    if not match:
        return None
    target = match.group("target").strip(" .:")
    return "" if _norm(target) == WHOLE_ORGANISATION else target


# Real header cells say more than one word: "Tema i borgerrådgiverens rapport for 2017",
# "Anbefalinger fra borgerrådgiverens årsberetning", "Opfølgning – Hvad gør vi?",
# "Status 2019", "Hvad skete der konkret? Hvordan er situationen nu?".
THEME_HEADER_RE = re.compile(r"^tema(?:er)?(?:\s+(?:i|fra|for|og)\b.*)?$", re.DOTALL)
RECOMMENDATION_HEADERS = ("anbefaling", "kritikpunkt")
ACTION_HEADERS = ("opfølgning", "opfolgning", "handling", "hvad gør vi", "hvad vil vi gøre")
STATUS_HEADERS = ("status", "hvad skete", "hvordan er situationen")


def _header_cell(text: str) -> str:
    return _norm(text).strip(" .:?-–—")


def _is_header(cells: list[str]) -> bool:
    # The first cell must be "Tema" (optionally "Tema i …"): a theme such as "Tema 3" is
    # data, not a header.
    return (
        len(cells) >= 2
        and THEME_HEADER_RE.match(_header_cell(cells[0])) is not None
        and _header_cell(cells[1]).startswith(RECOMMENDATION_HEADERS)
    )


def is_action_header(text: str) -> bool:
    return _header_cell(text).startswith(ACTION_HEADERS)


def is_status_header(text: str) -> bool:
    return _header_cell(text).startswith(STATUS_HEADERS)


# --- the table walker (shared by every format) ------------------------------------------


@dataclass
class Cell:
    """A cell's items (Word keeps list paragraphs apart) and its plain text."""

    items: list[Item]

    @property
    def text(self) -> str:
        return render_items(self.items)

    @property
    def empty(self) -> bool:
        return not self.items


def text_cell(value: object) -> Cell:
    text = "" if value is None else str(value)
    return Cell(items_from_text(text.replace("\r\n", "\n").replace("\r", "\n")))


class _Walker:
    """Turns a stream of section headings and table rows into sections of rows."""

    def __init__(self, document: ParsedDocument) -> None:
        self.doc = document
        self.section: Section | None = None
        self.row: Row | None = None
        self.columns: int | None = None  # columns of the last header seen
        self.tables_used = 0
        self.warned_no_section = False
        self.rows_seen = 0
        self.max_rows = getattr(settings, "IMPORT_MAX_ROWS", 10_000)

    def heading(self, target: str, pos: SourcePos) -> None:
        self.section = Section(pos=pos, department=target or None)
        self.doc.sections.append(self.section)
        self.row = None

    def table(self, number: int, rows: Iterable[list[Cell]]) -> None:
        header_seen = False
        used = False
        skipped: SourcePos | None = None
        for row_number, cells in enumerate(rows, start=1):
            pos = SourcePos(self.doc.name, number, row_number)
            self.rows_seen += 1
            if self.rows_seen > self.max_rows:
                raise ImportRefused(MSG_TOO_MANY_ROWS, where=str(pos), limit=self.max_rows)
            cells = cells[:MAX_COLUMNS]
            texts = [cell.text for cell in cells]
            non_empty = [t for t in texts if t.strip()]
            if not non_empty:
                continue
            target = section_target(non_empty[0]) if len(set(non_empty)) == 1 else None
            if target is not None:
                self.heading(target, pos)
                continue
            if _is_header(texts):
                if len(texts) < 3 or not is_action_header(texts[2]):
                    raise ImportRefused(MSG_TOO_FEW_COLUMNS, where=str(pos))
                self.columns = 4 if len(texts) > 3 and is_status_header(texts[3]) else 3
                self.doc.has_status = self.doc.has_status or self.columns == 4
                header_seen = True
                continue
            if self.columns is None or (not header_seen and len(cells) < 3):
                # Title rows before the header, or a table that is not a follow-up table.
                skipped = skipped or pos
                continue
            used = True
            self._data_row(cells, pos)
        if used or header_seen:
            self.tables_used += 1
        elif skipped is not None:
            self.doc.warnings.append(Warning(skipped, MSG_SKIPPED_TABLE % {"where": skipped}))

    def _data_row(self, cells: list[Cell], pos: SourcePos) -> None:
        cells = (cells + [Cell([]) for _i in range(4)])[: max(self.columns or 3, 3)]
        theme, text, actions = cells[0], cells[1], cells[2]
        status = cells[3].text if len(cells) > 3 else ""
        action_items = [
            ActionItem(item.text, item.bullet, status=status, pos=pos) for item in actions.items
        ]
        if theme.empty:
            if self.row is None:
                if text.empty and actions.empty and not status:
                    return
                # Its text would belong to no recommendation: refused rather than dropped.
                raise ImportRefused(MSG_NO_THEME, where=str(pos))
            # A row whose first cells are empty continues the row above (a Word page break).
            self.row.recommendation.extend(text.items)
            if action_items:
                self.row.actions.extend(action_items)
            elif status and self.row.actions:
                last = self.row.actions[-1]
                last.status = f"{last.status}\n{status}".strip()
            elif status:
                self.row.status = f"{self.row.status}\n{status}".strip()
            return
        if self.section is None:
            self.section = Section(pos=None, department=None)
            self.doc.sections.append(self.section)
            if not self.warned_no_section:
                self.doc.warnings.append(Warning(pos, MSG_NO_SECTION % {"where": pos}))
                self.warned_no_section = True
        self.row = Row(
            pos=pos,
            theme=" ".join(" ".join(item.text for item in theme.items).split()),
            recommendation=list(text.items),
            actions=action_items,
            status=status if not action_items else "",
        )
        self.section.rows.append(self.row)

    def finish(self) -> ParsedDocument:
        for section in self.doc.sections:
            kept = []
            for row in section.rows:
                if not row.recommendation and (row.actions or row.status):
                    raise ImportRefused(MSG_NO_TEXT_REFUSED, where=str(row.pos), theme=row.theme)
                if not row.recommendation:
                    # A theme alone (a heading row): nothing else to keep.
                    self.doc.warnings.append(
                        Warning(row.pos, MSG_NO_TEXT % {"where": row.pos, "theme": row.theme})
                    )
                else:
                    kept.append(row)
            section.rows = kept
        self.doc.sections = [s for s in self.doc.sections if s.rows]
        if not self.doc.sections:
            raise ImportRefused(MSG_NO_TABLE, file=self.doc.name)
        return self.doc


# --- formats ----------------------------------------------------------------------------


# Word's list styles in English and Danish ("List Bullet", "Opstilling - punkttegn", …).
LIST_STYLE_WORDS = ("list", "liste", "punkt", "bullet", "opstilling")


def _list_style_ids(document) -> set[str]:
    """Ids of the paragraph styles that are lists (looked up once: python-docx is slow here)."""
    ids = set()
    for style in document.styles:
        text = f"{style.style_id} {style.name or ''}".casefold()
        if any(word in text for word in LIST_STYLE_WORDS):
            ids.add(style.style_id)
    return ids


def _docx_cell(cell, list_styles: set[str]) -> Cell:
    items: list[Item] = []
    for paragraph in cell.paragraphs:
        p_pr = paragraph._p.pPr
        style_id = p_pr.style if p_pr is not None else None
        is_list = (p_pr is not None and p_pr.numPr is not None) or style_id in list_styles
        for line in paragraph.text.splitlines():
            item = split_item(line, is_list=is_list)
            if item is not None and item.text:
                items.append(item)
    return Cell(items)


def _docx_rows(table, list_styles: set[str]) -> Iterator[list[Cell]]:
    from docx.table import _Cell

    for row in table.rows:
        cells = [Cell([]) for _i in range(row.grid_cols_before)]
        for tc in row._tr.tc_lst:
            # A vertically merged cell's later rows are empty here, so that they continue
            # the row above (python-docx would repeat the top cell's text); a horizontally
            # merged cell (a heading row) is one cell.
            if tc.vMerge == "continue":
                cells.append(Cell([]))
            else:
                cells.append(_docx_cell(_Cell(tc, table), list_styles))
        yield cells


def parse_docx(name: str, data: bytes) -> ParsedDocument:
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    walker = _Walker(ParsedDocument(name=name, kind=DOCX))
    table_number = paragraph_number = 0
    list_styles = _list_style_ids(document)
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            table_number += 1
            walker.table(table_number, _docx_rows(block, list_styles))
        else:
            paragraph_number += 1
            target = section_target(block.text)
            if target is not None:
                walker.heading(target, SourcePos(name, paragraph=paragraph_number))
    return walker.finish()


def parse_xlsx(name: str, data: bytes) -> ParsedDocument:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    walker = _Walker(ParsedDocument(name=name, kind=XLSX))
    try:
        for number, sheet in enumerate(workbook.worksheets, start=1):
            rows = (
                [text_cell(value) for value in values]
                for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
            )
            walker.table(number, rows)
    finally:
        workbook.close()
    return walker.finish()


def _delimiter(text: str) -> str:
    """The separator that makes a header row Tema | Anbefaling | …; else csv.Sniffer's guess."""
    head = "\n".join(text.splitlines()[:200])
    for candidate in (";", ",", "\t"):
        rows = csv.reader(io.StringIO(head, newline=""), delimiter=candidate)
        if any(_is_header([cell.strip() for cell in row]) for row in rows):
            return candidate
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ";,\t"}
        return max(counts, key=lambda d: counts[d])


# The CSV export writes "'=…" so that spreadsheets do not run it as a formula; reading it
# back, the apostrophe goes again.
NEUTRALISED_FORMULA_RE = re.compile(r"^'(?=[=+\-@\t\r])")


def _csv_value(value: str) -> str:
    return NEUTRALISED_FORMULA_RE.sub("", value)


def parse_csv(name: str, data: bytes) -> ParsedDocument:
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    walker = _Walker(ParsedDocument(name=name, kind=CSV))
    walker.table(
        1, ([text_cell(_csv_value(value)) for value in row[:MAX_COLUMNS]] for row in reader)
    )
    return walker.finish()


PARSERS = {DOCX: parse_docx, XLSX: parse_xlsx, CSV: parse_csv}


def parse_document(name: str, data: bytes) -> ParsedDocument:
    """Check the file (size, type, zip bombs, XML entities), then read its tables."""
    kind = check_document(name, data)
    try:
        return PARSERS[kind](name, data)
    except ImportRefused:
        raise
    except Exception as exc:  # a damaged file must give a message, not a server error
        raise ImportRefused(MSG_UNREADABLE, file=name, error=type(exc).__name__) from exc
