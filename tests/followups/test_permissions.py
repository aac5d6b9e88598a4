"""followups.permissions: one answer to "may this user do that with this follow-up", for
each role and state, and the refusals the services raise on the locked row."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from core.errors import ServiceError
from followups import services
from followups.models import FollowUp, FollowUpRound
from followups.permissions import (
    MSG_NO_APPROVE_PERMISSION,
    MSG_NO_EDIT_PERMISSION,
    MSG_NO_OPEN_PLAN,
    MSG_NOT_EDITABLE,
    FollowUpPermissions,
)
from tests import factories

ABILITIES = [
    "can_edit",
    "can_submit",
    "can_approve",
    "can_return",
    "can_move_date",
    "can_report_status",
    "can_restore",
    "can_place",
]


@pytest.fixture
def users(department, other_department, officer, manager, secretariat, ombudsman, council):
    inactive = factories.MembershipFactory(department=department, role="manager").user
    inactive.is_active = False
    inactive.save()
    return {
        "officer": officer,
        "manager": manager,
        "secretariat": secretariat,
        "ombudsman": ombudsman,
        "council": council,
        "other officer": factories.MembershipFactory(department=other_department).user,
        "other manager": factories.MembershipFactory(
            department=other_department, role="manager"
        ).user,
        "inactive manager": inactive,
        "anonymous": AnonymousUser(),
    }


def abilities(user, followup) -> set[str]:
    permissions = FollowUpPermissions.of(user, followup)
    return {name for name in ABILITIES if getattr(permissions, name)}


def set_state(followup: FollowUp, state: str, target_date=None) -> FollowUp:
    followup.state = state
    followup.action = followup.action or "Vi ringer tilbage."
    if state == FollowUp.State.RETURNED:
        followup.return_comment = "Mere konkret."
    followup.target_date = target_date
    followup.save()
    return followup


# Open plan round: who may do what, by the follow-up's state.
EXPECTED_PLAN_OPEN = {
    "draft": {
        "officer": {"can_edit", "can_submit"},
        "manager": {"can_edit", "can_submit"},
        "secretariat": {"can_edit", "can_submit", "can_restore"},
    },
    "returned": {
        "officer": {"can_edit", "can_submit"},
        "manager": {"can_edit", "can_submit"},
        "secretariat": {"can_edit", "can_submit", "can_restore"},
    },
    "submitted": {
        "officer": set(),
        "manager": {"can_approve", "can_return"},
        "secretariat": {"can_approve", "can_return", "can_restore"},
    },
    "approved": {
        "officer": set(),
        "manager": {"can_return"},
        "secretariat": {"can_return", "can_restore"},
    },
}


@pytest.mark.parametrize("state", list(EXPECTED_PLAN_OPEN))
def test_each_role_in_each_state_while_the_plan_round_is_open(plan, users, state):
    followup = set_state(plan.followup, state)
    for name, user in users.items():
        expected = EXPECTED_PLAN_OPEN[state].get(name, set())
        assert abilities(user, followup) == expected, (name, state)


def test_a_target_date_can_be_moved_by_the_department_at_any_time(plan, users, secretariat):
    followup = set_state(plan.followup, "approved", datetime.date(2031, 5, 1))
    services.round_close(round=plan.round, actor=secretariat)
    movers = {n for n, u in users.items() if FollowUpPermissions.of(u, followup).can_move_date}
    assert movers == {"officer", "manager", "secretariat"}
    set_state(followup, "approved", None)
    assert not FollowUpPermissions.of(users["officer"], followup).can_move_date


def test_with_the_plan_round_closed_nothing_is_written_or_decided(plan, users, secretariat):
    services.round_close(round=plan.round, actor=secretariat)
    followup = set_state(plan.followup, "submitted")
    for user in users.values():
        assert abilities(user, followup) <= {"can_restore"}
    with pytest.raises(ServiceError) as exc:
        FollowUpPermissions.of(users["manager"], followup).require_plan_open()
    assert exc.value.message_template == MSG_NO_OPEN_PLAN


def test_statuses_are_reported_on_approved_follow_ups_in_an_open_status_round(
    plan, users, secretariat
):
    services.round_close(round=plan.round, actor=secretariat)
    followup = set_state(plan.followup, "approved")
    factories.RoundFactory(
        report=plan.report, kind=FollowUpRound.Kind.STATUS, state=FollowUpRound.State.OPEN
    )
    reporters = {
        n for n, u in users.items() if FollowUpPermissions.of(u, followup).can_report_status
    }
    assert reporters == {"officer", "manager", "secretariat"}
    set_state(followup, "returned")
    assert not FollowUpPermissions.of(users["officer"], followup).can_report_status


def test_a_line_awaiting_placement_is_the_secretariats(plan, users):
    unplaced = factories.FollowUpFactory(
        recommendation=plan.recommendation, department=None, action="En linje", state="approved"
    )
    placers = {n for n, u in users.items() if FollowUpPermissions.of(u, unplaced).can_place}
    assert placers == {"secretariat"}
    assert abilities(users["officer"], unplaced) == set()
    assert not FollowUpPermissions.of(users["secretariat"], plan.followup).can_place


def test_rounds_given_by_the_caller_are_used_without_a_query(
    plan, officer, django_assert_num_queries
):
    rounds = list(FollowUpRound.objects.filter(report=plan.report))
    permissions = FollowUpPermissions.of(officer, plan.followup, rounds=rounds)
    with django_assert_num_queries(0):
        assert permissions.can_edit and permissions.plan_open and not permissions.status_open


def test_the_refusals_carry_the_services_messages(plan, users):
    followup = set_state(plan.followup, "submitted")
    with pytest.raises(PermissionDenied) as denied:
        FollowUpPermissions.of(users["other officer"], followup).require_edit()
    assert denied.value.args[0] == MSG_NO_EDIT_PERMISSION
    with pytest.raises(PermissionDenied) as denied:
        FollowUpPermissions.of(users["officer"], followup).require_approver()
    assert denied.value.args[0] == MSG_NO_APPROVE_PERMISSION
    with pytest.raises(ServiceError) as refused:
        FollowUpPermissions.of(users["officer"], followup).require_edit()
    assert refused.value.message_template == MSG_NOT_EDITABLE
    with pytest.raises(ServiceError) as refused:
        FollowUpPermissions.of(users["manager"], followup).require_transition("submitted")
    assert refused.value.message_template == services.MSG_TRANSITION


def test_the_service_rechecks_on_the_locked_row(plan, officer, manager):
    """A page loaded while the follow-up was a draft: the manager approved it meanwhile, so
    the officer's save is refused by the same rule the page used to show the button."""
    followup = plan.followup
    page = FollowUpPermissions.of(officer, followup)
    assert page.can_edit
    FollowUp.objects.filter(pk=followup.pk).update(state=FollowUp.State.APPROVED, action="x")
    with pytest.raises(ServiceError) as refused:
        services.followup_update(
            followup=followup, actor=officer, expected_version=followup.version, action="x"
        )
    assert refused.value.message_template == MSG_NOT_EDITABLE
