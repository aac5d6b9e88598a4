"""Documents the import tests build themselves (fictional text of Eksempelby Kommune)."""

from __future__ import annotations

import csv
import io
import zipfile

import docx
import openpyxl

ORG = "Anbefalinger og handlinger som vedrører hele organisationen"
HEADER = ["Tema", "Anbefalinger fra borgerrådgiverens årsberetning", "Opfølgning – Hvad gør vi?"]


def section(name: str) -> str:
    return f"Anbefalinger og handlinger som vedrører {name}"


class Bullets(list):
    """A Word cell written as list paragraphs (style 'List Bullet')."""


class Merged(str):
    """A table row whose cells are merged into one (a heading inside the table)."""


def make_docx(blocks: list) -> bytes:
    """blocks: strings (paragraphs) and lists of rows (tables); a row is a list of cells."""
    document = docx.Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block, style="Heading 2")
            continue
        width = max(len(row) for row in block if not isinstance(row, Merged))
        table = document.add_table(rows=0, cols=width)
        for row in block:
            cells = table.add_row().cells
            if isinstance(row, Merged):
                merged = cells[0].merge(cells[-1])
                merged.text = str(row)
                continue
            for cell, value in zip(cells, row, strict=False):
                if isinstance(value, Bullets):
                    cell.text = ""
                    first = cell.paragraphs[0]
                    for i, line in enumerate(value):
                        paragraph = first if i == 0 else cell.add_paragraph()
                        paragraph.text = line
                        paragraph.style = document.styles["List Bullet"]
                else:
                    lines = str(value).split("\n")
                    cell.text = lines[0]
                    for line in lines[1:]:
                        cell.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_docx_vertically_merged() -> bytes:
    """Tema and Anbefaling merged down over three rows, one follow-up per row."""
    document = docx.Document()
    document.add_paragraph(ORG)
    table = document.add_table(rows=4, cols=3)
    for cell, text in zip(table.rows[0].cells, HEADER, strict=True):
        cell.text = text
    table.cell(1, 0).merge(table.cell(3, 0)).text = "Svartider"
    table.cell(1, 1).merge(table.cell(3, 1)).text = "Svar inden for fire uger."
    for row, text in zip(
        table.rows[1:], ["NB: Ny postkasse", "ÆO: Ny frist", "- Fælles"], strict=True
    ):
        row.cells[2].text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_xlsx(rows: list[list], sheets: int = 1) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for i in range(1, sheets):
        workbook.create_sheet(f"Ark {i + 1}")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def make_csv(rows: list[list], delimiter: str = ";", bom: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def rewrite_zip(data: bytes, replace: dict[str, bytes]) -> bytes:
    """Copy an Office file, replacing (or adding) some members."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in replace:
                target.writestr(info, source.read(info.filename))
        for name, content in replace.items():
            target.writestr(name, content)
    return out.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body><w:p><w:r><w:t>&lol4;</w:t></w:r></w:p></w:body></w:document>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body></w:document>"""


def zip_bomb(inner_name: str = "word/media/filler.bin", size: int = 50 * 1024 * 1024) -> bytes:
    """A valid .docx with one extra member that inflates to `size` bytes of zeros."""
    base = make_docx([ORG, [HEADER, ["Tema", "Tekst", "- Handling"]]])
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        info = zipfile.ZipInfo(inner_name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with target.open(info, "w") as member:
            chunk = b"\0" * (1024 * 1024)
            for _i in range(size // len(chunk)):
                member.write(chunk)
    return out.getvalue()


# --- A corpus shaped like real municipalities' documents (fictional texts) ---------------
#
# Four sections, the whole organisation first: its actions name departments ("I Læring og
# Trivsel …", "Lederne i Alle Kan Bidrage …") that only later section headings create;
# long header cells; bullets as Word list paragraphs; continuation rows (a page break);
# actions that name no department (they await placement). The status edition adds a
# fourth column of free-text statuses.

REAL_HEADER = [
    "Tema i borgerrådgiverens rapport for 2017",
    "Anbefalinger fra borgerrådgiverens årsberetning",
    "Opfølgning – Hvad gør vi?",
]
STATUS_HEADER = "Status 2019 – Hvad skete der konkret? Hvordan er situationen nu?"

LT, AKB, AHL = "Læring og Trivsel", "Alle Kan Bidrage", "Aktiv Hele Livet"

# (section, [(theme, recommendation lines, [[action lines of a row], …], [status per row])])
MUNICIPAL_PLAN = [
    (
        None,
        [
            (
                "Skriftlighed",
                ["Borgerne skal kunne forstå de breve, de modtager fra kommunen."],
                [
                    [
                        "I Læring og Trivsel gennemgås skabelonerne for afgørelsesbreve.",
                        "Lederne i Alle Kan Bidrage drøfter sprogbrugen på personalemøder.",
                        "I Aktiv Hele livet tilbydes kursus i klart sprog.",
                    ],
                    ["Alle nye medarbejdere får en introduktion til klart sprog."],
                ],
                ["Skabelonerne er gennemgået og forenklet.", "Igangsat: Første hold er holdt."],
            ),
            (
                "Vejledning",
                ["- Vejled borgerne om klagemuligheder.", "- Henvis til rette myndighed."],
                [
                    [
                        "Alle Kan Bidrage tilføjer en klagevejledning i alle breve.",
                        "Der udarbejdes en fælles tjekliste for vejledning.",
                    ],
                    ["I Læring og Trivsels afdelinger følges der op hvert kvartal."],
                ],
                ["Tjeklisten er sendt i høring.", "Løbende: Fast punkt på dagsordenen."],
            ),
            (
                "Svartider",
                ["Svar på henvendelser inden for den frist, kommunen selv har sat."],
                [
                    [
                        "I Aktiv Hele Livet indføres kvitteringsbrev efter tre dage.",
                        "Direktionen følger svartiderne hvert halve år.",
                    ]
                ],
                ["Kvitteringsbrevet er taget i brug."],
            ),
        ],
    ),
    (
        LT,
        [
            (
                "Partshøring",
                ["Forældre skal høres, før der træffes afgørelse i deres sag."],
                [["Ny procedure for partshøring i skolesager."], ["Sagsbehandlerne undervises."]],
                ["Gennemført: Proceduren er i brug.", "Undervisningen er planlagt til efteråret."],
            ),
        ],
    ),
    (
        AKB,
        [
            (
                "Helhedsorienteret sagsbehandling",
                ["Se borgerens samlede situation, når flere afdelinger er involveret."],
                [
                    [
                        "Lederne i Alle Kan Bidrage aftaler faste koordinationsmøder.",
                        "Der oprettes en fælles kontaktperson for borgere med flere sager.",
                    ]
                ],
                ["Møderne holdes nu hver måned."],
            ),
            (
                "Skriftlighed",
                ["Afgørelser skal begrundes, så borgeren kan se, hvorfor."],
                [["Begrundelsesskabelonen opdateres."]],
                ["Planlagt: Arbejdet begynder i marts."],
            ),
        ],
    ),
    (
        AHL,
        [
            (
                "Dialog",
                ["Ring til borgeren, før et brev med dårlige nyheder sendes."],
                [
                    ["I Aktiv Hele livet ringes der altid først."],
                    ["Medarbejderne får et telefonkursus."],
                ],
                ["Det sker i de fleste sager.", ""],
            ),
        ],
    ),
]


def municipal_action_lines(plan=MUNICIPAL_PLAN) -> int:
    """The number of action lines (bullets) of the document."""
    return sum(len(lines) for _s, recs in plan for _t, _r, rows, _st in recs for lines in rows)


def municipal_docx(*, status: bool = False, plan=MUNICIPAL_PLAN) -> bytes:
    """The municipality's adopted plan (or, `status`, its status edition) as Word."""
    header = [*REAL_HEADER, STATUS_HEADER] if status else list(REAL_HEADER)
    blocks: list = []
    for name, recommendations in plan:
        blocks.append(ORG if name is None else section(name))
        rows: list = [header]
        for theme, text, action_rows, statuses in recommendations:
            for index, (actions, state) in enumerate(zip(action_rows, statuses, strict=True)):
                first = index == 0
                row = [theme if first else "", "\n".join(text) if first else "", Bullets(actions)]
                if status:
                    row.append(state)
                rows.append(row)
        blocks.append(rows)
    return make_docx(blocks)
