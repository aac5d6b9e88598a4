"""Rounds as the secretariat runs them (issue 25, items 9 and 15): what is missing, with
links; confirmation before closing and publishing; dates that make sense."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import ServiceError
from followups import services
from followups.models import FollowUpRound

pytestmark = pytest.mark.django_db
D = datetime.date


def test_the_round_page_links_what_is_missing(client, plan, secretariat):
    client.force_login(secretariat)
    html = client.get(plan.round.get_absolute_url()).content.decode()
    assert "Endnu ikke godkendt" in html
    assert plan.followup.get_absolute_url() in html
    assert plan.followup.department.name in html


def test_closing_asks_first_and_lists_who_has_not_answered(client, plan, secretariat):
    client.force_login(secretariat)
    url = reverse("followups:round_close", args=[plan.round.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ja, luk runden" in html and plan.followup.get_absolute_url() in html
    plan.round.refresh_from_db()
    assert plan.round.state == FollowUpRound.State.OPEN  # asking changed nothing
    response = client.post(url, follow=True)
    assert "Runden er lukket." in response.content.decode()
    plan.round.refresh_from_db()
    assert plan.round.state == FollowUpRound.State.CLOSED


def test_publishing_an_unapproved_plan_names_the_follow_ups(client, plan, secretariat):
    services.round_close(round=plan.round, actor=secretariat)
    client.force_login(secretariat)
    url = reverse("followups:round_publish", args=[plan.round.pk])
    html = client.get(url).content.decode()
    assert "kan ikke fortrydes" in html
    assert plan.followup.get_absolute_url() in html
    assert "Ja, offentliggør runden" not in html  # nothing to confirm: it would be refused
    response = client.post(url)
    assert response.status_code == 422
    assert plan.followup.get_absolute_url() in response.content.decode()
    plan.round.refresh_from_db()
    assert plan.round.state == FollowUpRound.State.CLOSED


def test_publishing_asks_first(client, approved_followup, secretariat):
    """A status round with nothing missing: the page asks, the POST publishes."""
    status = services.round_open(
        actor=secretariat,
        report=approved_followup.recommendation.report,
        name="Status",
        kind=FollowUpRound.Kind.STATUS,
        deadline=D(2031, 6, 1),
    )
    services.status_update_save(
        followup=approved_followup, round=status, actor=secretariat, status="done", text="Ok."
    )
    services.round_close(round=status, actor=secretariat)
    client.force_login(secretariat)
    url = reverse("followups:round_publish", args=[status.pk])
    html = client.get(url).content.decode()
    assert "Ja, offentliggør runden" in html and "kan ikke fortrydes" in html
    status.refresh_from_db()
    assert status.state == FollowUpRound.State.CLOSED
    response = client.post(url, follow=True)
    assert "Runden er offentliggjort." in response.content.decode()
    status.refresh_from_db()
    assert status.state == FollowUpRound.State.PUBLISHED


def test_round_dates_are_checked_and_can_be_corrected(client, plan, secretariat):
    client.force_login(secretariat)
    url = reverse("followups:round_edit", args=[plan.round.pk])
    assert client.get(url).status_code == 200
    past = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
    data = {"name": plan.round.name, "deadline": past, "meeting_date": ""}
    response = client.post(url, data)
    assert response.status_code == 422
    assert "Datoen ligger i fortiden" in response.content.decode()
    # Recording a past round is legitimate with an explicit yes.
    response = client.post(url, {**data, "confirm_past": "on"})
    assert response.status_code == 302
    plan.round.refresh_from_db()
    assert plan.round.deadline.isoformat() == past
    # The meeting is never before the deadline.
    response = client.post(
        url, {"name": plan.round.name, "deadline": "2031-05-01", "meeting_date": "2031-04-01"}
    )
    assert response.status_code == 422
    assert "Udvalgsmødet kan ikke ligge før fristen." in response.content.decode()
    with pytest.raises(ServiceError):
        services.round_update(
            round=plan.round,
            actor=secretariat,
            name="x",
            deadline=D(2031, 5, 1),
            meeting_date=D(2031, 4, 1),
        )


def test_a_published_round_is_not_edited(client, approved_followup, secretariat):
    round = FollowUpRound.objects.get(
        report=approved_followup.recommendation.report, state="published"
    )
    client.force_login(secretariat)
    assert client.get(reverse("followups:round_edit", args=[round.pk])).status_code == 403


def test_opening_a_round_in_the_past_needs_a_yes(client, plan, secretariat):
    services.round_close(round=plan.round, actor=secretariat)
    client.force_login(secretariat)
    past = (timezone.localdate() - datetime.timedelta(days=400)).isoformat()
    data = {"report": plan.report.pk, "name": "Status 2025", "kind": "status", "deadline": past}
    assert client.post(reverse("followups:round_new"), data).status_code == 422
    assert (
        client.post(reverse("followups:round_new"), {**data, "confirm_past": "on"}).status_code
        == 302
    )


def test_officer_cannot_confirm_or_edit(client, plan, officer):
    client.force_login(officer)
    for name in ("round_close", "round_publish", "round_edit"):
        assert client.get(reverse(f"followups:{name}", args=[plan.round.pk])).status_code == 403


def test_my_tasks_mark_a_draft_past_its_target_date_overdue(client, plan, officer):
    """Item 15: a draft whose target date has passed is overdue on "Mine opgaver"."""
    from followups.models import FollowUp

    FollowUp.objects.filter(pk=plan.followup.pk).update(target_date=D(2020, 1, 1))
    client.force_login(officer)
    html = client.get(reverse("home")).content.decode()
    assert "app-state-overdue" in html and "Overskredet" in html
    FollowUp.objects.filter(pk=plan.followup.pk).update(target_date=D(2099, 1, 1))
    html = client.get(reverse("home")).content.decode()
    assert "app-state-overdue" not in html
