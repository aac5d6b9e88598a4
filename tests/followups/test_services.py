import datetime
from functools import partial
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from core.errors import ConflictError, ServiceError
from followups import services
from followups.models import (
    FollowUp,
    FollowUpProgress,
    FollowUpRound,
    StatusUpdate,
    TargetDateChange,
)
from tests.factories import (
    AnnualReportFactory,
    DepartmentFactory,
    MembershipFactory,
    RecommendationFactory,
    RoundFactory,
    UserFactory,
)
from tests.history import assert_one_new_history_row

pytestmark = pytest.mark.django_db
D = datetime.date


# --- rounds -----------------------------------------------------------------------------


def test_plan_round_creates_one_task_per_responsible_department(secretariat):
    top_a, top_b = DepartmentFactory(), DepartmentFactory()
    DepartmentFactory(parent=top_a)  # sub-units do not answer organisation-wide ones
    DepartmentFactory(active=False)
    report = AnnualReportFactory()
    org = RecommendationFactory(report=report)
    named = RecommendationFactory(report=report, named=[top_b])
    round = services.round_open(
        actor=secretariat, report=report, name="Handleplan", kind="plan", deadline=D(2030, 1, 1)
    )
    assert_one_new_history_row(round, before=0, user=secretariat, kind="+")
    pairs = set(FollowUp.objects.values_list("recommendation_id", "department_id"))
    assert pairs == {(org.pk, top_a.pk), (org.pk, top_b.pk), (named.pk, top_b.pk)}
    for followup in FollowUp.objects.all():
        assert_one_new_history_row(followup, before=0, user=secretariat, kind="+")


def test_only_one_open_round_per_report(secretariat):
    report = AnnualReportFactory()
    services.round_open(
        actor=secretariat, report=report, name="A", kind="plan", deadline=D(2030, 1, 1)
    )
    with pytest.raises(ServiceError) as exc:
        services.round_open(
            actor=secretariat, report=report, name="B", kind="status", deadline=D(2030, 1, 1)
        )
    assert exc.value.message_template == services.MSG_ROUND_ALREADY_OPEN


def test_round_name_unique(secretariat):
    report = AnnualReportFactory()
    round = services.round_open(
        actor=secretariat, report=report, name="Status", kind="status", deadline=D(2030, 1, 1)
    )
    services.round_close(round=round, actor=secretariat)
    with pytest.raises(ServiceError) as exc:
        services.round_open(
            actor=secretariat, report=report, name="status", kind="status", deadline=D(2030, 1, 1)
        )
    assert exc.value.message_template == services.MSG_ROUND_NAME_TAKEN


def test_round_lifecycle_and_invalid_transitions(secretariat):
    round = services.round_open(
        actor=secretariat,
        report=AnnualReportFactory(),
        name="S",
        kind="status",
        deadline=D(2030, 1, 1),
    )
    with pytest.raises(ServiceError):
        services.round_publish(round=round, actor=secretariat)
    with pytest.raises(ServiceError):
        services.round_reopen(round=round, actor=secretariat)
    services.round_close(round=round, actor=secretariat)
    assert assert_one_new_history_row(round, before=1, user=secretariat).state == "closed"
    with pytest.raises(ServiceError):
        services.round_close(round=round, actor=secretariat)
    services.round_reopen(round=round, actor=secretariat)
    services.round_close(round=round, actor=secretariat)
    services.round_publish(round=round, actor=secretariat)
    round.refresh_from_db()
    assert round.state == "published" and round.published_at is not None
    for action in (services.round_close, services.round_reopen, services.round_publish):
        with pytest.raises(ServiceError):
            action(round=round, actor=secretariat)
    with pytest.raises(ServiceError):
        services.round_update(
            round=round, actor=secretariat, name="X", deadline=D(2030, 1, 1), meeting_date=None
        )


def test_plan_cannot_be_published_with_unapproved_followups(plan, secretariat):
    services.round_close(round=plan.round, actor=secretariat)
    with pytest.raises(ServiceError) as exc:
        services.round_publish(round=plan.round, actor=secretariat)
    assert exc.value.message_template == services.MSG_ROUND_UNAPPROVED


def test_only_secretariat_manages_rounds(plan, officer, manager):
    for user in (officer, manager):
        with pytest.raises(PermissionDenied):
            services.round_close(round=plan.round, actor=user)
    with pytest.raises(PermissionDenied):
        services.round_open(
            actor=officer,
            report=AnnualReportFactory(),
            name="x",
            kind="plan",
            deadline=D(2030, 1, 1),
        )


def test_round_update(plan, secretariat):
    services.round_update(
        round=plan.round,
        actor=secretariat,
        name="Handleplan maj",
        deadline=D(2031, 5, 1),
        meeting_date=D(2031, 5, 20),
    )
    row = assert_one_new_history_row(plan.round, before=1, user=secretariat)
    assert row.name == "Handleplan maj" and row.meeting_date == D(2031, 5, 20)


def test_round_open_is_atomic(secretariat):
    report = AnnualReportFactory()
    RecommendationFactory(report=report)
    DepartmentFactory()
    boom = mock.patch.object(services, "save_tracked", side_effect=[None, RuntimeError("boom")])
    with boom, pytest.raises(RuntimeError):
        services.round_open(
            actor=secretariat, report=report, name="A", kind="plan", deadline=D(2030, 1, 1)
        )
    assert not FollowUpRound.objects.exists()
    assert not FollowUp.objects.exists()


# --- follow-up workflow -------------------------------------------------------------------


def test_officer_writes_submits_manager_approves(plan, officer, manager):
    f = services.followup_update(
        followup=plan.followup,
        actor=officer,
        expected_version=1,
        action="- Vi gør noget",
        responsible="Team A",
        target_date=D(2031, 1, 1),
    )
    assert f.version == 2
    assert assert_one_new_history_row(f, before=1, user=officer).action == "- Vi gør noget"
    f = services.followup_submit(followup=f, actor=officer, expected_version=2)
    assert assert_one_new_history_row(f, before=2, user=officer).state == "submitted"
    f = services.followup_approve(followup=f, actor=manager)
    assert assert_one_new_history_row(f, before=3, user=manager).state == "approved"
    assert f.version == 4


def test_return_requires_comment_and_allows_resubmit(plan, officer, manager):
    f = services.followup_update(
        followup=plan.followup, actor=officer, expected_version=None, action="Tekst"
    )
    f = services.followup_submit(followup=f, actor=officer)
    with pytest.raises(ServiceError) as exc:
        services.followup_return(followup=f, actor=manager, comment="  ")
    assert exc.value.message_template == services.MSG_COMMENT_REQUIRED
    f = services.followup_return(followup=f, actor=manager, comment="Mere konkret")
    row = assert_one_new_history_row(f, before=3, user=manager)
    assert row.state == "returned" and row.history_change_reason == "Mere konkret"
    f = services.followup_update(followup=f, actor=officer, expected_version=None, action="Bedre")
    f = services.followup_submit(followup=f, actor=officer)
    assert f.state == "submitted"


@pytest.mark.parametrize(
    ("state", "service"),
    [
        ("draft", "followup_approve"),
        ("draft", "followup_return"),
        ("submitted", "followup_submit"),
        ("approved", "followup_submit"),
        ("approved", "followup_approve"),
        ("returned", "followup_approve"),
    ],
)
def test_invalid_transitions_refused(plan, officer, manager, state, service):
    FollowUp.objects.filter(pk=plan.followup.pk).update(state=state, action="x", return_comment="c")
    actor = officer if service == "followup_submit" else manager
    kwargs = {"comment": "x"} if service == "followup_return" else {}
    with pytest.raises(ServiceError) as exc:
        getattr(services, service)(followup=plan.followup, actor=actor, **kwargs)
    assert exc.value.message_template == services.MSG_TRANSITION
    assert FollowUp.objects.get(pk=plan.followup.pk).state == state


def test_submit_requires_action(plan, officer):
    with pytest.raises(ServiceError) as exc:
        services.followup_submit(followup=plan.followup, actor=officer)
    assert exc.value.message_template == services.MSG_ACTION_REQUIRED


@pytest.mark.parametrize("state", ["submitted", "approved"])
def test_locked_states_cannot_be_edited(plan, officer, state):
    FollowUp.objects.filter(pk=plan.followup.pk).update(state=state, action="x")
    with pytest.raises(ServiceError) as exc:
        services.followup_update(
            followup=plan.followup, actor=officer, expected_version=None, action="Ændret"
        )
    assert exc.value.message_template == services.MSG_NOT_EDITABLE


def test_editing_only_while_plan_round_open(plan, officer, secretariat):
    services.round_close(round=plan.round, actor=secretariat)
    with pytest.raises(ServiceError) as exc:
        services.followup_update(
            followup=plan.followup, actor=officer, expected_version=None, action="For sent"
        )
    assert exc.value.message_template == services.MSG_NO_OPEN_PLAN


def test_other_department_cannot_edit_or_approve(plan, officer):
    outsider = MembershipFactory(department=DepartmentFactory(), role="manager").user
    with pytest.raises(PermissionDenied):
        services.followup_update(
            followup=plan.followup, actor=outsider, expected_version=None, action="Hack"
        )
    services.followup_update(
        followup=plan.followup, actor=officer, expected_version=None, action="Ok"
    )
    services.followup_submit(followup=plan.followup, actor=officer)
    with pytest.raises(PermissionDenied):
        services.followup_approve(followup=plan.followup, actor=outsider)
    with pytest.raises(PermissionDenied):
        services.followup_approve(followup=plan.followup, actor=officer)  # not a manager


def test_council_member_cannot_write(plan, council):
    with pytest.raises(PermissionDenied):
        services.followup_update(
            followup=plan.followup, actor=council, expected_version=None, action="x"
        )


def test_stale_version_is_a_conflict_and_nothing_changes(plan, officer):
    services.followup_update(
        followup=plan.followup, actor=officer, expected_version=1, action="A's text"
    )
    with pytest.raises(ConflictError) as exc:
        services.followup_update(
            followup=plan.followup, actor=officer, expected_version=1, action="B's text"
        )
    assert exc.value.current.action == "A's text"
    plan.followup.refresh_from_db()
    assert plan.followup.action == "A's text"
    assert plan.followup.history.count() == 2


# --- target dates -----------------------------------------------------------------------------


def test_moving_target_date_later_needs_reason_and_keeps_original(plan, officer):
    f = services.followup_update(
        followup=plan.followup,
        actor=officer,
        expected_version=None,
        action="x",
        target_date=D(2031, 1, 1),
    )
    assert not TargetDateChange.objects.exists()
    with pytest.raises(ServiceError) as exc:
        services.followup_move_target_date(
            followup=f, actor=officer, new_date=D(2031, 6, 1), reason=""
        )
    assert exc.value.message_template == services.MSG_DATE_REASON_REQUIRED
    f = services.followup_move_target_date(
        followup=f, actor=officer, new_date=D(2031, 6, 1), reason="Leverandøren er forsinket"
    )
    assert f.original_target_date == D(2031, 1, 1) and f.target_date == D(2031, 6, 1)
    assert f.target_date_moved
    change = TargetDateChange.objects.get()
    assert (change.old_date, change.new_date, change.changed_by) == (
        D(2031, 1, 1),
        D(2031, 6, 1),
        officer,
    )
    assert_one_new_history_row(change, before=0, user=officer, kind="+")
    f = services.followup_move_target_date(
        followup=f, actor=officer, new_date=D(2031, 9, 1), reason="Igen"
    )
    assert f.original_target_date == D(2031, 1, 1)
    with pytest.raises(ServiceError) as exc:
        services.followup_move_target_date(
            followup=f, actor=officer, new_date=D(2031, 9, 1), reason="x"
        )
    assert exc.value.message_template == services.MSG_DATE_UNCHANGED


def test_update_with_later_date_needs_reason(plan, officer):
    f = services.followup_update(
        followup=plan.followup,
        actor=officer,
        expected_version=None,
        action="x",
        target_date=D(2031, 1, 1),
    )
    with pytest.raises(ServiceError):
        services.followup_update(
            followup=f, actor=officer, expected_version=None, action="x", target_date=D(2031, 2, 1)
        )
    f = services.followup_update(
        followup=f, actor=officer, expected_version=None, action="x", target_date=D(2030, 12, 1)
    )
    assert f.target_date == D(2030, 12, 1) and f.original_target_date == D(2031, 1, 1)


def test_progress_read_model_keeps_the_target_date_in_step(plan, officer):
    """Overdue is answered from the read model's copy of the target date: every service
    that sets or moves the date moves the copy, and a refused move leaves both."""

    def copy_of(followup):
        return FollowUpProgress.objects.get(followup=followup).target_date

    assert copy_of(plan.followup) is None
    f = services.followup_update(
        followup=plan.followup,
        actor=officer,
        expected_version=None,
        action="x",
        target_date=D(2031, 1, 1),
    )
    assert copy_of(f) == D(2031, 1, 1)
    f = services.followup_move_target_date(
        followup=f, actor=officer, new_date=D(2031, 6, 1), reason="Forsinket"
    )
    assert copy_of(f) == D(2031, 6, 1)
    with pytest.raises(ServiceError):  # later without a reason: refused, nothing moves
        services.followup_move_target_date(
            followup=f, actor=officer, new_date=D(2032, 1, 1), reason=""
        )
    assert copy_of(f) == D(2031, 6, 1)
    f = services.followup_update(
        followup=f, actor=officer, expected_version=None, action="x", target_date=D(2030, 5, 1)
    )
    assert copy_of(f) == D(2030, 5, 1)
    # What a full refresh computes is what the services kept.
    services.followup_progress_refresh(followup_ids=[f.pk])
    assert copy_of(f) == D(2030, 5, 1)

    def overdue_on(day, on_progress):
        return FollowUp.objects.overdue(today=day, on_progress=on_progress).filter(pk=f.pk)

    for on_progress in (True, False):  # the copy and the follow-up's own date agree
        assert overdue_on(D(2030, 6, 1), on_progress).exists()
        assert not overdue_on(D(2030, 4, 1), on_progress).exists()
    assert FollowUpProgress.objects.overdue(today=D(2030, 6, 1)).filter(followup=f).exists()
    # A date once set is not removed (that would let a later date in without a reason).
    with pytest.raises(ServiceError) as refused:
        services.followup_update(
            followup=f, actor=officer, expected_version=None, action="x", target_date=None
        )
    assert refused.value.message_template == services.MSG_DATE_NOT_REMOVABLE
    assert copy_of(f) == D(2030, 5, 1)


def test_the_reason_rule_cannot_be_bypassed_and_dates_stay_in_range(plan, officer):
    """Clearing the date and then setting a later one would move it without a reason (issue
    25.4); years like 0001 and 9999 are refused at the target date field."""
    f = services.followup_update(
        followup=plan.followup,
        actor=officer,
        expected_version=None,
        action="x",
        target_date=D(2031, 1, 1),
    )
    with pytest.raises(ServiceError):
        services.followup_update(
            followup=f, actor=officer, expected_version=None, action="x", target_date=None
        )
    with pytest.raises(ServiceError) as refused:
        services.followup_update(
            followup=f,
            actor=officer,
            expected_version=None,
            action="x",
            target_date=D(2032, 1, 1),
        )
    assert refused.value.message_template == services.MSG_DATE_REASON_REQUIRED
    assert refused.value.on_field == "target_date_reason"
    for year in (1, 9999, plan.report.year - 11, plan.report.year + 11):
        with pytest.raises(ServiceError) as refused:
            services.followup_update(
                followup=f,
                actor=officer,
                expected_version=None,
                action="x",
                target_date=D(year, 1, 1),
                target_date_reason="Flyttet",
            )
        assert refused.value.message_template == services.MSG_DATE_OUT_OF_RANGE
        assert refused.value.on_field == "target_date"
    f.refresh_from_db()
    assert f.target_date == D(2031, 1, 1) and not TargetDateChange.objects.filter(followup=f)


def test_database_requires_date_change_reason(plan, officer):
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetDateChange.objects.create(
            followup=plan.followup,
            old_date=D(2030, 1, 1),
            new_date=D(2030, 2, 1),
            reason="",
            changed_by=officer,
        )


# --- status updates ---------------------------------------------------------------------------


@pytest.fixture
def status_round(plan, approved_followup, secretariat):
    return services.round_open(
        actor=secretariat, report=plan.report, name="Status", kind="status", deadline=D(2031, 12, 1)
    )


def test_status_update_create_and_edit(plan, officer, status_round):
    s = services.status_update_save(
        followup=plan.followup,
        round=status_round,
        actor=officer,
        status="in_progress",
        text="I gang",
    )
    assert_one_new_history_row(s, before=0, user=officer, kind="+")
    s = services.status_update_save(
        followup=plan.followup,
        round=status_round,
        actor=officer,
        status="done",
        text="Færdig",
        expected_version=1,
    )
    assert s.version == 2 and StatusUpdate.objects.count() == 1
    assert assert_one_new_history_row(s, before=1, user=officer).status == "done"
    with pytest.raises(ConflictError):
        services.status_update_save(
            followup=plan.followup,
            round=status_round,
            actor=officer,
            status="paused",
            text="",
            expected_version=1,
        )


def test_status_refusals(plan, officer, status_round, secretariat):
    with pytest.raises(ServiceError) as exc:
        services.status_update_save(
            followup=plan.followup, round=status_round, actor=officer, status="dropped", text=" "
        )
    assert exc.value.message_template == services.MSG_STATUS_REASON_REQUIRED
    with pytest.raises(ServiceError):
        services.status_update_save(
            followup=plan.followup, round=status_round, actor=officer, status="finished", text=""
        )
    with pytest.raises(ServiceError) as exc:
        services.status_update_save(
            followup=plan.followup, round=plan.round, actor=officer, status="done", text=""
        )
    assert exc.value.message_template == services.MSG_NOT_STATUS_ROUND
    other = RoundFactory(kind="status")
    with pytest.raises(ServiceError) as exc:
        services.status_update_save(
            followup=plan.followup, round=other, actor=officer, status="done", text=""
        )
    assert exc.value.message_template == services.MSG_WRONG_REPORT
    services.round_close(round=status_round, actor=secretariat)
    with pytest.raises(ServiceError) as exc:
        services.status_update_save(
            followup=plan.followup, round=status_round, actor=officer, status="done", text=""
        )
    assert exc.value.message_template == services.MSG_ROUND_NOT_OPEN
    assert not StatusUpdate.objects.exists()


def test_status_needs_approved_followup(plan, officer, secretariat):
    FollowUp.objects.filter(pk=plan.followup.pk).update(state="draft")
    services.round_close(round=plan.round, actor=secretariat)
    round = services.round_open(
        actor=secretariat, report=plan.report, name="Status", kind="status", deadline=D(2031, 1, 1)
    )
    with pytest.raises(ServiceError) as exc:
        services.status_update_save(
            followup=plan.followup, round=round, actor=officer, status="done", text=""
        )
    assert exc.value.message_template == services.MSG_NOT_APPROVED


def test_status_other_department_refused(plan, status_round):
    outsider = MembershipFactory(department=DepartmentFactory()).user
    with pytest.raises(PermissionDenied):
        services.status_update_save(
            followup=plan.followup, round=status_round, actor=outsider, status="done", text=""
        )


def test_dropped_status_needs_text_in_database(plan, status_round):
    with pytest.raises(IntegrityError), transaction.atomic():
        StatusUpdate.objects.create(
            followup=plan.followup,
            round=status_round,
            status="dropped",
            text="",
            author=UserFactory(),
            reported_on=D(2031, 1, 1),
        )


# --- adopted follow-ups recorded by the secretariat (imports) -----------------------------


def test_followup_record_approved_with_text_draft_without(secretariat):
    named, other = DepartmentFactory(), DepartmentFactory()
    rec = RecommendationFactory(named=[named])
    f = services.followup_record(
        recommendation=rec, department=named, action="  - Ny skabelon  ", actor=secretariat
    )
    assert (f.state, f.action, f.version) == (FollowUp.State.APPROVED, "- Ny skabelon", 1)
    assert_one_new_history_row(f, before=0, user=secretariat, kind="+")
    org_wide = RecommendationFactory()
    empty = services.followup_record(
        recommendation=org_wide, department=other, action=" ", actor=secretariat
    )
    assert (empty.state, empty.action) == (FollowUp.State.DRAFT, "")


def test_followup_record_refusals(secretariat, officer, department):
    sub = DepartmentFactory(parent=department)
    outside = DepartmentFactory(name="Kultur")
    rec = RecommendationFactory(named=[department])

    def record(dept, actor=secretariat, action="x"):
        return services.followup_record(
            recommendation=rec, department=dept, action=action, actor=actor
        )

    with pytest.raises(PermissionDenied):
        record(department, actor=officer)
    with pytest.raises(ServiceError) as exc:
        record(outside)
    assert exc.value.message_template == services.MSG_NOT_CONCERNED
    assert "Kultur" in exc.value.message
    # A sub-department of a named department is concerned.
    record(sub)
    record(department)
    with pytest.raises(ServiceError) as exc:
        record(department, action="y")
    assert exc.value.message_template == services.MSG_FOLLOWUP_EXISTS
    assert FollowUp.objects.filter(recommendation=rec).count() == 2


# --- issue 19: the first status carries a version; text limits --------------------------------


def test_first_status_expects_version_zero(plan, officer, status_round):
    save = partial(
        services.status_update_save, followup=plan.followup, round=status_round, actor=officer
    )
    with pytest.raises(ServiceError):  # a version of a status that does not exist
        save(status="done", text="", expected_version=1)
    first = save(status="in_progress", text="Først", expected_version=services.NO_STATUS_VERSION)
    assert first.version == 1
    # A second form loaded before the first status was saved: a conflict, not an overwrite.
    with pytest.raises(ConflictError) as exc:
        save(status="done", text="Også først", expected_version=services.NO_STATUS_VERSION)
    assert exc.value.current.text == "Først"
    assert StatusUpdate.objects.get().text == "Først"
    assert StatusUpdate.objects.get().history.count() == 1


def test_workflow_checks_permission_before_version(plan, officer, council):
    services.followup_update(followup=plan.followup, actor=officer, expected_version=1, action="x")
    with pytest.raises(PermissionDenied):
        services.followup_submit(followup=plan.followup, actor=council, expected_version=99)
    with pytest.raises(ConflictError):
        services.followup_submit(followup=plan.followup, actor=officer, expected_version=1)
    assert FollowUp.objects.get(pk=plan.followup.pk).state == FollowUp.State.DRAFT


TOO_LONG = "x" * 10_001


def test_texts_over_the_limit_are_danish_service_errors(plan, officer, manager, status_round):
    from django.utils import translation

    followup = services.followup_move_target_date(
        followup=plan.followup, actor=officer, new_date=D(2039, 1, 1), reason=""
    )  # sets the first target date: no move to give a reason for
    writes = [
        (
            "Statustekst",
            lambda: services.status_update_save(
                followup=followup,
                round=status_round,
                actor=officer,
                status="in_progress",
                text=TOO_LONG,
                expected_version=0,
            ),
        ),
        (
            "Begrundelse",
            lambda: services.followup_move_target_date(
                followup=followup, actor=officer, new_date=D(2040, 1, 1), reason=TOO_LONG
            ),
        ),
    ]
    for label, write in writes:
        with translation.override("da"), pytest.raises(ServiceError) as exc:
            write()
        assert exc.value.message.startswith(label), exc.value.message
        assert "højst 10.000 tegn" in exc.value.message
    assert not StatusUpdate.objects.exists() and not TargetDateChange.objects.exists()


def test_action_and_return_comment_over_the_limit_are_refused(plan, officer, manager):
    from django.utils import translation

    with translation.override("da"), pytest.raises(ServiceError) as exc:
        services.followup_update(
            followup=plan.followup, actor=officer, expected_version=1, action=TOO_LONG
        )
    assert exc.value.message.startswith("Opfølgning:")
    services.followup_update(followup=plan.followup, actor=officer, expected_version=1, action="x")
    services.followup_submit(followup=plan.followup, actor=officer, expected_version=2)
    with pytest.raises(ServiceError):
        services.followup_return(
            followup=plan.followup, actor=manager, comment=TOO_LONG, expected_version=3
        )
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    assert (followup.state, followup.version, followup.return_comment) == ("submitted", 3, "")
