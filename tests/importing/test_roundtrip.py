"""Importing the report module's own XLSX/CSV export reproduces the report (issue 6)."""

import pytest

from followups.models import FollowUp, FollowUpRound, StatusUpdate
from importing.services import import_commit
from recommendations.models import Recommendation
from tests import factories

spreadsheets = pytest.importorskip("reports.spreadsheets")
tables = pytest.importorskip("reports.tables")


def snapshot(report):
    recommendations = {
        (r.theme.name, r.text, r.scope, tuple(sorted(d.name for d in r.departments.all())))
        for r in Recommendation.objects.filter(report=report)
    }
    followups = {
        (f.recommendation.text, f.department.name, f.action)
        for f in FollowUp.objects.filter(recommendation__report=report)
    }
    statuses = {
        (s.followup.recommendation.text, s.followup.department.name, s.status, s.text)
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

    assert result.plan.summary()["warnings"] == []
    assert snapshot(target) == snapshot(source)
