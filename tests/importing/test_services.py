import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from core.errors import ConflictError, ServiceError
from departments.models import Department
from followups.models import FollowUp, FollowUpRound, StatusUpdate
from importing import services
from importing.models import ImportedDocument
from importing.security import ImportRefused
from importing.services import import_commit, import_preview
from recommendations.models import (
    AnnualReport,
    Recommendation,
    RecommendationDepartment,
    Theme,
)
from tests import factories
from tests.importing.documents import (
    BILLION_LAUGHS,
    HEADER,
    ORG,
    Bullets,
    make_csv,
    make_docx,
    make_xlsx,
    rewrite_zip,
    section,
    zip_bomb,
)

TRACKED = [AnnualReport, Theme, Recommendation, RecommendationDepartment, FollowUp, StatusUpdate]


@pytest.fixture
def units(db):
    return {
        "nb": factories.DepartmentFactory(name="Natur og Byg", short_name="NB"),
        "aeo": factories.DepartmentFactory(name="Ældreområdet", short_name="ÆO"),
        "sko": factories.DepartmentFactory(name="Skoleområdet", short_name="SKO"),
    }


def counts() -> dict:
    models = [*TRACKED, Department, ImportedDocument]
    return {m.__name__: m.objects.count() for m in models}


def plan_docx() -> bytes:
    return make_docx(
        [
            ORG,
            [
                HEADER,
                [
                    "Telefontider",
                    "- Borgerne kommer svært igennem om formiddagen.",
                    Bullets(
                        [
                            "I Natur og Byg udvides telefontiden til kl. 15.",
                            "Ældreområdet ringer tilbage inden for en arbejdsdag.",
                        ]
                    ),
                ],
                ["", "", "- SKO: gennemgår telefonlisterne i foråret.\n- Alle skal svare høfligt."],
            ],
            section("Ældreområdet"),
            [
                HEADER,
                ["telefontider", "Også ældreområdet skal tage telefonen.", "- Ny vagtplan."],
                ["Klagesvar", "Klagesvar skal forklare næste skridt.", "- Fast skabelon."],
            ],
        ]
    )


def test_docx_import_creates_everything_with_history_by_the_importer(secretariat, units):
    result = import_commit(actor=secretariat, name="handleplan.docx", data=plan_docx(), year=2024)
    summary = result.plan.summary()
    assert summary["sections"] == 2
    assert summary["themes"] == 2
    assert summary["recommendations"] == 3
    assert summary["actions"] == 6
    # The same theme in two sections (any case) is one Theme.
    assert Theme.objects.count() == 2
    report = AnnualReport.objects.get(year=2024)
    first, second, third = Recommendation.objects.filter(report=report).order_by("number")
    assert first.scope == "organisation"
    assert first.text == "- Borgerne kommer svært igennem om formiddagen."
    assert second.theme == first.theme
    assert list(second.departments.all()) == [units["aeo"]]
    # Each bullet goes to the department it names; the continuation row's too.
    actions = {f.department.short_name: f.action for f in first.followups.exclude(department=None)}
    assert actions == {
        "NB": "- I Natur og Byg udvides telefontiden til kl. 15.",
        "ÆO": "- Ældreområdet ringer tilbage inden for en arbejdsdag.",
        "SKO": "- gennemgår telefonlisterne i foråret.",
    }
    # A bullet naming nobody in an organisation-wide section awaits placement, on its
    # recommendation, with a warning.
    assert any("Alle skal svare høfligt" in w for w in summary["warnings"])
    unplaced = first.followups.get(department=None)
    assert (unplaced.action, unplaced.state) == ("- Alle skal svare høfligt.", "approved")
    assert summary["followups"] == 6
    assert summary["unplaced"] == 1
    # In a department's section, unnamed bullets go to the section's department.
    assert second.followups.get().department == units["aeo"]
    assert second.followups.get().state == FollowUp.State.APPROVED
    for model in TRACKED[:5]:
        records = model.history.all()
        assert records.exists()
        assert {r.history_user_id for r in records} == {secretariat.pk}, model
        # Exactly one history row per imported object (SECURITY.md case 16).
        assert records.count() == model.objects.count(), model
        assert {r.history_type for r in records} == {"+"}, model
    kept = ImportedDocument.objects.get()
    assert kept.report == report
    assert kept.imported_by == secretariat
    assert kept.file.read() == plan_docx_bytes_cache(kept)
    assert kept.history.get().history_user == secretariat
    assert kept.summary["recommendations"] == 3


def plan_docx_bytes_cache(kept):
    # The kept file is the uploaded one byte for byte (checked through its checksum).
    kept.file.seek(0)
    data = kept.file.read()
    assert services.file_sha256(data) == kept.sha256
    return data


def test_themes_are_reused_across_years(secretariat, units):
    theme = factories.ThemeFactory(name="Telefontider")
    import_commit(actor=secretariat, name="plan.docx", data=plan_docx(), year=2024)
    assert Theme.objects.filter(key="telefontider").get() == theme


def test_unknown_department_is_a_warning_and_can_be_created(secretariat, units):
    data = make_csv(
        [[section("Børn og Unge")], HEADER, ["Sagsbehandlingstid", "Hurtigere svar.", "- Ny frist"]]
    )
    plan = import_preview(name="plan.csv", data=data, year=2024, create_departments=False)
    warnings = plan.summary()["warnings"]
    assert any("Børn og Unge" in w for w in warnings)
    assert any("Ny frist" in w for w in warnings)  # no department to give it to
    assert plan.recommendations[0].scope == "organisation"

    before = counts()
    result = import_commit(
        actor=secretariat, name="plan.csv", data=data, year=2024, create_departments=True
    )
    created = Department.objects.get(name="Børn og Unge")
    assert created.short_name == "BOU"
    assert created.history.get().history_user == secretariat
    assert Department.objects.count() == before["Department"] + 1
    recommendation = Recommendation.objects.get(report=result.report)
    assert list(recommendation.departments.all()) == [created]
    assert recommendation.followups.get().department == created


def test_section_names_match_ignoring_case_spacing_and_punctuation(secretariat, units):
    data = make_csv([[section("natur-og  BYG.")], HEADER, ["Dialog", "Tal pænt.", "- Kursus"]])
    plan = import_preview(name="plan.csv", data=data, year=2024, create_departments=False)
    assert plan.sections[0].department.department == units["nb"]
    data = make_csv([[section("æo")], HEADER, ["Dialog", "Tal pænt.", "- Kursus"]])
    plan = import_preview(name="plan.csv", data=data, year=2024, create_departments=False)
    assert plan.sections[0].department.department == units["aeo"]


def export_like_xlsx() -> bytes:
    """The report module's XLSX export layout (the contract), built by hand."""
    return make_xlsx(EXPORT_ROWS)


def export_like_csv() -> bytes:
    """The same as CSV: cells starting with = + - @ get a leading apostrophe."""
    rows = [["'" + v if v.startswith(("=", "+", "-", "@")) else v for v in r] for r in EXPORT_ROWS]
    return make_csv(rows, delimiter=",")


EXPORT_ROWS = [
    [ORG],
    ["Tema", "Anbefaling", "Opfølgning", "Status"],
    [
        "Svartider",
        "Svar inden for fire uger.\n- også på mails",
        "Natur og Byg: - Ny postkasse\n- Ugentlig opfølgning",
        "Igangsat: Postkassen er oprettet.",
    ],
    ["", "", "Ældreområdet: Fast svarskabelon", ""],
    ["", "", 'Skoleområdet: - =HYPERLINK("x")', "Gennemført: Alt er klar."],
    [section("Ældreområdet")],
    ["Tema", "Anbefaling", "Opfølgning", "Status"],
    ["Dialog", "Ring før der skrives.", "Ældreområdet: - Ring først", "planned: Snart"],
]


@pytest.mark.parametrize(
    "name,build", [("eksport.xlsx", export_like_xlsx), ("eksport.csv", export_like_csv)]
)
def test_export_layout_is_read_with_departments_and_statuses(secretariat, units, name, build):
    report = factories.AnnualReportFactory(year=2024)
    status_round = factories.RoundFactory(
        report=report, kind=FollowUpRound.Kind.STATUS, name="Status 2025"
    )
    result = import_commit(actor=secretariat, name=name, data=build(), year=2024)
    assert result.report == report
    first, second = Recommendation.objects.filter(report=report).order_by("number")
    assert first.text == "Svar inden for fire uger.\n- også på mails"
    followups = {f.department.short_name: f for f in first.followups.all()}
    assert followups["NB"].action == "- Ny postkasse\n- Ugentlig opfølgning"
    assert followups["ÆO"].action == "Fast svarskabelon"
    # Formula-looking text comes in as plain text (the export neutralises it).
    assert followups["SKO"].action == '- =HYPERLINK("x")'
    statuses = {
        s.followup.department.short_name: (s.status, s.text)
        for s in StatusUpdate.objects.filter(round=status_round, followup__recommendation=first)
    }
    assert statuses == {
        "NB": ("in_progress", "Postkassen er oprettet."),
        "SKO": ("done", "Alt er klar."),
    }
    assert second.followups.get().action == "- Ring først"
    assert StatusUpdate.objects.get(followup=second.followups.get()).status == "planned"
    # The progress read model follows the imported statuses.
    assert set(
        FollowUp.objects.for_report(report)
        .with_latest_status_in(["done"])
        .values_list("department__short_name", flat=True)
    ) == {"SKO"}
    assert FollowUp.objects.for_report(report).finished().count() == 1
    assert result.plan.summary()["warnings"] == []
    assert result.plan.summary()["actions"] == 5


def test_statuses_without_a_status_round_refuse_the_import(secretariat, units):
    """Statuses with nowhere to go are not dropped with a warning: the file is refused,
    saying where they are and what to do, and nothing is written."""
    with pytest.raises(ImportRefused) as exc:
        import_preview(name="e.xlsx", data=export_like_xlsx(), year=2024, create_departments=False)
    assert "no open status round" in exc.value.message
    assert "would be lost" in exc.value.message
    with pytest.raises(ImportRefused):
        import_commit(actor=secretariat, name="e.xlsx", data=export_like_xlsx(), year=2024)
    assert StatusUpdate.objects.count() == 0
    assert not Recommendation.objects.exists()


@pytest.mark.parametrize("state", ["closed", "published"])
def test_statuses_never_go_into_a_closed_or_published_round(secretariat, units, state):
    """What the council has received does not change behind its back."""
    report = factories.AnnualReportFactory(year=2024)
    published_at = timezone.now() if state == "published" else None
    factories.RoundFactory(
        report=report, kind=FollowUpRound.Kind.STATUS, state=state, published_at=published_at
    )
    with pytest.raises(ImportRefused) as exc:
        import_commit(actor=secretariat, name="e.xlsx", data=export_like_xlsx(), year=2024)
    assert "no open status round" in exc.value.message
    assert Recommendation.objects.filter(report=report).count() == 0
    assert StatusUpdate.objects.count() == 0


def test_status_of_an_unapproved_follow_up_refuses_the_import(secretariat, units):
    report = factories.AnnualReportFactory(year=2024)
    factories.RoundFactory(report=report, kind=FollowUpRound.Kind.STATUS)
    rows = [
        [ORG],
        ["Tema", "Anbefaling", "Opfølgning", "Status"],
        # A bare label: the department has not answered, so its task is a draft.
        ["Svartider", "Svar hurtigt.", "Natur og Byg:", "Igangsat: Vi er i gang."],
        ["", "", "Ældreområdet: Fast svarskabelon", "Gennemført: Klar."],
    ]
    with pytest.raises(ImportRefused) as exc:
        import_commit(actor=secretariat, name="e.xlsx", data=make_xlsx(rows), year=2024)
    assert "Natur og Byg" in exc.value.message and "not approved" in exc.value.message
    assert "would be lost" in exc.value.message
    assert not StatusUpdate.objects.exists()
    assert not FollowUp.objects.exists()


def _existing_recommendation_for(department):
    """A 2024 recommendation, theme "Dialog", for `department`, as the documents below cite it."""
    return factories.RecommendationFactory(
        report=factories.AnnualReportFactory(year=2024),
        theme=factories.ThemeFactory(name="Dialog"),
        text="Ring før der skrives.",
        scope="departments",
        named=[department],
    )


def test_existing_recommendation_gets_no_follow_up_outside_its_departments(secretariat, units):
    rec = _existing_recommendation_for(units["aeo"])
    rows = [
        [section("Ældreområdet")],
        ["Tema", "Anbefaling", "Opfølgning"],
        ["Dialog", "Ring før der skrives.", "Ældreområdet: - Ring først\nNatur og Byg: - Skriv"],
    ]
    result = import_commit(actor=secretariat, name="e.xlsx", data=make_xlsx(rows), year=2024)
    warnings = result.plan.summary()["warnings"]
    assert any("does not concern Natur og Byg" in w for w in warnings), warnings
    assert set(rec.followups.values_list("department__short_name", flat=True)) == {"ÆO"}


def test_existing_recommendation_concerns_the_sub_departments_of_its_departments(
    secretariat, units
):
    factories.DepartmentFactory(name="Hjemmeplejen", short_name="HJ", parent=units["aeo"])
    rec = _existing_recommendation_for(units["aeo"])
    rows = [
        [section("Ældreområdet")],
        ["Tema", "Anbefaling", "Opfølgning"],
        ["Dialog", "Ring før der skrives.", "Hjemmeplejen: - Ring først"],
    ]
    result = import_commit(actor=secretariat, name="e.xlsx", data=make_xlsx(rows), year=2024)
    assert not any("does not concern" in w for w in result.plan.summary()["warnings"])
    assert set(rec.followups.values_list("department__short_name", flat=True)) == {"HJ"}


def test_importing_twice_creates_nothing_new(secretariat, units):
    import_commit(actor=secretariat, name="plan.docx", data=plan_docx(), year=2024)
    before = counts()
    result = import_commit(actor=secretariat, name="plan.docx", data=plan_docx(), year=2024)
    after = counts()
    assert after["ImportedDocument"] == before["ImportedDocument"] + 1
    assert {k: v for k, v in after.items() if k != "ImportedDocument"} == {
        k: v for k, v in before.items() if k != "ImportedDocument"
    }
    assert any("already exists" in w for w in result.plan.summary()["warnings"])
    # A report keeps every imported file.
    assert result.report.imported_documents.count() == 2


def test_failure_halfway_writes_nothing_and_keeps_no_file(secretariat, units, monkeypatch):
    calls = []
    real = services.theme_get_or_create

    def failing(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise ServiceError("boom")
        return real(**kwargs)

    monkeypatch.setattr(services, "theme_get_or_create", failing)
    before = counts()
    with pytest.raises(ServiceError):
        import_commit(actor=secretariat, name="plan.docx", data=plan_docx(), year=2024)
    assert counts() == before


@pytest.mark.parametrize(
    "name,data",
    [
        ("bombe.docx", lambda: zip_bomb()),
        ("lol.docx", lambda: rewrite_zip(plan_docx(), {"word/document.xml": BILLION_LAUGHS})),
        ("forkert.xlsx", lambda: b"Tema;Anbefaling;Opfolgning"),
        ("form.csv", lambda: make_csv([["a", "b"], ["c", "d"]])),
    ],
)
def test_hostile_or_broken_files_write_nothing(secretariat, units, name, data):
    before = counts()
    with pytest.raises(ImportRefused) as exc:
        import_commit(actor=secretariat, name=name, data=data(), year=2024)
    assert name in exc.value.message
    assert counts() == before


def test_only_the_secretariat_imports(officer, ombudsman, units):
    for user in (officer, ombudsman):
        with pytest.raises(PermissionDenied):
            import_commit(actor=user, name="plan.docx", data=plan_docx(), year=2024)
    assert AnnualReport.objects.count() == 0


def test_commit_refuses_when_the_plan_changed_since_the_preview(secretariat, units):
    plan = import_preview(name="plan.docx", data=plan_docx(), year=2024, create_departments=False)
    factories.DepartmentFactory(name="Alle", short_name="ALLE")  # now a bullet names someone
    with pytest.raises(ConflictError):
        import_commit(
            actor=secretariat,
            name="plan.docx",
            data=plan_docx(),
            year=2024,
            expected_fingerprint=plan.fingerprint(),
        )
    assert AnnualReport.objects.count() == 0


def test_dropped_status_without_a_reason_is_kept_as_text(secretariat, units):
    report = factories.AnnualReportFactory(year=2024)
    factories.RoundFactory(report=report, kind="status", deadline=datetime.date(2025, 5, 1))
    data = make_csv(
        [[ORG], [*HEADER, "Status"], ["Dialog", "Tekst", "Natur og Byg: Kursus", "Ikke gennemført"]]
    )
    result = import_commit(actor=secretariat, name="s.csv", data=data, year=2024)
    # "Not carried out" needs a reason: the words are kept, the status is not assessed.
    assert list(StatusUpdate.objects.values_list("status", "text")) == [
        ("not_assessed", "Ikke gennemført")
    ]
    assert any("needs a reason" in w for w in result.plan.summary()["warnings"])


def test_inactive_department_is_a_warning_not_a_new_department(secretariat, units):
    factories.DepartmentFactory(name="Gammel Forvaltning", short_name="GF", active=False)
    data = make_csv([[section("Gammel Forvaltning")], HEADER, ["Dialog", "Tekst", "- A"]])
    result = import_commit(
        actor=secretariat, name="s.csv", data=data, year=2024, create_departments=True
    )
    assert Department.objects.filter(name="Gammel Forvaltning").count() == 1
    assert any("inactive" in w for w in result.plan.summary()["warnings"])


def test_refusal_while_writing_names_the_row(secretariat, units):
    long_theme = "T" * 200  # longer than a theme name may be
    data = make_csv([[ORG], HEADER, ["Dialog", "Tekst", "- A"], [long_theme, "Tekst", "- B"]])
    before = counts()
    with pytest.raises(ImportRefused) as exc:
        import_commit(actor=secretariat, name="lang.csv", data=data, year=2024)
    assert exc.value.message.startswith("lang.csv, table 1, row 4: ")
    assert counts() == before


def test_a_bare_department_label_is_an_unanswered_task(secretariat, units):
    data = make_csv(
        [[ORG], HEADER, ["Dialog", "Tekst", "Natur og Byg: "], ["", "", "Ældreområdet: Svar"]]
    )
    result = import_commit(actor=secretariat, name="e.csv", data=data, year=2024)
    followups = {f.department.short_name: f for f in FollowUp.objects.all()}
    assert followups["NB"].action == ""
    assert followups["NB"].state == FollowUp.State.DRAFT
    assert followups["ÆO"].state == FollowUp.State.APPROVED
    assert result.plan.summary()["followups"] == 2
    assert result.plan.summary()["actions"] == 1


def test_the_fingerprint_does_not_depend_on_the_language(secretariat, units):
    from django.utils import translation

    data = make_csv([[section("Ukendt")], HEADER, ["Dialog", "Tekst", "- A"]])
    with translation.override("da"):
        danish = import_preview(name="e.csv", data=data, year=2024, create_departments=False)
    english = import_preview(name="e.csv", data=data, year=2024, create_departments=False)
    assert danish.fingerprint() == english.fingerprint()


def test_bullets_name_departments_also_in_the_genitive(secretariat, units):
    data = make_csv(
        [[ORG], HEADER, ["Dialog", "Tekst", "- Ældreområdets ledere holder møde\n- SKO ringer"]]
    )
    plan = import_preview(name="g.csv", data=data, year=2024, create_departments=False)
    named = {f.department.name: f.action for f in plan.recommendations[0].followups}
    assert named == {
        "Ældreområdet": "- Ældreområdets ledere holder møde",
        "Skoleområdet": "- SKO ringer",
    }


def test_a_database_race_becomes_a_conflict_and_writes_nothing(secretariat, units, monkeypatch):
    from django.db import IntegrityError

    def racing(**kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(services, "recommendation_create", racing)
    before = counts()
    with pytest.raises(ConflictError):
        import_commit(actor=secretariat, name="plan.docx", data=plan_docx(), year=2024)
    assert counts() == before


def test_imported_statuses_leave_the_progress_read_model_as_a_full_recomputation(
    secretariat, units
):
    from followups.models import FollowUpProgress
    from followups.services import followup_progress_refresh

    report = factories.AnnualReportFactory(year=2024)
    factories.RoundFactory(report=report, kind="status", deadline=datetime.date(2025, 5, 1))
    data = make_csv(
        [
            [ORG],
            [*HEADER, "Status"],
            ["Dialog", "Tekst", "Natur og Byg: Kursus", "Gennemført: Holdt i maj."],
            ["", "", "Ældreområdet: Ny skabelon", "Igangsat: Skrives nu."],
        ]
    )
    import_commit(actor=secretariat, name="s.csv", data=data, year=2024)

    def rows():
        return sorted(
            FollowUpProgress.objects.values_list(
                "followup_id", "department_id", "latest_status", "finished_on"
            )
        )

    after_import = rows()
    assert sorted(status for _f, _d, status, _on in after_import) == ["done", "in_progress"]
    followup_progress_refresh()
    assert rows() == after_import


def test_a_status_already_in_the_round_keeps_and_gains_the_files_words(secretariat, units):
    """The department wrote its status in the app; a document later says something else.
    The app's status stands, the file's words (with its status word) are added to its text,
    with a warning; importing the same file again adds nothing."""
    report = factories.AnnualReportFactory(year=2024)
    factories.RoundFactory(report=report, kind=FollowUpRound.Kind.STATUS)
    rows = [
        [ORG],
        ["Tema", "Anbefaling", "Opfølgning", "Status"],
        ["Svartider", "Svar hurtigt.", "Ældreområdet: Fast svarskabelon", "Gennemført: Klar."],
    ]
    import_commit(actor=secretariat, name="e.xlsx", data=make_xlsx(rows), year=2024)
    status = StatusUpdate.objects.get()
    status.text = "Skabelonen er i brug i to teams."
    status.status = "in_progress"
    status.save()
    rows[2][3] = "Gennemført: Alle teams bruger skabelonen."
    result = import_commit(actor=secretariat, name="e2.xlsx", data=make_xlsx(rows), year=2024)
    assert any("already has a status" in w for w in result.plan.summary()["warnings"])
    status = StatusUpdate.objects.get()
    assert status.status == "in_progress"
    assert status.text == (
        "Skabelonen er i brug i to teams.\nGennemført: Alle teams bruger skabelonen."
    )
    assert status.history.first().history_user == secretariat
    import_commit(actor=secretariat, name="e3.xlsx", data=make_xlsx(rows), year=2024)
    assert StatusUpdate.objects.get().text == status.text
