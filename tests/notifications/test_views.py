"""The profile page and the round page's reminders (the secretariat's only)."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone

from notifications.models import Kind, Notification, RoundReminderPlan
from notifications.services import enabled_kinds
from tests.notifications.conftest import recipients

pytestmark = pytest.mark.django_db


def test_the_profile_page_switches_kinds_off(client, officer):
    client.force_login(officer)
    url = reverse("notifications:preferences")
    assert url == "/konto/notifikationer/"
    page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('type="checkbox"') == len(Kind.values)
    response = client.post(url, {"enabled_kinds": [Kind.RETURNED, Kind.APPROVED]})
    assert response.status_code == 302
    assert enabled_kinds(officer) == {Kind.RETURNED, Kind.APPROVED}


def test_the_profile_page_refuses_an_unknown_kind(client, officer):
    client.force_login(officer)
    response = client.post(reverse("notifications:preferences"), {"enabled_kinds": ["x"]})
    assert response.status_code == 422


def test_the_profile_page_needs_a_log_in(client):
    assert client.get(reverse("notifications:preferences")).status_code == 302


def test_the_user_menu_links_to_the_profile_page(client, officer):
    client.force_login(officer)
    page = client.get("/").content.decode()
    assert page.count('href="/konto/notifikationer/"') == 2  # header and mobile drawer


@pytest.mark.parametrize("who", ["officer", "manager", "council", "ombudsman"])
def test_only_the_secretariat_sends_reminders(client, plan, request, who):
    client.force_login(request.getfixturevalue(who))
    url = reverse("notifications:round_remind", args=[plan.round.pk])
    assert client.post(url).status_code == 403
    plan_url = reverse("notifications:round_plan", args=[plan.round.pk])
    assert client.post(plan_url, {"days_before": "1", "grace_days": 1}).status_code == 403
    assert not Notification.objects.exists()


def test_the_button_reminds_the_waiting_departments_once_a_day(
    client, django_capture_on_commit_callbacks, plan, secretariat, officer, manager
):
    client.force_login(secretariat)
    url = reverse("notifications:round_remind", args=[plan.round.pk])
    assert client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == plan.round.get_absolute_url()
    assert "1" in [m.message for m in response.context["messages"]][0]
    assert recipients(mail.outbox) == ["officer@example.dk"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    assert len(mail.outbox) == 1
    assert Notification.objects.get().key.endswith(f":manual:{timezone.localdate()}")


def test_the_round_page_shows_the_secretariat_when_reminders_were_sent(
    client, django_capture_on_commit_callbacks, plan, secretariat, officer, department
):
    client.force_login(secretariat)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("notifications:round_remind", args=[plan.round.pk]))
    page = client.get(plan.round.get_absolute_url()).content.decode()
    assert 'id="reminders"' in page
    assert department.name in page
    assert formats.date_format(timezone.localdate(), "j. F") in page
    assert reverse("notifications:round_remind", args=[plan.round.pk]) in page


def test_others_do_not_see_the_reminders_section(client, plan, officer):
    client.force_login(officer)
    page = client.get(plan.round.get_absolute_url()).content.decode()
    assert 'id="reminders"' not in page


def test_the_secretariat_changes_the_reminder_days(client, plan, secretariat):
    client.force_login(secretariat)
    url = reverse("notifications:round_plan", args=[plan.round.pk])
    response = client.post(url, {"days_before": "10,2", "grace_days": 3})
    assert response.status_code == 302
    saved = RoundReminderPlan.objects.get(round=plan.round)
    assert (saved.days_before, saved.grace_days) == ("10,2", 3)
    assert client.post(url, {"days_before": "ti", "grace_days": 3}).status_code == 422


def test_the_button_sends_even_after_the_automatic_reminder_went_today(
    client, django_capture_on_commit_callbacks, plan, secretariat, officer
):
    """The hourly run reminded the officer this morning; the secretariat's explicit press
    in the afternoon still goes out at once (and only once)."""
    from notifications.services import reminders_send

    with django_capture_on_commit_callbacks(execute=True):
        reminders_send(today=plan.round.deadline)
    assert recipients(mail.outbox) == ["officer@example.dk"]
    client.force_login(secretariat)
    url = reverse("notifications:round_remind", args=[plan.round.pk])
    for _press in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url)
    assert recipients(mail.outbox) == ["officer@example.dk", "officer@example.dk"]
    assert not Notification.objects.unsent().exists()
