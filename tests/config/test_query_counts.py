"""Every page's query count is the same with 1 and with 50 rows."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followups import services
from followups.models import FollowUp, TargetDateChange
from tests.factories import (
    AnnualReportFactory,
    DepartmentFactory,
    MembershipFactory,
    RecommendationFactory,
    ThemeFactory,
)
from tests.factories import add_editions as add_stored_editions

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def add_recommendations(report, departments, n):
    for _ in range(n):
        RecommendationFactory(report=report, theme=ThemeFactory(), named=departments)


@pytest.fixture
def setup(secretariat):
    department = DepartmentFactory()
    report = AnnualReportFactory(year=2030)
    add_recommendations(report, [department], 1)
    round = services.round_open(
        actor=secretariat,
        report=report,
        name="Plan",
        kind="plan",
        deadline=datetime.date(2031, 1, 1),
    )
    officer = MembershipFactory(department=department).user
    manager = MembershipFactory(department=department, role="manager").user
    return {
        "department": department,
        "report": report,
        "round": round,
        "officer": officer,
        "manager": manager,
        "secretariat": secretariat,
    }


def grow(setup, n=49):
    add_recommendations(setup["report"], [setup["department"]], n)
    services.followups_create_tasks(report=setup["report"], actor=setup["secretariat"])
    for followup in FollowUp.objects.filter(state="draft"):
        services.followup_update(
            followup=followup, actor=setup["officer"], expected_version=None, action="- Handling"
        )
        services.followup_submit(followup=followup, actor=setup["officer"])


@pytest.mark.parametrize("who", ["officer", "manager", "secretariat"])
def test_list_pages(client, setup, who):
    grow(setup, 0)
    client.force_login(setup[who])
    urls = [
        reverse("home"),
        setup["report"].get_absolute_url(),
        setup["round"].get_absolute_url(),
        reverse("followups:round_list"),
    ]
    small = [queries(client, url) for url in urls]
    grow(setup)
    assert FollowUp.objects.count() == 50
    large = [queries(client, url) for url in urls]
    assert small == large


@pytest.mark.parametrize("who", ["officer", "manager", "secretariat"])
def test_start_page_and_team_overview_with_assignees(client, setup, who):
    """Assigned tasks (issue 21): Mine opgaver and the managers' overview per member."""
    grow(setup, 0)
    people = [setup["officer"], setup["manager"]]

    def assign():
        for i, followup in enumerate(FollowUp.objects.filter(assignee__isnull=True)):
            services.followup_assign(
                followup=followup, actor=setup["manager"], assignee=people[i % 2]
            )

    assign()
    client.force_login(setup[who])
    urls = [reverse("home")] + ([reverse("followups:team")] if who != "officer" else [])
    small = [queries(client, url) for url in urls]
    grow(setup)
    assign()
    assert FollowUp.objects.filter(assignee__isnull=False).count() == 50
    assert [queries(client, url) for url in urls] == small


def test_recommendation_page_with_many_departments(client, setup):
    secretariat = setup["secretariat"]
    client.force_login(secretariat)
    rec = RecommendationFactory(report=AnnualReportFactory(year=2035), named=[DepartmentFactory()])
    services.round_open(
        actor=secretariat,
        report=rec.report,
        name="P",
        kind="plan",
        deadline=datetime.date(2036, 1, 1),
    )
    url = rec.get_absolute_url()
    small = queries(client, url)
    for _ in range(49):
        department = DepartmentFactory()
        FollowUp.objects.create(recommendation=rec, department=department, action="x")
    assert queries(client, url) == small


def test_followup_detail_and_history_with_many_changes(client, setup):
    grow(setup, 0)
    officer = setup["officer"]
    client.force_login(setup["secretariat"])
    followup = FollowUp.objects.get()
    services.followup_move_target_date(
        followup=followup, actor=officer, new_date=datetime.date(2031, 1, 1), reason=""
    )
    urls = [
        followup.get_absolute_url(),
        reverse("followups:history", args=[followup.pk]),
        reverse("recommendations:history", args=[followup.recommendation_id]),
    ]
    small = [queries(client, url) for url in urls]
    for day in range(2, 51):
        services.followup_move_target_date(
            followup=followup,
            actor=officer,
            new_date=datetime.date(2031, 1, day % 28 + 1) + datetime.timedelta(days=40 * day),
            reason=f"Grund {day}",
        )
    assert TargetDateChange.objects.count() >= 49
    assert [queries(client, url) for url in urls] == small


def add_editions(setup, first: int, n: int) -> None:
    add_stored_editions(
        report=setup["report"],
        round=setup["round"],
        created_by=setup["secretariat"],
        first=first,
        n=n,
    )


@pytest.mark.parametrize("who", ["officer", "secretariat"])
def test_report_preview_and_exports(client, setup, who):
    grow(setup, 0)
    add_editions(setup, 1, 1)
    client.force_login(setup[who])
    year = setup["report"].year
    query = f"?runde={setup['round'].pk}"
    urls = [
        reverse("reports:preview", args=[year]) + query,
        reverse("reports:csv", args=[year]) + query,
        reverse("reports:xlsx", args=[year]) + query,
    ]
    small = [queries(client, url) for url in urls]
    grow(setup)
    add_editions(setup, 2, 20)
    assert [queries(client, url) for url in urls] == small
