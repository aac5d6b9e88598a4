"""Planning an import: departments from every heading, real phrasings, nothing lost, one
truth for the preview and the commit (issue 20), on documents shaped like real ones."""

import datetime

import pytest

from departments.models import Department
from followups.models import FollowUp, FollowUpRound, StatusUpdate
from importing.planning import (
    DepartmentIndex,
    PlannedDepartment,
    near_identical,
    text_difference,
)
from importing.security import ImportRefused
from importing.services import import_commit, import_preview
from recommendations.models import Recommendation
from tests import factories
from tests.importing.documents import (
    AHL,
    AKB,
    HEADER,
    LT,
    MUNICIPAL_PLAN,
    ORG,
    make_csv,
    make_docx,
    municipal_action_lines,
    municipal_docx,
    section,
)

# The lines of MUNICIPAL_PLAN that name no department in the whole-organisation section.
UNPLACED = {
    "Alle nye medarbejdere får en introduktion til klart sprog.",
    "Der udarbejdes en fælles tjekliste for vejledning.",
    "Direktionen følger svartiderne hvert halve år.",
}


def preview(data, name="plan.docx", year=2018, create=True, **kwargs):
    return import_preview(name=name, data=data, year=year, create_departments=create, **kwargs)


def commit(actor, data, name="plan.docx", year=2018, create=True, **kwargs):
    return import_commit(
        actor=actor, name=name, data=data, year=year, create_departments=create, **kwargs
    )


def placement(plan) -> dict[str, str | None]:
    """Each planned action line → the department it goes to (None: awaiting placement)."""
    return {
        item.text: (f.department.name if f.department else None)
        for f in plan.followups
        for item in f.items
    }


def database_lines(report) -> dict[str, str | None]:
    lines = {}
    for followup in FollowUp.objects.filter(recommendation__report=report).select_related(
        "department"
    ):
        for line in followup.action.splitlines():
            lines[line.removeprefix("- ")] = (
                followup.department.name if followup.department else None
            )
    return lines


@pytest.mark.django_db
def test_headings_create_departments_the_first_section_already_names():
    plan = preview(municipal_docx())
    assert [d.name for d in plan.new_departments] == [LT, AKB, AHL]
    lines = placement(plan)
    assert len(lines) == municipal_action_lines()
    # The whole organisation's actions go to departments only later headings name.
    assert lines["I Læring og Trivsel gennemgås skabelonerne for afgørelsesbreve."] == LT
    assert lines["Lederne i Alle Kan Bidrage drøfter sprogbrugen på personalemøder."] == AKB
    assert lines["I Aktiv Hele livet tilbydes kursus i klart sprog."] == AHL
    assert lines["I Læring og Trivsels afdelinger følges der op hvert kvartal."] == LT
    assert lines["Alle Kan Bidrage tilføjer en klagevejledning i alle breve."] == AKB
    # In a department's section, unnamed lines are the section's.
    assert lines["Der oprettes en fælles kontaktperson for borgere med flere sager."] == AKB
    assert {text for text, dep in lines.items() if dep is None} == UNPLACED
    assert plan.summary()["unplaced"] == len(UNPLACED)
    assert plan.summary()["sections"] == 4


@pytest.mark.django_db
def test_existing_departments_give_the_same_plan_as_created_ones():
    created = placement(preview(municipal_docx()))
    for name, short in ((LT, "LOT"), (AKB, "AKB"), (AHL, "AHL")):
        factories.DepartmentFactory(name=name, short_name=short)
    existing = preview(municipal_docx(), create=False)
    assert existing.new_departments == []
    assert placement(existing) == created


@pytest.mark.parametrize(
    "text,name",
    [
        ("I Læring og Trivsel holdes der møde.", LT),
        ("Læring og Trivsels ledere holder møde.", LT),
        ("Lederne i Alle Kan Bidrage holder møde.", AKB),
        ("I Aktiv Hele livet holdes der møde.", AHL),
        ("I AKTIV HELE LIVET holdes der møde.", AHL),
        ("Alle medarbejdere kan bidrage med ideer.", None),
        ("Det er aktivt hele livet igennem.", None),
        ("I samarbejde med Aktiv Hele Livet gør Læring og Trivsel noget.", AHL),
    ],
)
def test_real_phrasings_name_departments(text, name):
    index = DepartmentIndex(
        [PlannedDepartment(LT, None, "LOT"), PlannedDepartment(AKB), PlannedDepartment(AHL)]
    )
    found = index.mentioned(text)
    assert (found.name if found else None) == name


@pytest.mark.django_db
def test_nothing_is_lost_and_statuses_stay_with_their_lines(secretariat):
    result = commit(secretariat, municipal_docx())
    report = result.report
    assert database_lines(report) == placement(result.plan)
    unplaced = FollowUp.objects.filter(recommendation__report=report, department=None)
    assert {f.action.removeprefix("- ") for f in unplaced} == UNPLACED
    # Each on its recommendation, approved (the adopted plan).
    assert {f.state for f in unplaced} == {FollowUp.State.APPROVED}
    assert {f.recommendation.scope for f in unplaced} == {"organisation"}

    # The status edition, once a status round is open: statuses, no new plan follow-ups.
    factories.RoundFactory(report=report, kind=FollowUpRound.Kind.STATUS, name="Status 2019")
    before = FollowUp.objects.count()
    status = commit(secretariat, municipal_docx(status=True), name="status.docx")
    assert FollowUp.objects.count() == before
    assert status.plan.details()["followups_created"] == 0
    statuses = {
        (s.followup.department.name if s.followup.department else None, s.status, s.text)
        for s in StatusUpdate.objects.select_related("followup__department")
    }
    # Free text is kept with the status "not assessed"; "<status>: …" keeps its status.
    assert (None, "not_assessed", "Tjeklisten er sendt i høring.") in statuses
    assert (None, "in_progress", "Første hold er holdt.") in statuses
    # Two rows of one department's follow-up: the first row's status, the second's text
    # added to it (a status per follow-up and round; no row's words dropped).
    assert (LT, "done", "Proceduren er i brug.\nUndervisningen er planlagt til efteråret.") in (
        statuses
    )
    assert any("added to its text" in w for w in status.plan.summary()["warnings"])
    # Every status cell of the document is in the database, word for word.
    texts = "\n".join(text for _d, _s, text in statuses)
    cells = [c for _s, recs in MUNICIPAL_PLAN for *_x, st in recs for c in st if c]
    assert cells
    for cell in cells:
        assert cell.split(": ", 1)[-1] in texts, cell
    assert (LT, "not_assessed", "Skabelonerne er gennemgået og forenklet.") in statuses
    assert any("free text" in w for w in status.plan.summary()["warnings"])
    # Every follow-up given a status in the document has it in the database.
    assert StatusUpdate.objects.count() == status.plan.summary()["statuses"]
    assert status.plan.details()["statuses_created"] == status.plan.summary()["statuses"]


@pytest.mark.django_db
def test_a_chosen_status_for_free_text(secretariat):
    report = commit(secretariat, municipal_docx()).report
    factories.RoundFactory(report=report, kind=FollowUpRound.Kind.STATUS, name="Status 2019")
    plan = preview(municipal_docx(status=True), free_status="in_progress")
    assert plan.fingerprint() != preview(municipal_docx(status=True)).fingerprint()
    commit(secretariat, municipal_docx(status=True), free_status="in_progress")
    assert not StatusUpdate.objects.filter(status="not_assessed").exists()
    assert StatusUpdate.objects.filter(
        status="in_progress", text="Tjeklisten er sendt i høring."
    ).exists()


@pytest.mark.django_db
def test_reimport_creates_nothing_and_lines_keep_their_department(secretariat):
    first = commit(secretariat, municipal_docx())
    lines = database_lines(first.report)
    counts = (Recommendation.objects.count(), FollowUp.objects.count(), Department.objects.count())
    again = commit(secretariat, municipal_docx())
    assert again.plan.details()["followups_created"] == 0
    assert again.plan.details()["recommendations_created"] == 0
    assert (
        Recommendation.objects.count(),
        FollowUp.objects.count(),
        Department.objects.count(),
    ) == counts
    assert database_lines(first.report) == lines


@pytest.mark.django_db
def test_a_placed_line_stays_placed_on_reimport(secretariat):
    from followups.services import followup_place

    report = commit(secretariat, municipal_docx()).report
    line = FollowUp.objects.get(action="- Direktionen følger svartiderne hvert halve år.")
    ahl = Department.objects.get(name=AHL)
    followup_place(followup=line, department=ahl, actor=secretariat)
    placed = database_lines(report)
    assert placed["Direktionen følger svartiderne hvert halve år."] == AHL
    plan = preview(municipal_docx())
    assert plan.details()["followups_created"] == 0
    assert placement(plan)["Direktionen følger svartiderne hvert halve år."] == AHL
    commit(secretariat, municipal_docx())
    assert database_lines(report) == placed


@pytest.mark.django_db
def test_a_line_naming_a_department_outside_an_existing_scope_is_not_lost(secretariat):
    units = {
        name: factories.DepartmentFactory(name=name, short_name=short)
        for name, short in ((LT, "LOT"), (AKB, "AKB"))
    }
    rows = [[section(LT)], HEADER, ["Dialog", "Ring først til forældrene.", "- Nyt kursus"]]
    report = commit(secretariat, make_csv(rows), name="a.csv").report
    rows[2][2] = "- Nyt kursus\n- Lederne i Alle Kan Bidrage hjælper til"
    result = commit(secretariat, make_csv(rows), name="a.csv")
    # The recommendation concerns Læring og Trivsel only, which has its follow-up already:
    # the new line is not dropped, it awaits placement.
    assert database_lines(report) == {
        "Nyt kursus": LT,
        "Lederne i Alle Kan Bidrage hjælper til": None,
    }
    warnings = result.plan.summary()["warnings"]
    assert any("does not concern Alle Kan Bidrage" in w for w in warnings), warnings
    assert any("already has a follow-up" in w for w in warnings), warnings
    assert units[AKB].followups.count() == 0
    # Placed with Læring og Trivsel, it joins that follow-up; a third import adds nothing.
    from followups.services import followup_place

    followup_place(
        followup=FollowUp.objects.get(department=None), department=units[LT], actor=secretariat
    )
    assert FollowUp.objects.get().action == "- Nyt kursus\n- Lederne i Alle Kan Bidrage hjælper til"
    assert preview(make_csv(rows), name="a.csv").details()["followups_created"] == 0


@pytest.mark.django_db
def test_existing_departments_preview_equals_commit_for_a_line_naming_another(secretariat):
    """The issue's case: the dry run passed, the import failed ("does not concern")."""
    for name, short in ((LT, "LOT"), (AKB, "AKB")):
        factories.DepartmentFactory(name=name, short_name=short)
    rows = [
        [section(LT)],
        HEADER,
        ["Dialog", "Ring først.", "- Lederne i Alle Kan Bidrage deltager i kurset"],
    ]
    plan = preview(make_csv(rows), name="a.csv", create=False)
    result = commit(secretariat, make_csv(rows), name="a.csv", create=False)
    assert result.plan.fingerprint() == plan.fingerprint()
    assert database_lines(result.report) == placement(plan)


def test_near_identical_texts_and_their_difference():
    old = "Kommunen bør sikre en støre sammenhæng mellem afdelingerne."
    new = "Kommunen bør sikre en større sammenhæng mellem afdelingerne."
    assert near_identical(old, new)
    assert text_difference(old, new) == "“støre” → “større”"
    assert not near_identical(old, "Kommunen bør sikre kortere svartider i alle afdelingerne.")


@pytest.mark.django_db
def test_a_spelling_fix_matches_the_existing_recommendation_with_a_warning(secretariat):
    def document(word):
        text = f"Kommunen bør sikre en {word} sammenhæng mellem afdelingerne."
        return make_docx([ORG, [HEADER, ["Sammenhæng", text, "- Direktionen drøfter det."]]])

    commit(secretariat, document("Støre"))
    result = commit(secretariat, document("Større"))
    assert Recommendation.objects.count() == 1
    assert FollowUp.objects.count() == 1
    warnings = result.plan.summary()["warnings"]
    assert any("“Støre” → “Større”" in w for w in warnings), warnings


# --- one truth: a corpus imported as previewed ------------------------------------------


def corpus():
    yield "municipal.docx", municipal_docx(), True
    yield "municipal-existing.docx", municipal_docx(), False
    yield (
        "mixed.csv",
        make_csv(
            [
                [ORG],
                [
                    "Tema i borgerådgiverens rapport for 2017",
                    *HEADER[1:],
                    "Hvad skete der konkret?",
                ],
                ["Svartider", "Svar hurtigt.", "I Læring og Trivsel svares inden 10 dage", "Ok."],
                ["", "", "- Alle svarer høfligt", "Igangsat: i gang"],
                [section(AKB)],
                HEADER,
                ["Svartider", "Svar hurtigt.", "- I Aktiv Hele livet svares også", ""],
                ["Dialog", "Tal med borgeren.", "Lederne i Alle Kan Bidrage ringer", ""],
            ]
        ),
        True,
    )


def snapshot(report) -> tuple[set, set]:
    followups = {
        (f.recommendation.text, f.department.name if f.department else None, f.action, f.state)
        for f in FollowUp.objects.filter(recommendation__report=report).select_related(
            "recommendation", "department"
        )
    }
    statuses = {
        (s.followup.recommendation.text, s.followup.action, s.status, s.text)
        for s in StatusUpdate.objects.filter(followup__recommendation__report=report)
    }
    return followups, statuses


def planned(plan) -> tuple[set, set]:
    followups = {
        (
            r.text,
            f.department.name if f.department else None,
            f.action,
            f.new_state,
        )
        for r in plan.recommendations
        for f in r.followups
    }
    statuses = {
        (r.text, f.action, f.status, f.status_text)
        for r in plan.recommendations
        for f in r.followups
        if f.create_status
    }
    return followups, statuses


@pytest.mark.django_db
@pytest.mark.parametrize("name,data,create", list(corpus()), ids=lambda v: str(v)[:20])
def test_the_commit_writes_exactly_the_preview(secretariat, name, data, create):
    if not create:
        for dep, short in ((LT, "LOT"), (AKB, "AKB"), (AHL, "AHL")):
            factories.DepartmentFactory(name=dep, short_name=short)
    report = factories.AnnualReportFactory(year=2018)
    factories.RoundFactory(
        report=report, kind="status", name="Status", deadline=datetime.date(2019, 5, 1)
    )
    plan = preview(data, name=name, create=create)
    result = commit(secretariat, data, name=name, create=create)
    assert result.plan.fingerprint() == plan.fingerprint()
    assert snapshot(report) == planned(plan)
    # Action lines of the document = lines in the database.
    lines = sum(len(f.action.splitlines()) for f in FollowUp.objects.all())
    assert lines == plan.summary()["actions"]
    # And a second import of the same file plans and writes nothing new.
    again = preview(data, name=name, create=create)
    assert again.details()["followups_created"] == 0
    assert again.details()["statuses_created"] == 0


STATUS_HEADER = [*HEADER, "Status 2019"]


@pytest.mark.django_db
def test_a_continued_status_of_a_row_with_two_lines_keeps_every_word(secretariat):
    factories.DepartmentFactory(name="Natur og Byg", short_name="NB")
    plan = commit(
        secretariat,
        make_docx(
            [
                section("Natur og Byg"),
                [
                    HEADER,
                    ["Dialog", "Ring før brevet.", "- Vi ringer.\n- Vi skriver bagefter."],
                ],
            ]
        ),
    )
    factories.RoundFactory(report=plan.report, kind=FollowUpRound.Kind.STATUS, name="Status")
    data = make_docx(
        [
            section("Natur og Byg"),
            [
                STATUS_HEADER,
                [
                    "Dialog",
                    "Ring før brevet.",
                    "- Vi ringer.\n- Vi skriver bagefter.",
                    "Gennemført: Det sker.",
                ],
                ["", "", "", "Også om aftenen."],
            ],
        ]
    )
    commit(secretariat, data, name="status.docx")
    (status,) = StatusUpdate.objects.all()
    assert (status.status, status.text) == ("done", "Det sker.\nOgså om aftenen.")


@pytest.mark.django_db
def test_a_status_without_any_action_refuses_the_import(secretariat):
    data = make_docx(
        [ORG, [STATUS_HEADER, ["Dialog", "Ring før brevet.", "", "Gennemført: Det sker."]]]
    )
    with pytest.raises(ImportRefused) as exc:
        preview(data)
    assert "Det sker." in str(exc.value.message)
    with pytest.raises(ImportRefused):
        commit(secretariat, data)
    assert not FollowUp.objects.exists()
