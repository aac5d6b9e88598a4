"""The progress read model (FollowUpProgress): kept in step by the services."""

import datetime

import pytest

from followups import services
from followups.models import FollowUp, FollowUpProgress
from tests import factories

pytestmark = pytest.mark.django_db
D = datetime.date


def snapshot() -> dict[int, tuple]:
    return {
        p.followup_id: (
            p.department_id,
            p.recommendation_id,
            p.latest_status,
            p.finished_on,
            p.published_status,
            p.published_finished_on,
            p.target_date,
        )
        for p in FollowUpProgress.objects.all()
    }


def assert_matches_full_refresh():
    """What the services left equals a recomputation from the status updates."""
    incremental = snapshot()
    services.followup_progress_refresh()
    assert snapshot() == incremental


@pytest.fixture
def approved(approved_followup):
    return approved_followup


def test_status_saves_rounds_and_deadlines_keep_progress_in_step(
    plan, approved, officer, secretariat
):
    # Created with the follow-up (services.round_open made the task): no status yet.
    progress = FollowUpProgress.objects.get()
    assert (progress.followup_id, progress.latest_status, progress.finished_on) == (
        approved.pk,
        "",
        None,
    )
    assert progress.recommendation_id == approved.recommendation_id
    assert list(FollowUp.objects.with_latest_status_in(["none"])) == [approved]
    assert FollowUp.objects.with_latest_status().get().latest_status is None
    assert_matches_full_refresh()
    first = services.round_open(
        actor=secretariat,
        report=plan.report,
        name="Status 1",
        kind="status",
        deadline=D(2031, 6, 1),
    )
    services.status_update_save(
        followup=approved, round=first, actor=officer, status="in_progress", text="I gang"
    )
    progress = FollowUpProgress.objects.get()
    assert (progress.latest_status, progress.finished_on) == ("in_progress", None)
    assert progress.department_id == approved.department_id

    # Editing the status in the same round: done on a given date.
    services.status_update_save(
        followup=approved,
        round=first,
        actor=officer,
        status="done",
        text="Gjort",
        reported_on=D(2031, 5, 20),
    )
    progress.refresh_from_db()
    assert (progress.latest_status, progress.finished_on) == ("done", D(2031, 5, 20))
    assert_matches_full_refresh()

    # A later round says paused: the latest status changes, the completion date stays.
    services.round_close(round=first, actor=secretariat)
    second = services.round_open(
        actor=secretariat,
        report=plan.report,
        name="Status 2",
        kind="status",
        deadline=D(2032, 6, 1),
    )
    services.status_update_save(
        followup=approved,
        round=second,
        actor=officer,
        status="paused",
        text="Sat i bero",
        reported_on=D(2032, 5, 1),
    )
    progress.refresh_from_db()
    assert (progress.latest_status, progress.finished_on) == ("paused", D(2031, 5, 20))
    assert list(FollowUp.objects.with_latest_status_in(["paused"])) == [approved]
    assert list(FollowUp.objects.finished()) == [approved]

    # Moving the second round's deadline before the first makes the first one the latest.
    services.round_update(
        round=second, actor=secretariat, name="Status 2", deadline=D(2031, 1, 1), meeting_date=None
    )
    progress.refresh_from_db()
    assert progress.latest_status == "done"
    assert_matches_full_refresh()


def test_published_columns_follow_the_publication_of_status_rounds(
    plan, approved, officer, secretariat
):
    """Read-only roles see published rounds' statuses only: the read model keeps those
    apart, and publishing a status round brings its statuses in."""
    first = services.round_open(
        actor=secretariat,
        report=plan.report,
        name="Status 1",
        kind="status",
        deadline=D(2031, 6, 1),
    )
    services.status_update_save(
        followup=approved,
        round=first,
        actor=officer,
        status="done",
        text="Gjort",
        reported_on=D(2031, 5, 20),
    )
    progress = FollowUpProgress.objects.get()
    assert (progress.latest_status, progress.finished_on) == ("done", D(2031, 5, 20))
    assert (progress.published_status, progress.published_finished_on) == ("", None)
    assert list(FollowUp.objects.finished()) == [approved]
    assert list(FollowUp.objects.finished(published_only=True)) == []
    assert list(FollowUp.objects.with_latest_status_in(["none"], published_only=True)) == [approved]
    services.round_close(round=first, actor=secretariat)
    progress.refresh_from_db()
    assert progress.published_status == ""  # closed is not published
    services.round_publish(round=first, actor=secretariat)
    progress.refresh_from_db()
    assert (progress.published_status, progress.published_finished_on) == (
        "done",
        D(2031, 5, 20),
    )
    assert list(FollowUp.objects.finished(published_only=True)) == [approved]
    assert list(
        FollowUp.objects.visible_to(
            secretariat, departments={approved.department_id}
        ).with_latest_status_in(["done"], published_only=True)
    ) == [approved]

    # A later, open round's status is seen by the office, not yet by the council.
    second = services.round_open(
        actor=secretariat,
        report=plan.report,
        name="Status 2",
        kind="status",
        deadline=D(2032, 6, 1),
    )
    services.status_update_save(
        followup=approved, round=second, actor=officer, status="paused", text="Sat i bero"
    )
    progress.refresh_from_db()
    assert (progress.latest_status, progress.published_status) == ("paused", "done")
    annotated = FollowUp.objects.with_latest_status(published_only=True).get()
    assert annotated.latest_status == "done"
    assert_matches_full_refresh()


def test_full_refresh_gives_every_follow_up_a_row(plan, approved):
    status = factories.StatusUpdateFactory(followup=approved, status="done", text="Gjort")
    other = factories.FollowUpFactory()
    FollowUpProgress.objects.filter(followup=other).update(latest_status="done")  # stale
    FollowUpProgress.objects.filter(followup=approved).delete()  # missing
    assert services.followup_progress_refresh() == 2
    assert set(FollowUpProgress.objects.values_list("followup_id", "latest_status")) == {
        (status.followup_id, "done"),
        (other.pk, ""),
    }


def test_services_creating_follow_ups_give_them_a_row(plan, department, secretariat):
    """Tasks of a plan round and follow-ups recorded from an imported plan."""
    recommendation = factories.RecommendationFactory(report=plan.report, named=[department])
    recorded = services.followup_record(
        recommendation=recommendation, department=department, action="Vi gør det", actor=secretariat
    )
    rows = dict(FollowUpProgress.objects.values_list("followup_id", "latest_status"))
    assert rows == {plan.followup.pk: "", recorded.pk: ""}
    assert_matches_full_refresh()


def test_department_on_the_read_model_gives_the_same_follow_ups(
    department, other_department, secretariat, manager
):
    """visible_to(…, on_progress=True) reads the department from the read model: the same
    follow-ups as filtering their own department, and still only the user's own."""
    rows = []
    for dept in (department, other_department):
        for status in ("done", "paused", None):
            f = factories.FollowUpFactory(department=dept, state="approved", action="x")
            if status:
                factories.StatusUpdateFactory(followup=f, status=status, text="t")
            rows.append(f)
    both = {department.pk, other_department.pk}
    for statuses in (["done"], ["paused", "none"], ["none"]):
        for ids in ({department.pk}, {other_department.pk}, both):
            on_progress = FollowUp.objects.visible_to(
                secretariat, departments=ids, on_progress=True
            ).with_latest_status_in(statuses)
            plain = FollowUp.objects.with_latest_status_in(statuses).filter(department_id__in=ids)
            assert set(on_progress) == set(plain), (statuses, ids)
            assert on_progress.count() == plain.count() > 0
        # A manager of `department` asking for both departments gets only their own.
        own = FollowUp.objects.visible_to(manager, departments=both, on_progress=True)
        assert set(own.with_latest_status_in(statuses)) == set(
            FollowUp.objects.with_latest_status_in(statuses).filter(department=department)
        )
        assert not FollowUp.objects.visible_to(
            manager, departments={other_department.pk}, on_progress=True
        ).exists()


def test_refresh_progress_command_repairs_the_read_model(plan, approved):
    from io import StringIO

    from django.core.management import call_command

    factories.StatusUpdateFactory(followup=approved, status="done", text="Gjort")
    FollowUpProgress.objects.all().delete()  # e.g. after a repair in SQL
    out = StringIO()
    call_command("refresh_progress", stdout=out)
    assert out.getvalue().startswith("1 follow-ups, in")
    assert list(FollowUp.objects.finished()) == [approved]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_status_save_and_deadline_move_released_together(secretariat):
    """Both refresh the same progress row; the locks serialise them (no error, no deadlock)
    and the read model ends as a full recomputation gives it."""
    import threading

    from django.db import connection

    from tests.factories import (
        DepartmentFactory,
        MembershipFactory,
        approve_and_publish,
        open_plan,
    )

    department = DepartmentFactory()
    officer = MembershipFactory(department=department).user
    manager = MembershipFactory(department=department, role="manager").user
    plan = open_plan(department=department, actor=secretariat)
    f = approve_and_publish(plan, officer=officer, manager=manager, secretariat=secretariat)
    round = services.round_open(
        actor=secretariat, report=plan.report, name="Status", kind="status", deadline=D(2031, 6, 1)
    )
    services.status_update_save(
        followup=f, round=round, actor=officer, status="planned", text="Planlagt"
    )
    for attempt in range(5):
        barrier = threading.Barrier(2)
        errors: list[Exception] = []

        def run(work, barrier=barrier, errors=errors) -> None:
            try:
                barrier.wait()
                work()
            except Exception as exc:  # noqa: BLE001 - any error fails the test below
                errors.append(exc)
            finally:
                connection.close()

        def save_status(n=attempt):
            services.status_update_save(
                followup=f, round=round, actor=officer, status="in_progress", text=f"{n}"
            )

        def move_deadline(n=attempt):
            services.round_update(
                round=round,
                actor=secretariat,
                name="Status",
                deadline=D(2031, 6, 2 + n),
                meeting_date=None,
            )

        threads = [threading.Thread(target=run, args=(w,)) for w in (save_status, move_deadline)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
    assert FollowUpProgress.objects.get().latest_status == "in_progress"
    assert_matches_full_refresh()


def test_read_model_rows_visible_to_a_user_are_their_follow_ups_rows(
    department, other_department, secretariat, manager, officer, council, ombudsman
):
    """FollowUpProgress.objects.visible_to says the access rule on the read model's copies of
    the department and report: the same follow-ups as FollowUp.objects.visible_to, for
    every role, with and without a department filter."""
    import datetime as dt

    published, unpublished = factories.AnnualReportFactory(), factories.AnnualReportFactory()
    factories.RoundFactory(
        report=published, state="published", published_at=dt.datetime.now(dt.UTC)
    )
    factories.RoundFactory(report=unpublished, state="open")
    for report in (published, unpublished):
        for dept in (department, other_department):
            recommendation = factories.RecommendationFactory(report=report, named=[dept])
            factories.FollowUpFactory(recommendation=recommendation, department=dept)
    followups = {
        (f.recommendation.report_id, f.department_id): f.pk for f in FollowUp.objects.all()
    }
    own = {followups[published.pk, department.pk], followups[unpublished.pk, department.pk]}
    plans = {followups[published.pk, department.pk], followups[published.pk, other_department.pk]}
    expected = {
        secretariat: set(followups.values()),
        ombudsman: set(followups.values()),
        manager: own,
        officer: own,
        council: plans,
    }
    for user, pks in expected.items():
        assert set(FollowUp.objects.visible_to(user).values_list("pk", flat=True)) == pks
    users = (secretariat, manager, officer, council, ombudsman)
    for user in users:
        for departments in (None, {department.pk}, {other_department.pk}, set()):
            rows = FollowUpProgress.objects.visible_to(user, departments=departments)
            followups = FollowUp.objects.visible_to(user, departments=departments)
            assert set(rows.values_list("followup_id", flat=True)) == set(
                followups.values_list("pk", flat=True)
            ), (user, departments)
    # The rule itself: the manager their own department's, the council published plans'.
    assert {p.department_id for p in FollowUpProgress.objects.visible_to(manager)} == {
        department.pk
    }
    assert {p.report_id for p in FollowUpProgress.objects.visible_to(council)} == {published.pk}
