import datetime
from dataclasses import dataclass

import pytest

from departments.models import Department
from followups.models import FollowUp, FollowUpRound, StatusUpdate
from recommendations.models import AnnualReport
from tests import factories


@dataclass
class ReportData:
    report: AnnualReport
    aeldre: Department
    boern: Department
    plan: FollowUpRound
    status_round: FollowUpRound
    org_followups: list[FollowUp]
    dept_followup: FollowUp
    status: StatusUpdate


@pytest.fixture
def report_data(db, secretariat) -> ReportData:
    """A report with an organisation-wide and a department recommendation, both rounds."""
    report = factories.AnnualReportFactory(
        year=2031, introduction="Indledning om året.\n- første punkt"
    )
    aeldre = factories.DepartmentFactory(name="Ældreområdet", short_name="AEO")
    boern = factories.DepartmentFactory(name="Børn og Unge", short_name="BU")
    phone = factories.ThemeFactory(name="Telefontider")
    answers = factories.ThemeFactory(name="Klagesvar")
    org = factories.RecommendationFactory(
        report=report, theme=phone, number=1, text="- Borgere kommer ikke igennem."
    )
    named = factories.RecommendationFactory(
        report=report, theme=answers, number=2, text="Svar bør forklare.", named=[aeldre]
    )
    plan = factories.RoundFactory(
        report=report,
        name="Handleplan 2032",
        kind="plan",
        deadline=datetime.date(2032, 4, 1),
        state="published",
        published_at=datetime.datetime(2032, 4, 2, tzinfo=datetime.UTC),
    )
    status_round = factories.RoundFactory(
        report=report,
        name="Status 2033",
        kind="status",
        deadline=datetime.date(2033, 4, 1),
        state="closed",
    )
    org_followups = [
        factories.FollowUpFactory(
            recommendation=org,
            department=dep,
            action=f"- {dep.name} udvider telefontiden.",
            state="approved",
        )
        for dep in (aeldre, boern)
    ]
    dept_followup = factories.FollowUpFactory(
        recommendation=named, department=aeldre, action="Fast skabelon.", state="approved"
    )
    status = factories.StatusUpdateFactory(
        followup=org_followups[0],
        round=status_round,
        status="done",
        text="Telefontiden er udvidet.",
        author=secretariat,
    )
    return ReportData(
        report, aeldre, boern, plan, status_round, org_followups, dept_followup, status
    )


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """A fresh storage per test, so the PDF cache of one test never serves another."""
    from django.core.cache import cache

    cache.clear()  # no pending-rendering keys from another test
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def big_report(report_data):
    """Enough rows for each section to run over several pages."""
    themes = [factories.ThemeFactory(name=f"Tema {letter}") for letter in "ABCDE"]
    long_text = "\n".join(
        f"- Punkt {i}: borgerne skal have et klart svar i tide." for i in range(6)
    )
    for number in range(10, 40):
        rec = factories.RecommendationFactory(
            report=report_data.report,
            theme=themes[number % 5],
            number=number,
            text=long_text,
            named=[report_data.boern] if number % 2 else None,
        )
        factories.FollowUpFactory(
            recommendation=rec, department=report_data.boern, action=long_text
        )
    return report_data


@pytest.fixture
def refetches_refused(monkeypatch):
    """Every fetch of a style sheet or font is noted in the fetcher's `refused` list, so a
    rendering that should use `reports.pdf.warm_up`'s prepared sheet and fonts shows any it
    fetched again. Set on the class, so forked renderings inherit it."""
    from reports import pdf

    original = pdf.StaticOnlyFetcher.fetch

    def noting(self, url, headers=None):
        if url.endswith((".css", ".woff")):
            self.refused.append(f"fetched again: {url}")
        return original(self, url, headers)

    pdf.warm_up()
    monkeypatch.setattr(pdf.StaticOnlyFetcher, "fetch", noting)
