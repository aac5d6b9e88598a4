"""The managers' overview of their people's work (issue 21.6): /opfoelgning/medarbejdere/."""

import datetime

import pytest
from django.urls import reverse

from followups import services
from followups.models import FollowUp
from tests.factories import DepartmentFactory, MembershipFactory, RecommendationFactory

pytestmark = pytest.mark.django_db
URL = reverse("followups:team")


@pytest.fixture
def work(plan, officer, manager, secretariat, department):
    """Three tasks in the open plan: one assigned to the officer and overdue, one submitted
    by the officer, one not assigned."""
    for number in (2, 3):
        RecommendationFactory(report=plan.report, number=number, named=[department])
    services.followups_create_tasks(report=plan.report, actor=secretariat)
    first, second, third = FollowUp.objects.filter(department=department).order_by(
        "recommendation__number"
    )
    services.followup_update(
        followup=first, actor=manager, expected_version=None, action="A", assignee=officer
    )
    # A past target date: overdue (the service records past dates; the form refuses them).
    services.followup_move_target_date(
        followup=first, actor=manager, new_date=datetime.date(2025, 1, 1), reason="x"
    )
    done = services.followup_update(
        followup=second, actor=officer, expected_version=None, action="B", assignee=officer
    )
    services.followup_submit(followup=done, actor=officer)
    return first, second, third


@pytest.mark.parametrize("who", ["officer", "council", "ombudsman"])
def test_others_are_refused(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403


def test_a_manager_sees_per_member_and_not_assigned(client, manager, officer, work):
    first, second, third = work
    other = MembershipFactory(department=DepartmentFactory(), role="manager").user
    client.force_login(manager)
    response = client.get(URL)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [r["person"] for r in rows] == [officer, None]
    mine, unassigned = rows
    assert (mine["total"], mine["draft"], mine["submitted"], mine["overdue"]) == (2, 1, 1, 1)
    assert (unassigned["total"], unassigned["draft"], unassigned["overdue"]) == (1, 1, 0)
    assert [f.pk for f in mine["followups"]] == [first.pk, second.pk]
    assert [f.is_overdue for f in mine["followups"]] == [True, False]
    page = response.content.decode()
    for followup in work:
        assert followup.get_absolute_url() in page
    # Another department's manager sees none of it.
    client.force_login(other)
    assert client.get(URL).context["rows"] == []


def test_the_secretariat_sees_every_department(client, secretariat, work):
    client.force_login(secretariat)
    rows = client.get(URL).context["rows"]
    assert sum(r["total"] for r in rows) == 3


def test_closed_rounds_are_left_out(client, manager, secretariat, plan, work):
    services.round_close(round=plan.round, actor=secretariat)
    client.force_login(manager)
    assert client.get(URL).context["rows"] == []


def test_links_from_the_managers_start_page_and_menu(client, manager, officer):
    client.force_login(manager)
    assert URL in client.get(reverse("home")).content.decode()
    client.force_login(officer)
    assert URL not in client.get(reverse("home")).content.decode()
