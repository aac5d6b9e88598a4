"""The recommendation page (recommendations.views.recommendation_detail) and the follow-up
section the followups app adds to it (followups.views.recommendation_followups)."""

import datetime

import pytest
from django.urls import reverse

from tests import factories


@pytest.fixture
def two_departments(plan, other_department, officer):
    """`plan`'s recommendation answered by two departments."""
    from followups.services import followup_update

    factories.FollowUpFactory(
        recommendation=plan.recommendation, department=other_department, action="Den andens svar"
    )
    followup_update(
        followup=plan.followup, actor=officer, expected_version=None, action="Vores svar"
    )
    return plan


def test_the_page_lives_in_recommendations_and_shows_each_visible_followup(
    client, two_departments, secretariat
):
    url = reverse("recommendations:detail", args=[two_departments.recommendation.pk])
    assert url == two_departments.recommendation.get_absolute_url()
    client.force_login(secretariat)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="followups-heading"' in html
    assert "Vores svar" in html
    assert "Den andens svar" in html


def test_a_case_officer_sees_only_their_departments_followup(client, two_departments, officer):
    client.force_login(officer)
    html = client.get(two_departments.recommendation.get_absolute_url()).content.decode()
    assert "Vores svar" in html
    assert "Den andens svar" not in html


def test_council_members_see_no_followups_of_an_unpublished_plan(client, two_departments, council):
    client.force_login(council)
    response = client.get(two_departments.recommendation.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Vores svar" not in html
    assert "Den andens svar" not in html


def test_statuses_of_a_published_round_are_shown_with_the_followup(
    client, approved_followup, council
):
    status_round = factories.RoundFactory(
        report=approved_followup.recommendation.report,
        kind="status",
        name="Status efterår",
        state="published",
        published_at=datetime.datetime(2032, 1, 1, tzinfo=datetime.UTC),
    )
    factories.StatusUpdateFactory(
        followup=approved_followup, round=status_round, status="done", text="Det er sket."
    )
    client.force_login(council)
    html = client.get(approved_followup.recommendation.get_absolute_url()).content.decode()
    assert "Status efterår" in html
    assert "Det er sket." in html


def test_each_role_gets_its_own_answer_form(client, plan, secretariat, ombudsman, officer):
    url = plan.recommendation.get_absolute_url()
    forms = {
        user: client.force_login(user) or client.get(url).content.decode()
        for user in (secretariat, ombudsman, officer)
    }
    respond = reverse("recommendations:respond", args=[plan.recommendation.pk])
    assess = reverse("recommendations:assess", args=[plan.recommendation.pk])
    assert respond in forms[secretariat] and assess not in forms[secretariat]
    assert assess in forms[ombudsman] and respond not in forms[ombudsman]
    assert respond not in forms[officer] and assess not in forms[officer]


def test_the_answer_forms_start_from_the_saved_values(client, plan, ombudsman):
    from recommendations.services import recommendation_assess

    recommendation_assess(
        recommendation=plan.recommendation,
        actor=ombudsman,
        expected_version=None,
        assessment="satisfactory",
        note="Fint svar",
    )
    client.force_login(ombudsman)
    html = client.get(plan.recommendation.get_absolute_url()).content.decode()
    assert "Fint svar</textarea>" in html
    assert 'value="satisfactory" checked' in html or 'value="satisfactory" selected' in html


def test_another_departments_recommendation_is_404_for_a_case_officer(
    client, officer, other_department
):
    rec = factories.RecommendationFactory(named=[other_department])
    client.force_login(officer)
    assert client.get(rec.get_absolute_url()).status_code == 404
