"""Every trigger: who gets the e-mail, how many, the link, and nobody who may not see it."""

import datetime
from dataclasses import dataclass

import pytest
from django.core import mail

from core import events
from followups import services as followup_services
from followups.models import FollowUp
from notifications.models import Kind, Notification
from notifications.services import preferences_set
from tests import factories
from tests.notifications.conftest import SITE, html_of, member, recipients

pytestmark = pytest.mark.django_db


def link(obj) -> str:
    return f"{SITE}{obj.get_absolute_url()}"


def submit(followup, officer):
    f = followup_services.followup_update(
        followup=followup, actor=officer, expected_version=None, action="Vi gør det"
    )
    return followup_services.followup_submit(followup=f, actor=officer)


def test_round_opened_mails_the_case_officers_of_each_department_with_tasks(
    django_capture_on_commit_callbacks,
    department,
    secretariat,
    officer,
    manager,
    other_officer,
):
    with django_capture_on_commit_callbacks(execute=True):
        plan = factories.open_plan(department=department, actor=secretariat)
    assert recipients(mail.outbox) == ["officer@example.dk"]
    message = mail.outbox[0]
    assert plan.round.name in message.subject
    assert link(plan.round) in message.body
    assert f'href="{link(plan.round)}"' in html_of(message)
    assert "1. juni 2031" in message.body  # the deadline, in Danish
    assert Notification.objects.get().kind == Kind.ROUND_OPENED


def test_submitted_mails_the_managers_who_can_approve_once(
    django_capture_on_commit_callbacks, plan, officer, manager, other_manager, department
):
    parent = factories.DepartmentFactory()
    department.parent = parent
    department.save()
    above = member(parent, "manager", "above")
    with django_capture_on_commit_callbacks(execute=True):
        f = submit(plan.followup, officer)
    assert recipients(mail.outbox) == ["above@example.dk", "manager@example.dk"]
    assert all(link(f) in message.body for message in mail.outbox)
    assert above.notifications.get().url == f.get_absolute_url()


def test_two_submissions_the_same_day_come_as_one_digest(
    django_capture_on_commit_callbacks, department, secretariat, officer, manager
):
    report = factories.AnnualReportFactory(year=2040)
    first = factories.RecommendationFactory(report=report, number=1, named=[department])
    second = factories.RecommendationFactory(report=report, number=2, named=[department])
    followup_services.round_open(
        actor=secretariat,
        report=report,
        name="Handleplan",
        kind="plan",
        deadline=datetime.date(2041, 6, 1),
    )
    followups = [FollowUp.objects.get(recommendation=r) for r in (first, second)]
    with django_capture_on_commit_callbacks(execute=True):
        for followup in followups:
            submit(followup, officer)
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == ["manager@example.dk"]
    assert "(2)" in digest.subject
    for followup in followups:
        assert link(followup) in digest.body
        assert link(followup) in html_of(digest)
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


def test_a_later_submission_the_same_day_waits_for_the_next_days_run(
    django_capture_on_commit_callbacks, department, secretariat, officer, manager
):
    from notifications.services import notifications_send

    report = factories.AnnualReportFactory(year=2041)
    recs = [
        factories.RecommendationFactory(report=report, number=n, named=[department]) for n in (1, 2)
    ]
    followup_services.round_open(
        actor=secretariat, report=report, name="H", kind="plan", deadline=datetime.date(2042, 6, 1)
    )
    for recommendation in recs:
        with django_capture_on_commit_callbacks(execute=True):
            submit(FollowUp.objects.get(recommendation=recommendation), officer)
    assert len(mail.outbox) == 1
    assert Notification.objects.filter(sent_at__isnull=True).count() == 1
    from django.utils import timezone

    assert notifications_send(now=timezone.now() + datetime.timedelta(days=1)) == 1
    assert len(mail.outbox) == 2


def test_returned_mails_the_author_with_the_comment(
    django_capture_on_commit_callbacks, plan, officer, manager, department
):
    colleague = member(department, "case_officer", "colleague")
    f = submit(plan.followup, officer)
    with django_capture_on_commit_callbacks(execute=True):
        f = followup_services.followup_return(
            followup=f, actor=manager, comment="Skriv en dato på."
        )
    assert recipients(mail.outbox) == ["officer@example.dk"]
    assert "Skriv en dato på." in mail.outbox[0].body
    assert link(f) in mail.outbox[0].body
    assert not colleague.notifications.exists()


def test_returned_without_a_known_author_mails_the_case_officers(
    django_capture_on_commit_callbacks, plan, officer, manager
):
    f = submit(plan.followup, officer)
    FollowUp.history.filter(id=f.pk).update(history_user=None)
    with django_capture_on_commit_callbacks(execute=True):
        followup_services.followup_return(followup=f, actor=manager, comment="Mere tekst")
    assert recipients(mail.outbox) == ["officer@example.dk"]


def test_approved_mails_the_author(django_capture_on_commit_callbacks, plan, officer, manager):
    f = submit(plan.followup, officer)
    with django_capture_on_commit_callbacks(execute=True):
        f = followup_services.followup_approve(followup=f, actor=manager)
    assert recipients(mail.outbox) == ["officer@example.dk"]
    assert link(f) in mail.outbox[0].body


def test_placed_mails_the_case_officers_of_the_department(
    django_capture_on_commit_callbacks, plan, officer, other_officer, secretariat
):
    with django_capture_on_commit_callbacks(execute=True):
        events.emit("followup_placed", followup=plan.followup, actor=secretariat)
    assert recipients(mail.outbox) == ["officer@example.dk"]
    assert link(plan.followup) in mail.outbox[0].body


@dataclass
class Comment:
    """What collaboration.services.comment_add hands the event (its documented payload)."""

    pk: int
    followup: FollowUp
    text: str

    def get_absolute_url(self) -> str:
        return f"{self.followup.get_absolute_url()}#comment-{self.pk}"


def test_a_mention_mails_only_the_mentioned_who_may_see_the_follow_up(
    django_capture_on_commit_callbacks, plan, officer, manager, other_officer, council
):
    comment = Comment(pk=41, followup=plan.followup, text="@officer kan du se på datoen?")
    with django_capture_on_commit_callbacks(execute=True):
        events.emit(
            "comment_added",
            comment=comment,
            actor=manager,
            # Another department's officer, a council member (the plan is not published)
            # and the author themself are not told.
            mentioned=[officer, other_officer, council, manager],
        )
    assert recipients(mail.outbox) == ["officer@example.dk"]
    assert f"{SITE}{comment.get_absolute_url()}" in mail.outbox[0].body
    assert "kan du se på datoen?" in mail.outbox[0].body


def test_an_assignment_mails_the_new_assignee(
    django_capture_on_commit_callbacks, plan, officer, manager, department
):
    from followups.services import followup_assign

    colleague = member(department, "case_officer", "colleague")
    followup = plan.followup
    with django_capture_on_commit_callbacks(execute=True):
        followup = followup_assign(
            followup=followup, actor=officer, assignee=colleague, expected_version=None
        )
    assert recipients(mail.outbox) == ["colleague@example.dk"]
    assert link(followup) in mail.outbox[0].body
    # Assigning the same person again writes and mails nothing.
    with django_capture_on_commit_callbacks(execute=True):
        followup_assign(followup=followup, actor=officer, assignee=colleague, expected_version=None)
    assert len(mail.outbox) == 1


def test_an_assignment_to_someone_who_cannot_see_it_mails_nobody(
    django_capture_on_commit_callbacks, plan, officer, other_officer
):
    followup = plan.followup
    followup.assignee_id = other_officer.pk
    with django_capture_on_commit_callbacks(execute=True):
        events.emit("followup_assigned", followup=followup, actor=officer)
        events.emit("followup_assigned", followup=FollowUp(pk=plan.followup.pk), actor=officer)
    assert mail.outbox == []


def test_a_kind_switched_off_is_not_mailed(
    django_capture_on_commit_callbacks, plan, officer, manager
):
    preferences_set(user=manager, enabled_kinds=set(Kind.values) - {Kind.SUBMITTED})
    with django_capture_on_commit_callbacks(execute=True):
        submit(plan.followup, officer)
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_users_without_an_e_mail_address_are_skipped(
    django_capture_on_commit_callbacks, plan, officer, manager
):
    manager.email = ""
    manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        submit(plan.followup, officer)
    assert mail.outbox == []


def test_a_rolled_back_step_mails_nobody(
    django_capture_on_commit_callbacks, plan, officer, manager
):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        submit(plan.followup, officer)
        raise RuntimeError
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()
