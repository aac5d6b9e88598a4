"""The fictional demo municipality, Eksempelby Kommune. Every sentence here is invented."""

import datetime
from typing import Any, TypedDict

DEMO_PASSWORD = "demo-2026"  # noqa: S105 (printed by `make run`; demo only)

# (short name, name, kind, parent short name)
DEPARTMENTS = [
    ("ØKF", "Økonomi- og Borgerserviceforvaltningen", "forvaltning", None),
    ("BS", "Borgerservice", "center", "ØKF"),
    ("SSF", "Social- og Sundhedsforvaltningen", "forvaltning", None),
    ("ÆO", "Ældreområdet", "center", "SSF"),
    ("HJP", "Hjemmeplejen Nord", "afdeling", "ÆO"),
    ("BCH", "Borgercenter Handicap", "center", "SSF"),
    ("BUF", "Børne- og Ungeforvaltningen", "forvaltning", None),
    ("FAM", "Familierådgivningen", "afdeling", "BUF"),
    ("SKO", "Skoleområdet", "center", "BUF"),
    ("TMF", "Teknik- og Miljøforvaltningen", "forvaltning", None),
    ("NOB", "Natur og Byg", "center", "TMF"),
    ("BEF", "Beskæftigelsesforvaltningen", "forvaltning", None),
    ("JOB", "Jobcenter Eksempelby", "center", "BEF"),
]

# username: (first name, last name, global roles, [(department short name, role)], staff)
USERS = {
    "sekretariat": ("Sofie", "Sekretær", ["secretariat"], [], True),
    "borgerraadgiver": ("Bo", "Rådgiver", ["ombudsman_office"], [], False),
    "byraad": ("Birgit", "Byrådsmedlem", ["council_member"], [], False),
    "sagsbehandler": ("Sara", "Sagsbehandler", [], [("SSF", "case_officer")], False),
    "leder": ("Lars", "Leder", [], [("SSF", "manager")], False),
    "sagsbehandler.buf": ("Bjørn", "Bøgh", [], [("BUF", "case_officer")], False),
    "leder.buf": ("Lene", "Lund", [], [("BUF", "manager")], False),
    "sagsbehandler.tmf": ("Tina", "Thorsen", [], [("TMF", "case_officer")], False),
}

THEMES = {
    "Telefontider": "Hvornår og hvordan borgerne kan ringe til kommunen.",
    "Svartider": "Hvor længe borgerne venter på svar og afgørelser.",
    "Klagevejledning": "Om borgerne får at vide, hvordan de klager.",
    "Dialog med borgeren": "Tone, sprog og forventningsafstemning i kontakten med borgerne.",
    "Helhedsorienteret sagsbehandling": "Sager der går på tværs af flere fagområder.",
    "Partshøring": "At borgerne får mulighed for at udtale sig, før der træffes afgørelse.",
    "Aktindsigt": "Behandling af anmodninger om aktindsigt.",
    "Notatpligt": "Journalisering og notater i sagerne.",
}

# Each report: year, title, published, refs, introduction, recommendations.
# A recommendation: (theme, kind, scope departments or None for the whole organisation,
#   text, response, response reason, link) where link = (year, number, kind) or None.
REPORTS: list[dict[str, Any]] = [
    {
        "year": 2024,
        "title": "Borgerrådgiverens årsberetning 2024",
        "published_on": datetime.date(2025, 4, 10),
        "case_number": "2025-0112",
        "document_number": "2025-04471",
        "introduction": (
            "Borgerrådgiveren i Eksempelby Kommune modtog i 2024 i alt 812 henvendelser.\n"
            "Beretningen samler de anbefalinger, som borgerrådgiveren giver forvaltningerne "
            "på baggrund af årets sager.\n"
            "Handleplanen beskriver for hver anbefaling, hvad forvaltningerne gør, og "
            "statusdelen beskriver, hvad der siden er sket."
        ),
        "recommendations": [
            (
                "Telefontider",
                "recommendation",
                None,
                "- Borgerne har svært ved at komme igennem på telefonen i de korte telefontider.\n"
                "- Kommunen bør sikre, at borgere der ringer forgæves, bliver ringet op igen.",
                "accepted",
                "",
                None,
            ),
            (
                "Svartider",
                "recommendation",
                None,
                "Borgerne skal have besked, når en sag tager længere tid end forventet, med en ny "
                "forventet svardato.",
                "accepted",
                "",
                None,
            ),
            (
                "Klagevejledning",
                "criticism",
                None,
                "Flere afgørelser manglede klagevejledning eller henviste til en forkert "
                "klageinstans.",
                "accepted",
                "",
                None,
            ),
            (
                "Dialog med borgeren",
                "recommendation",
                None,
                "- Breve bør skrives i et sprog, som borgeren kan forstå uden fagkendskab.\n"
                "- Brug overskrifter, der siger, hvad brevet handler om.",
                "partly_accepted",
                "",
                None,
            ),
            (
                "Helhedsorienteret sagsbehandling",
                "recommendation",
                ["ÆO", "BCH"],
                "Borgere med sager i både ældre- og handicapområdet oplever at skulle fortælle "
                "deres historie flere gange. Der bør udpeges én fast kontaktperson.",
                "accepted",
                "",
                None,
            ),
            (
                "Partshøring",
                "criticism",
                ["FAM"],
                "Partshøring blev i flere sager gennemført så sent, at borgerens bemærkninger "
                "ikke kunne indgå i afgørelsen.",
                "accepted",
                "",
                None,
            ),
            (
                "Aktindsigt",
                "recommendation",
                ["NOB"],
                "Anmodninger om aktindsigt i byggesager bør besvares inden for syv arbejdsdage, "
                "eller borgeren skal have besked om, hvorfor det tager længere tid.",
                "partly_accepted",
                "",
                None,
            ),
            (
                "Notatpligt",
                "criticism",
                ["JOB"],
                "Telefonsamtaler med borgerne om deres forløb blev ikke altid noteret i sagen.",
                "accepted",
                "",
                None,
            ),
            (
                "Svartider",
                "recommendation",
                ["BS"],
                "Borgerservice bør oplyse forventet ventetid ved ansøgning om pas og kørekort.",
                "rejected",
                "Ventetiden vises allerede i tidsbestillingen, og en ekstra besked "
                "vurderes ikke at gøre en forskel.",
                None,
            ),
        ],
    },
    {
        "year": 2025,
        "title": "Borgerrådgiverens årsberetning 2025",
        "published_on": datetime.date(2026, 4, 15),
        "case_number": "2026-0087",
        "document_number": "2026-03920",
        "introduction": (
            "I 2025 modtog borgerrådgiveren 874 henvendelser, lidt flere end året før.\n"
            "Flere af anbefalingerne fra sidste år er fortsat aktuelle:\n"
            "- svartider og besked om forsinkelser\n"
            "- sammenhæng for borgere med flere sager"
        ),
        "recommendations": [
            (
                "Svartider",
                "recommendation",
                None,
                "Anbefalingen om besked ved forsinkede sager er fortsat aktuel. Borgerrådgiveren "
                "ser stadig sager, hvor borgeren ikke hører noget i flere måneder.",
                "accepted",
                "",
                (2024, 2, "repeats"),
            ),
            (
                "Helhedsorienteret sagsbehandling",
                "recommendation",
                ["ÆO", "BCH", "JOB"],
                "Ordningen med en fast kontaktperson bør udvides til borgere, der også har en sag "
                "i jobcentret.",
                "partly_accepted",
                "",
                (2024, 5, "continues"),
            ),
            (
                "Telefontider",
                "recommendation",
                ["SKO"],
                "Forældre bør kunne træffe skoleadministrationen telefonisk også om eftermiddagen.",
                "accepted",
                "",
                None,
            ),
            (
                "Dialog med borgeren",
                "criticism",
                ["HJP"],
                "Borgere fik ikke besked, når et planlagt besøg fra hjemmeplejen blev aflyst.",
                "accepted",
                "",
                None,
            ),
            (
                "Klagevejledning",
                "recommendation",
                None,
                "Klagevejledningen bør stå i selve afgørelsen og ikke kun i et vedlagt bilag.",
                "accepted",
                "",
                None,
            ),
            (
                "Partshøring",
                "recommendation",
                ["BCH"],
                "- Partshøringsbreve bør angive, præcis hvilke oplysninger der høres over.\n"
                "- Fristen for at svare bør være mindst 14 dage.",
                "accepted",
                "",
                None,
            ),
            (
                "Aktindsigt",
                "criticism",
                ["NOB", "FAM"],
                "Der blev undtaget oplysninger fra aktindsigt uden en konkret begrundelse.",
                "accepted",
                "",
                None,
            ),
            (
                "Notatpligt",
                "recommendation",
                None,
                "Alle forvaltninger bør have en fælles vejledning om, hvornår en samtale skal "
                "noteres.",
                "accepted",
                "",
                None,
            ),
        ],
    },
]

# Follow-up action per theme; "{dept}" becomes the department's name.
ACTIONS = {
    "Telefontider": "- {dept} udvider telefontiden til kl. 15 på hverdage.\n"
    "- Opkald i kø får tilbud om at blive ringet op samme dag.",
    "Svartider": "- {dept} sender automatisk besked med ny svardato, når en frist overskrides.\n"
    "- Svartider følges månedligt på ledermøder.",
    "Klagevejledning": "{dept} gennemgår sine brevskabeloner, så klagevejledningen altid står "
    "i afgørelsen og henviser til den rigtige klageinstans.",
    "Dialog med borgeren": "- {dept} deltager i kurset 'Skriv så borgeren forstår'.\n"
    "- Standardbreve gennemskrives i samarbejde med en sprogkonsulent.",
    "Helhedsorienteret sagsbehandling": "{dept} udpeger en fast kontaktperson for borgere med "
    "sager i flere afdelinger og holder fælles møder.",
    "Partshøring": "{dept} indfører en tjekliste, så partshøring sker, før afgørelsen skrives.",
    "Aktindsigt": "- {dept} registrerer alle anmodninger om aktindsigt i en fælles oversigt.\n"
    "- Juridisk team giver sparring på begrundelser for undtagelser.",
    "Notatpligt": "{dept} indarbejder notatpligten i introduktionen af nye medarbejdere og "
    "laver stikprøver hvert kvartal.",
}

STATUS_TEXTS = {
    "done": "Indført som planlagt. Erfaringerne er gode, og tiltaget fortsætter.",
    "in_progress": "Arbejdet er i gang og forventes afsluttet inden årets udgang.",
    "ongoing": "Indgår nu som fast praksis i det daglige arbejde.",
    "paused": "Sat på pause på grund af omlægning af it-systemet; genoptages i foråret.",
    "dropped": "Ikke gennemført, fordi opgaven er flyttet til en anden forvaltning.",
}


class RoundSpec(TypedDict):
    """round_open's arguments for a demo round."""

    name: str
    deadline: datetime.date
    meeting_date: datetime.date


PLAN_ROUND_2024: RoundSpec = {
    "name": "Handleplan juni 2025",
    "deadline": datetime.date(2025, 6, 1),
    "meeting_date": datetime.date(2025, 6, 18),
}
STATUS_ROUND_2024: RoundSpec = {
    "name": "Status december 2026",
    "deadline": datetime.date(2026, 12, 15),
    "meeting_date": datetime.date(2027, 1, 20),
}
PLAN_ROUND_2025: RoundSpec = {
    "name": "Handleplan december 2026",
    "deadline": datetime.date(2026, 12, 10),
    "meeting_date": datetime.date(2027, 1, 20),
}
