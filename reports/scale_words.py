"""Fictional Danish-like vocabulary for the synthetic national-scale data set.

Every text is made up from these lists; no real cases, people or municipalities.
"""

MUNICIPALITIES = [
    "Eksempelby",
    "Nordby",
    "Sønderå",
    "Østerlund",
    "Ålholm",
    "Vesterhavn",
    "Æblerød",
    "Midtmark",
    "Skovbjerg",
    "Fjordvig",
]

ADMINISTRATIONS = [
    ("Social- og Sundhedsforvaltningen", "SSF"),
    ("Børne- og Ungeforvaltningen", "BUF"),
    ("Teknik- og Miljøforvaltningen", "TMF"),
    ("Kultur- og Fritidsforvaltningen", "KFF"),
    ("Beskæftigelsesforvaltningen", "BEF"),
    ("Økonomiforvaltningen", "ØKF"),
]

CENTRES = [
    "Borgercenter Ældre",
    "Borgercenter Handicap",
    "Center for Familier",
    "Center for Byggeri",
    "Center for Job",
    "Center for Sundhed",
    "Center for Skoler",
    "Center for Natur",
]

UNITS = [
    "Visitationen",
    "Myndighedsafdelingen",
    "Hjemmeplejen",
    "Byggesagsafdelingen",
    "Ydelsesafdelingen",
    "Rådgivningen",
    "Sekretariatet",
    "Udbetaling",
]

THEMES = [
    "Svartider",
    "Dialog med borgeren",
    "Aktindsigt",
    "Partshøring",
    "Begrundelse af afgørelser",
    "Vejledning",
    "Helhedsorienteret sagsbehandling",
    "Klagevejledning",
    "Telefontider",
    "Journalisering",
    "Digital post",
    "Tolkning",
    "Sagsoplysning",
    "Borgerinddragelse",
    "Koordinering mellem forvaltninger",
    "Handleplaner",
    "Genoptagelse",
    "Klagesvar",
    "Tilgængelighed",
    "Opfølgning på afgørelser",
    "Åbenhed",
    "Ærlig kommunikation",
    "Økonomisk vejledning",
    "Øvrige forhold",
    "Ventetid på hjælpemidler",
    "Børnesager",
    "Beskæftigelsesindsats",
    "Byggesager",
    "Tone i breve",
    "Mødeforberedelse",
    "Notatpligt",
    "Frister",
    "Bisidder",
    "Misforståelser",
    "Sprog i afgørelser",
    "Retssikkerhed",
]

SUBJECTS = [
    "Forvaltningen",
    "Afdelingen",
    "Borgercentret",
    "Sagsbehandlerne",
    "Ledelsen",
    "Visitationen",
    "Myndighedsafdelingen",
    "Kommunen",
]
MODALS = ["bør", "skal", "anbefales at", "opfordres til at", "kan med fordel"]
VERBS = [
    "sikre",
    "styrke",
    "forbedre",
    "tydeliggøre",
    "gennemgå",
    "indføre",
    "beskrive",
    "overholde",
    "prioritere",
    "evaluere",
]
OBJECTS = [
    "svartiderne på henvendelser",
    "vejledningen af borgerne",
    "partshøringen før afgørelser",
    "begrundelsen i afgørelserne",
    "aktindsigten i egne sager",
    "klagevejledningen i breve",
    "dialogen med pårørende",
    "koordineringen mellem afdelingerne",
    "journaliseringen af telefonsamtaler",
    "sprogbrugen i breve til borgere",
    "opfølgningen på handleplaner",
    "telefontiderne om formiddagen",
    "brugen af tolk ved møder",
    "sagsoplysningen i komplekse sager",
    "fristerne for genoptagelse",
    "tilgængeligheden af digitale løsninger",
    "overblikket over sagens forløb",
    "informationen om ventetid på hjælpemidler",
]
QUALIFIERS = [
    "så borgeren forstår, hvad der sker nu",
    "inden for den fastsatte frist",
    "i alle sager om hjemmehjælp",
    "særligt i sager om børn og unge",
    "når borgeren har en bisidder med",
    "ved skift af sagsbehandler",
    "også når sagen er kompliceret",
    "i overensstemmelse med forvaltningsloven",
    "så klager besvares hurtigere",
    "for at undgå misforståelser",
]
ACTIONS = [
    "udarbejder en fast skabelon for",
    "afholder temadag om",
    "indfører en tjekliste for",
    "gennemgår sine procedurer for",
    "uddanner medarbejderne i",
    "opretter en fælles postkasse for",
    "måler hvert kvartal på",
    "beskriver en ny arbejdsgang for",
    "drøfter på personalemødet",
    "udvider telefontiden og følger op på",
]
STATUS_TEXTS = [
    "Skabelonen er taget i brug i alle teams.",
    "Temadagen er afholdt for alle medarbejdere.",
    "Arbejdet er forsinket på grund af omstrukturering.",
    "Tjeklisten er under afprøvning i to teams.",
    "Målingen viser en klar forbedring af svartiderne.",
    "Initiativet er sat på pause indtil nyt budget.",
    "Indsatsen er blevet en fast del af driften.",
    "Handlingen gennemføres ikke, da opgaven er flyttet til en anden forvaltning.",
    "Der er udarbejdet et udkast, som drøftes med ledelsen.",
    "Medarbejderne har fået undervisning, og der følges op til foråret.",
]
FIRST_NAMES = ["Anne", "Mette", "Lars", "Søren", "Jens", "Hanne", "Birgitte", "Ole", "Åse", "Ærø"]
LAST_NAMES = ["Nielsen", "Jensen", "Hansen", "Pedersen", "Østergaard", "Ågesen", "Mølgaard"]
