"""Importing the report module's own XLSX/CSV export reproduces the report (issue 6)."""

import pytest

from followups.models import FollowUp, FollowUpRound, StatusUpdate
from importing.services import import_commit
from recommendations.models import Recommendation
from tests import factories

spreadsheets = pytest.importorskip("reports.spreadsheets")
tables = pytest.importorskip("reports.tables")


def name(department):
    return department.name if department is not None else None


def snapshot(report):
    recommendations = {
        (r.theme.name, r.text, r.scope, tuple(sorted(d.name for d in r.departments.all())))
        for r in Recommendation.objects.filter(report=report)
    }
    followups = {
        (f.recommendation.text, name(f.department), f.action)
        for f in FollowUp.objects.filter(recommendation__report=report)
    }
    statuses = {
        (s.followup.recommendation.text, name(s.followup.department), s.status, s.text)
        for s in StatusUpdate.objects.filter(followup__recommendation__report=report)
    }
    return recommendations, followups, statuses


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_export_then_import_reproduces_recommendations_and_followups(secretariat, kind):
    nb = factories.DepartmentFactory(name="Natur og Byg", short_name="NB")
    aeo = factories.DepartmentFactory(name="Ældreområdet", short_name="ÆO")
    source = factories.AnnualReportFactory(year=2023)
    svartider = factories.ThemeFactory(name="Svartider")
    org = factories.RecommendationFactory(
        report=source, theme=svartider, number=1, text="- Svar hurtigere.\n- Også på mail."
    )
    named = factories.RecommendationFactory(
        report=source,
        theme=factories.ThemeFactory(name="Dialog"),
        number=2,
        text="=Ring før der skrives.",
        named=[nb, aeo],
    )
    approved = FollowUp.State.APPROVED
    first = factories.FollowUpFactory(
        recommendation=org, department=nb, action="- Ny postkasse\n- Fast frist", state=approved
    )
    factories.FollowUpFactory(
        recommendation=org, department=aeo, action="Ugentlig status", state=approved
    )
    factories.FollowUpFactory(recommendation=named, department=nb, action="- Ring", state=approved)
    factories.FollowUpFactory(
        recommendation=named, department=aeo, action="+45 ring", state=approved
    )
    status_round = factories.RoundFactory(report=source, kind=FollowUpRound.Kind.STATUS)
    factories.StatusUpdateFactory(
        followup=first, round=status_round, status="in_progress", text="Postkassen er oprettet."
    )

    table = tables.build_table(report=source, user=secretariat, round=status_round)
    if kind == "xlsx":
        name, data = "eksport.xlsx", spreadsheets.to_xlsx(table)
    else:
        name, data = "eksport.csv", spreadsheets.to_csv(table).encode("utf-8")

    target = factories.AnnualReportFactory(year=2024)
    factories.RoundFactory(report=target, kind=FollowUpRound.Kind.STATUS, name="Status")
    result = import_commit(actor=secretariat, name=name, data=data, year=2024)

    assert not [w for w in result.plan.summary()["warnings"] if "awaiting placement" in w]
    assert snapshot(target) == snapshot(source)


def report_with_unplaced_lines():
    nb = factories.DepartmentFactory(name="Natur og Byg", short_name="NB")
    source = factories.AnnualReportFactory(year=2023)
    org = factories.RecommendationFactory(
        report=source, theme=factories.ThemeFactory(name="Svartider"), number=1, text="Svar."
    )
    approved = FollowUp.State.APPROVED
    factories.FollowUpFactory(recommendation=org, department=nb, action="Ny frist", state=approved)
    waiting = factories.FollowUpFactory(
        recommendation=org, department=None, action="Alle ledere følger op", state=approved
    )
    factories.FollowUpFactory(
        recommendation=org, department=None, action="- Kursus\n- Ny vejledning", state=approved
    )
    status_round = factories.RoundFactory(report=source, kind=FollowUpRound.Kind.STATUS)
    factories.StatusUpdateFactory(
        followup=waiting, round=status_round, status="in_progress", text="Halvdelen er i gang."
    )
    return source, status_round


def export(report, user, round, kind):
    table = tables.build_table(report=report, user=user, round=round)
    if kind == "xlsx":
        return "eksport.xlsx", spreadsheets.to_xlsx(table)
    return "eksport.csv", spreadsheets.to_csv(table).encode("utf-8")


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_lines_awaiting_placement_survive_the_round_trip(secretariat, kind):
    source, status_round = report_with_unplaced_lines()
    name_, data = export(source, secretariat, status_round, kind)
    assert "Afventer placering: Alle ledere følger op".encode() in data or kind == "xlsx"

    target = factories.AnnualReportFactory(year=2024)
    factories.RoundFactory(report=target, kind=FollowUpRound.Kind.STATUS, name="Status")
    result = import_commit(actor=secretariat, name=name_, data=data, year=2024)

    assert result.plan.summary()["unplaced"] == 2
    # Still awaiting placement, as lines of their own (not a department called "Afventer
    # placering", not the label inside the action text), with the status of the waiting line.
    assert snapshot(target) == snapshot(source)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_reimporting_the_export_of_the_same_report_creates_nothing(secretariat, kind):
    source, status_round = report_with_unplaced_lines()
    name_, data = export(source, secretariat, status_round, kind)
    before = snapshot(source)
    ids = set(FollowUp.objects.values_list("pk", flat=True))

    result = import_commit(actor=secretariat, name=name_, data=data, year=2023)

    assert set(FollowUp.objects.values_list("pk", flat=True)) == ids
    assert snapshot(source) == before
    assert result.plan.summary()["unplaced"] == 2
    assert not [w for w in result.plan.summary()["warnings"] if "awaiting placement" in w]


def test_a_line_placed_since_the_export_stays_with_its_department(secretariat):
    from followups.services import followup_place

    source, status_round = report_with_unplaced_lines()
    name_, data = export(source, secretariat, status_round, "xlsx")
    waiting = FollowUp.objects.get(action="Alle ledere følger op")
    ae = factories.DepartmentFactory(name="Ældreområdet", short_name="ÆO")
    followup_place(followup=waiting, actor=secretariat, department=ae)
    ids = set(FollowUp.objects.values_list("pk", flat=True))

    import_commit(actor=secretariat, name=name_, data=data, year=2023)

    assert set(FollowUp.objects.values_list("pk", flat=True)) == ids
    waiting.refresh_from_db()
    assert waiting.department == ae
