"""Sending: one e-mail per person per kind per day, a failure leaves it for the next run;
preferences; the reminder plan's days."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from notifications import services
from notifications.models import Kind, Notification, Preference, parse_days_before
from tests.notifications.conftest import SITE, html_of

pytestmark = pytest.mark.django_db


def record(user, key: str, kind=Kind.SUBMITTED, subject="Noget skete"):
    return Notification.objects.create(
        recipient=user, kind=kind, subject=subject, body="Tekst", url="/opfoelgning/1/", key=key
    )


def test_unsent_notifications_of_a_kind_go_as_one_e_mail(officer):
    record(officer, "a", subject="Første")
    record(officer, "b", subject="Anden")
    record(officer, "c", kind=Kind.APPROVED)
    assert services.notifications_send() == 2
    assert len(mail.outbox) == 2
    digest = next(m for m in mail.outbox if "(2)" in m.subject)
    assert "Første" in digest.body and "Anden" in digest.body
    assert f"{SITE}/opfoelgning/1/" in html_of(digest)
    assert not Notification.objects.unsent().exists()
    assert services.notifications_send() == 0


def test_a_kind_sent_today_waits_for_tomorrow(officer):
    record(officer, "a")
    services.notifications_send()
    record(officer, "b")
    assert services.notifications_send() == 0
    assert services.notifications_send(now=timezone.now() + datetime.timedelta(days=1)) == 1
    assert len(mail.outbox) == 2


def test_a_failed_send_leaves_the_notifications_for_the_next_run(officer, monkeypatch):
    from django.core.mail import EmailMultiAlternatives

    record(officer, "a")

    def broken(self, fail_silently=False):
        raise OSError("SMTP down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", broken)
    assert services.notifications_send() == 0
    assert Notification.objects.unsent().count() == 1
    monkeypatch.undo()
    assert services.notifications_send() == 1


def test_a_kind_switched_off_after_recording_is_not_sent(officer):
    record(officer, "a")
    services.preferences_set(user=officer, enabled_kinds=[])
    assert services.notifications_send() == 0
    assert mail.outbox == []


def test_preferences_set_switches_kinds_on_and_off(officer):
    services.preferences_set(user=officer, enabled_kinds=[Kind.SUBMITTED, "nonsense"])
    assert services.enabled_kinds(officer) == {Kind.SUBMITTED}
    assert Preference.objects.filter(user=officer).count() == len(Kind.values)
    services.preferences_set(user=officer, enabled_kinds=Kind.values)
    assert services.enabled_kinds(officer) == set(Kind.values)


def test_the_same_key_is_recorded_once(officer, plan):
    kwargs = {
        "kind": Kind.PLACED,
        "recipients": [officer],
        "key": "placed:1:1",
        "url": "/x/",
        "context": {"followup": plan.followup},
        "visible": lambda user: True,
    }
    assert services.notifications_record(**kwargs) == [officer]
    assert services.notifications_record(**kwargs) == []
    assert Notification.objects.count() == 1


def test_days_before_are_whole_numbers():
    assert parse_days_before("1, 7,7") == [7, 1]
    with pytest.raises(ValidationError):
        parse_days_before("7,en")


def test_only_the_secretariat_changes_the_plan(plan, officer, secretariat):
    with pytest.raises(PermissionDenied):
        services.reminder_plan_update(
            round=plan.round, actor=officer, days_before="3", grace_days=1
        )
    saved = services.reminder_plan_update(
        round=plan.round, actor=secretariat, days_before="3,10", grace_days=1
    )
    assert saved.days_before == "10,3"
