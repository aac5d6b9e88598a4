"""send_reminders: idempotent, safe to run hourly."""

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from notifications.models import Notification
from tests.notifications.conftest import recipients

pytestmark = pytest.mark.django_db


def test_two_runs_send_nothing_twice(
    django_capture_on_commit_callbacks, plan, officer, manager, secretariat
):
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_reminders", "--date", "2031-05-25", stdout=None)
    assert recipients(mail.outbox) == ["officer@example.dk"]
    assert Notification.objects.count() == 1
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_reminders", "--date", "2031-06-20")
    assert recipients(mail.outbox) == ["manager@example.dk", "officer@example.dk", "sek@example.dk"]
    assert Notification.objects.count() == 3


def test_a_bad_date_is_refused(db):
    with pytest.raises(CommandError):
        call_command("send_reminders", "--date", "i morgen")
