"""A follow-up assigned to a member of its department (issue 21.5): the service's rule, the
event, the history, the conflict merge, restore and assigning after approval."""

import datetime
from collections import defaultdict

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core import events
from core.errors import ServiceError
from followups import services
from followups.history import followup_history_entries
from followups.models import FollowUp
from followups.permissions import FollowUpPermissions
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory, open_plan

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def assigned(monkeypatch):
    """The `followup_assigned` events emitted (after commit), as (follow-up id, actor)."""
    monkeypatch.setattr(events, "_handlers", defaultdict(list))
    seen: list[tuple[int, object]] = []
    events.on("followup_assigned", lambda *, followup, actor: seen.append((followup.pk, actor)))
    return seen


def update(followup, actor, **fields):
    return services.followup_update(
        followup=followup, actor=actor, expected_version=None, action="Handling", **fields
    )


def test_a_member_of_the_department_is_assigned_with_history_and_one_event(
    plan, officer, manager, assigned, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        saved = update(plan.followup, manager, assignee=officer)
    assert saved.assignee == officer
    assert assigned == [(saved.pk, manager)]
    entry = followup_history_entries(saved, user=manager)[0]
    assert entry.user == manager
    change = next(c for c in entry.changes if c.field == "assignee")
    assert (change.old, change.new) == ("", officer.get_full_name())
    # Saving again with the same assignee announces nothing.
    with django_capture_on_commit_callbacks(execute=True):
        update(saved, officer, assignee=officer, responsible="Team")
    assert len(assigned) == 1


def test_unassigning_announces_nothing(
    plan, officer, manager, assigned, django_capture_on_commit_callbacks
):
    saved = update(plan.followup, manager, assignee=officer)
    with django_capture_on_commit_callbacks(execute=True):
        saved = update(saved, manager, assignee=None)
    assert saved.assignee is None
    assert assigned == []


def test_another_departments_user_is_refused_and_nothing_is_written(plan, manager, assigned):
    outsider = MembershipFactory(department=DepartmentFactory()).user
    versions = plan.followup.history.count()
    with pytest.raises(ServiceError) as refused:
        update(plan.followup, manager, assignee=outsider)
    assert refused.value.on_field == "assignee"
    assert refused.value.message == services.MSG_ASSIGNEE_NOT_MEMBER % {
        "name": outsider.get_full_name(),
        "department": plan.followup.department.name,
    }
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    assert (followup.assignee, followup.version) == (None, 1)
    assert followup.history.count() == versions
    assert assigned == []


def test_members_of_a_unit_above_count_not_of_units_below_nor_inactive_users(manager):
    parent = DepartmentFactory()
    department = DepartmentFactory(parent=parent)
    below = DepartmentFactory(parent=department)
    secretariat = UserFactory(roles=["secretariat"])

    followup = open_plan(department=department, actor=secretariat).followup
    from_above = MembershipFactory(department=parent).user
    assert update(followup, secretariat, assignee=from_above).assignee == from_above
    only_below = MembershipFactory(department=below).user
    inactive = MembershipFactory(department=department, user=UserFactory(is_active=False)).user
    for user in (only_below, inactive, secretariat):
        with pytest.raises(ServiceError):
            update(followup, secretariat, assignee=user)


def test_a_member_who_left_can_be_kept_but_not_given_it_again(plan, officer, manager):
    saved = update(plan.followup, manager, assignee=officer)
    officer.memberships.all().delete()
    kept = update(saved, manager, assignee=officer, responsible="Andre")
    assert kept.assignee == officer
    unassigned = update(kept, manager, assignee=None)
    with pytest.raises(ServiceError):
        update(unassigned, manager, assignee=officer)


def test_assigning_after_approval(approved_followup, officer, manager, council, assigned):
    followup = approved_followup
    assert not FollowUpPermissions.of(manager, followup).can_edit
    assert FollowUpPermissions.of(manager, followup).can_assign
    saved = services.followup_assign(
        followup=followup, actor=manager, assignee=officer, expected_version=followup.version
    )
    assert (saved.assignee, saved.state, saved.version) == (
        officer,
        FollowUp.State.APPROVED,
        followup.version + 1,
    )
    # The same assignee again writes nothing.
    again = services.followup_assign(followup=saved, actor=officer, assignee=officer)
    assert again.version == saved.version
    with pytest.raises(PermissionDenied):
        services.followup_assign(followup=saved, actor=council, assignee=None)
    other_manager = MembershipFactory(department=DepartmentFactory(), role="manager").user
    with pytest.raises(PermissionDenied):
        services.followup_assign(followup=saved, actor=other_manager, assignee=None)


def test_the_assign_form_on_an_approved_follow_up(client, approved_followup, officer, manager):
    client.force_login(manager)
    page = client.get(approved_followup.get_absolute_url()).content.decode()
    assert reverse("followups:assign", args=[approved_followup.pk]) in page
    response = client.post(
        reverse("followups:assign", args=[approved_followup.pk]),
        {"version": approved_followup.version, "assignee": officer.pk},
    )
    assert response.status_code == 302
    assert FollowUp.objects.get(pk=approved_followup.pk).assignee == officer
    page = client.get(approved_followup.get_absolute_url()).content.decode()
    assert officer.get_full_name() in page
    outsider = MembershipFactory(department=DepartmentFactory()).user
    response = client.post(
        reverse("followups:assign", args=[approved_followup.pk]),
        {"version": approved_followup.version + 1, "assignee": outsider.pk},
    )
    assert response.status_code == 422
    assert FollowUp.objects.get(pk=approved_followup.pk).assignee == officer


def test_a_council_member_cannot_assign(client, approved_followup, council):
    client.force_login(council)
    response = client.post(
        reverse("followups:assign", args=[approved_followup.pk]),
        {"version": approved_followup.version, "assignee": ""},
    )
    assert response.status_code == 403


def edit_data(followup, **overrides):
    data = {
        "version": followup.version,
        "action": followup.action,
        "responsible": followup.responsible,
        "assignee": followup.assignee_id or "",
        "target_date": "",
        "target_date_reason": "",
    }
    data.update(overrides)
    return data


def test_the_edit_form_offers_the_departments_members(client, plan, officer, manager):
    outsider = MembershipFactory(department=DepartmentFactory()).user
    client.force_login(manager)
    url = reverse("followups:edit", args=[plan.followup.pk])
    form = client.get(url).context["form"]
    assert set(form.fields["assignee"].queryset) == {officer, manager}
    response = client.post(url, edit_data(plan.followup, assignee=outsider.pk))
    assert response.status_code == 422
    response = client.post(url, edit_data(plan.followup, assignee=officer.pk))
    assert response.status_code == 302
    assert FollowUp.objects.get(pk=plan.followup.pk).assignee == officer


def test_a_conflict_merges_one_users_assignee_with_the_others_action(
    client, plan, officer, manager
):
    client.force_login(officer)
    stale = edit_data(plan.followup, action="Min tekst")
    # Meanwhile the manager assigns the follow-up.
    services.followup_update(
        followup=plan.followup,
        actor=manager,
        expected_version=plan.followup.version,
        action=plan.followup.action,
        assignee=officer,
    )
    response = client.post(reverse("followups:edit", args=[plan.followup.pk]), stale)
    assert response.status_code == 302
    saved = FollowUp.objects.get(pk=plan.followup.pk)
    assert (saved.action, saved.assignee) == ("Min tekst", officer)


def test_both_changing_the_assignee_is_a_choice_showing_names(client, plan, officer, manager):
    client.force_login(officer)
    stale = edit_data(plan.followup, assignee=officer.pk)
    services.followup_update(
        followup=plan.followup,
        actor=manager,
        expected_version=plan.followup.version,
        action=plan.followup.action,
        assignee=manager,
    )
    response = client.post(reverse("followups:edit", args=[plan.followup.pk]), stale)
    assert response.status_code == 409
    page = response.content.decode()
    assert officer.get_full_name() in page and manager.get_full_name() in page
    assert 'name="keep_assignee"' in page
    assert FollowUp.objects.get(pk=plan.followup.pk).assignee == manager


def test_restore_brings_back_the_assignee_if_still_a_member(
    plan, officer, manager, secretariat, assigned, django_capture_on_commit_callbacks
):
    first = update(plan.followup, manager, assignee=officer)
    record = first.history.first()
    update(first, manager, assignee=manager)
    with django_capture_on_commit_callbacks(execute=True):
        restored = services.followup_restore(
            followup=first, history_id=record.history_id, actor=secretariat
        )
    assert restored.assignee == officer
    assert assigned[-1] == (restored.pk, secretariat)
    # Someone who has left the department is not brought back.
    update(restored, manager, assignee=manager)
    officer.memberships.all().delete()
    again = services.followup_restore(
        followup=restored, history_id=record.history_id, actor=secretariat
    )
    assert again.assignee == manager


def test_assigned_to_and_in_open_rounds(plan, officer, manager, secretariat):
    update(plan.followup, manager, assignee=officer)
    assert list(FollowUp.objects.assigned_to(officer)) == [plan.followup]
    assert list(FollowUp.objects.in_open_rounds()) == [plan.followup]
    services.round_close(round=plan.round, actor=secretariat)
    assert not FollowUp.objects.in_open_rounds().exists()
