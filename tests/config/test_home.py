"""The start page's "Mine opgaver": the tasks assigned to the user first (issue 21.5)."""

import pytest
from django.urls import reverse

from followups import services
from followups.models import FollowUp
from tests.factories import RecommendationFactory

pytestmark = pytest.mark.django_db


def test_my_assigned_tasks_come_first_and_are_marked(
    client, plan, officer, manager, secretariat, department
):
    for number in (2, 3):
        RecommendationFactory(report=plan.report, number=number, named=[department])
    services.followups_create_tasks(report=plan.report, actor=secretariat)
    tasks = list(FollowUp.objects.filter(department=department).order_by("recommendation__number"))
    services.followup_update(
        followup=tasks[2], actor=manager, expected_version=None, action="C", assignee=officer
    )
    services.followup_update(
        followup=tasks[1], actor=manager, expected_version=None, action="B", assignee=manager
    )
    client.force_login(officer)
    response = client.get(reverse("home"))
    (item,) = response.context["my_rounds"]
    assert [t.pk for t in item["tasks"]] == [tasks[2].pk, tasks[0].pk, tasks[1].pk]
    assert [t.is_mine for t in item["tasks"]] == [True, False, False]
    page = response.content.decode()
    assert page.count("app-state-mine") == 1
    assert manager.get_full_name() in page  # the other task's assignee is named
    # The manager's own task comes first on theirs.
    client.force_login(manager)
    (item,) = client.get(reverse("home")).context["my_rounds"]
    assert item["tasks"][0].pk == tasks[1].pk
