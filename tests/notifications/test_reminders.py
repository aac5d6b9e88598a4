"""The rounds' reminders: before the deadline to case officers of departments that have not
answered, after it to their managers, after the grace period to the secretariat; each once."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import Kind, Notification
from notifications.services import notifications_send, reminder_record, reminders_send
from tests import factories
from tests.notifications.conftest import SITE, recipients

pytestmark = pytest.mark.django_db

DEADLINE = datetime.date(2031, 6, 1)  # open_plan's round


def day(offset: int) -> datetime.date:
    return DEADLINE + datetime.timedelta(days=offset)


def run(capture, today: datetime.date) -> int:
    with capture(execute=True):
        return reminders_send(today=today)


@pytest.fixture
def both(department, other_department, secretariat, officer, manager, other_officer):
    """One report naming both departments, its plan round open."""
    report = factories.AnnualReportFactory(year=2030)
    factories.RecommendationFactory(report=report, number=1, named=[department, other_department])
    from followups.services import round_open

    return round_open(
        actor=secretariat, report=report, name="Handleplan", kind="plan", deadline=DEADLINE
    )


def test_nothing_before_the_first_reminder_day(django_capture_on_commit_callbacks, plan, officer):
    assert run(django_capture_on_commit_callbacks, day(-8)) == 0
    assert mail.outbox == []


def test_seven_days_before_the_case_officers_of_waiting_departments_are_reminded_once(
    django_capture_on_commit_callbacks, plan, officer, manager, other_officer
):
    assert run(django_capture_on_commit_callbacks, day(-7)) == 1
    assert run(django_capture_on_commit_callbacks, day(-7)) == 0
    assert run(django_capture_on_commit_callbacks, day(-5)) == 0
    assert recipients(mail.outbox) == ["officer@example.dk"]
    assert f"{SITE}{plan.round.get_absolute_url()}" in mail.outbox[0].body
    assert "om 7 dage" in mail.outbox[0].body


def test_the_day_before_comes_the_second_reminder(
    django_capture_on_commit_callbacks, plan, officer
):
    run(django_capture_on_commit_callbacks, day(-7))
    assert run(django_capture_on_commit_callbacks, day(-1)) == 1
    # The second is mailed by the next day's run: one e-mail of a kind a day.
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        notifications_send(now=timezone.now() + datetime.timedelta(days=1))
    assert len(mail.outbox) == 2
    assert "i morgen" in mail.outbox[1].body


def test_a_first_run_late_sends_only_the_nearest_reminder(
    django_capture_on_commit_callbacks, plan, officer
):
    assert run(django_capture_on_commit_callbacks, day(-1)) == 1
    assert Notification.objects.get().key.endswith(":1")


def test_departments_that_answered_are_not_reminded(
    django_capture_on_commit_callbacks, both, department, officer, manager, other_officer
):
    from followups import services
    from followups.models import FollowUp

    f = FollowUp.objects.get(department=department)
    f = services.followup_update(followup=f, actor=officer, expected_version=None, action="X")
    f = services.followup_submit(followup=f, actor=officer)
    services.followup_approve(followup=f, actor=manager)
    mail.outbox.clear()
    run(django_capture_on_commit_callbacks, day(-7))
    assert recipients(mail.outbox) == ["other_officer@example.dk"]


def test_overdue_goes_to_the_managers_then_to_the_secretariat_after_the_grace_period(
    django_capture_on_commit_callbacks, plan, officer, manager, secretariat, other_manager
):
    run(django_capture_on_commit_callbacks, day(0))
    assert recipients(mail.outbox) == ["officer@example.dk"]  # "today" reminder
    mail.outbox.clear()
    run(django_capture_on_commit_callbacks, day(1))
    assert recipients(mail.outbox) == ["manager@example.dk"]
    mail.outbox.clear()
    run(django_capture_on_commit_callbacks, day(7))
    assert mail.outbox == []  # still within the grace period, managers told already
    run(django_capture_on_commit_callbacks, day(8))
    assert recipients(mail.outbox) == ["sek@example.dk"]
    assert f"{SITE}{plan.round.get_absolute_url()}" in mail.outbox[0].body
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds == {Kind.DEADLINE_SOON, Kind.OVERDUE, Kind.OVERDUE_SECRETARIAT}


def test_the_plan_of_the_round_decides_the_days(
    django_capture_on_commit_callbacks, plan, officer, manager, secretariat
):
    from notifications.services import reminder_plan_update

    reminder_plan_update(round=plan.round, actor=secretariat, days_before="14, 3", grace_days=2)
    assert run(django_capture_on_commit_callbacks, day(-15)) == 0
    assert run(django_capture_on_commit_callbacks, day(-14)) == 1
    assert run(django_capture_on_commit_callbacks, day(-7)) == 0
    assert run(django_capture_on_commit_callbacks, day(-3)) == 1
    assert run(django_capture_on_commit_callbacks, day(2)) == 1  # the managers
    assert run(django_capture_on_commit_callbacks, day(3)) == 1  # the secretariat
    assert sorted(Notification.objects.values_list("key", flat=True)) == [
        f"deadline_soon:{plan.round.pk}:{plan.followup.department_id}:14",
        f"deadline_soon:{plan.round.pk}:{plan.followup.department_id}:3",
        f"overdue:{plan.round.pk}:{plan.followup.department_id}",
        f"overdue_secretariat:{plan.round.pk}:{plan.followup.department_id}",
    ]


def test_closed_rounds_are_not_reminded(
    django_capture_on_commit_callbacks, plan, officer, secretariat
):
    from followups.services import round_close

    round_close(round=plan.round, actor=secretariat)
    assert run(django_capture_on_commit_callbacks, day(-1)) == 0


def test_the_record_shows_when_each_department_was_reminded(
    django_capture_on_commit_callbacks, plan, officer, department
):
    run(django_capture_on_commit_callbacks, day(-7))
    [row] = reminder_record(plan.round)
    assert row["department"] == department
    assert row["last"] == [(Kind.DEADLINE_SOON, timezone.localdate())]
    assert row["pending"] is False
