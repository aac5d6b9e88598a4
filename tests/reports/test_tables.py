import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.history import save_tracked
from departments.access import system_user
from departments.models import Department
from reports.tables import ORGANISATION_HEADING, UNPLACED_NAME, build_table
from tests import factories


def flat(table):
    return [
        (section.heading, group.name, row.number, cell.department_name, cell.status)
        for section, group, row in table.recommendation_rows()
        for cell in row.followups
    ]


def test_sections_whole_organisation_first_then_departments(report_data, secretariat):
    table = build_table(report=report_data.report, user=secretariat, round=report_data.status_round)
    assert [s.heading for s in table.sections] == [
        ORGANISATION_HEADING,
        "Anbefalinger og handlinger som vedrører Ældreområdet",
    ]
    assert flat(table) == [
        (ORGANISATION_HEADING, "Telefontider", 1, "Børn og Unge", ""),
        (ORGANISATION_HEADING, "Telefontider", 1, "Ældreområdet", "done"),
        (
            "Anbefalinger og handlinger som vedrører Ældreområdet",
            "Klagesvar",
            2,
            "Ældreområdet",
            "",
        ),
    ]


def test_status_is_as_of_the_round(report_data, secretariat):
    table = build_table(report=report_data.report, user=secretariat, round=report_data.plan)
    assert all(status == "" for *_x, status in flat(table))


def test_department_filter(report_data, secretariat):
    table = build_table(report=report_data.report, user=secretariat, department=report_data.boern)
    assert flat(table) == [(ORGANISATION_HEADING, "Telefontider", 1, "Børn og Unge", "")]


def test_officer_sees_only_own_department(report_data):
    officer = factories.MembershipFactory(department=report_data.boern).user
    table = build_table(report=report_data.report, user=officer)
    assert [cell for *_x, cell, _s in flat(table)] == ["Børn og Unge"]


def test_council_does_not_see_unpublished_rounds(report_data, council):
    table = build_table(report=report_data.report, user=council, round=report_data.status_round)
    # The status round is only closed: its statuses stay hidden from the council.
    assert {status for *_x, status in flat(table)} == {""}
    assert len(flat(table)) == 3


@pytest.mark.parametrize("as_of", [False, True], ids=["live", "as-of"])
def test_query_count_does_not_grow_with_rows(report_data, secretariat, as_of):
    def grow(first: int) -> None:
        """Recommendations with a follow-up and a status each, with their history rows."""
        for number in range(first, first + 10):
            rec = factories.RecommendationFactory(
                report=report_data.report, number=number, named=[report_data.boern]
            )
            followup = factories.FollowUpFactory(
                recommendation=rec, department=report_data.boern, state="approved"
            )
            status = factories.StatusUpdateFactory(
                followup=followup, round=report_data.status_round, status="done", text="x"
            )
            for obj in (rec, followup, status):
                save_tracked(obj, actor=secretariat)

    def count():
        moment = timezone.now() if as_of else None
        with CaptureQueriesContext(connection) as ctx:
            table = build_table(
                report=report_data.report,
                user=secretariat,
                round=report_data.status_round,
                as_of=moment,
            )
        return len(ctx.captured_queries), len(flat(table))

    grow(10)
    count()  # the user's access is computed and cached on the first call
    before, rows = count()
    # Two of them read the follow-ups' attachments and the council's comments (collaboration).
    assert before <= (12 if as_of else 10)
    grow(20)
    after, more_rows = count()
    assert more_rows >= rows + 10
    assert after == before


def test_status_as_of_a_past_date_from_history(report_data, secretariat):
    # Factories do not write history rows; save through the tracked path once first.
    followup = report_data.org_followups[0]
    status = report_data.status
    for obj in (
        report_data.report,
        followup.recommendation,
        followup.recommendation.theme,
        followup,
        report_data.org_followups[1],
        status,
        report_data.status_round,
        report_data.aeldre,
        report_data.boern,
    ):
        save_tracked(obj, actor=secretariat)
    moment = timezone.now()
    later = moment + datetime.timedelta(seconds=5)
    followup.action = "Ny handling."
    save_tracked(followup, actor=secretariat)
    status.text = "Ændret status."
    save_tracked(status, actor=secretariat)
    from followups.models import FollowUp, StatusUpdate

    FollowUp.history.filter(action="Ny handling.").update(history_date=later)
    StatusUpdate.history.filter(text="Ændret status.").update(history_date=later)

    old = build_table(
        report=report_data.report, user=secretariat, round=report_data.status_round, as_of=moment
    )
    new = build_table(report=report_data.report, user=secretariat, round=report_data.status_round)
    old_cell = next(
        c
        for *_x, r in old.recommendation_rows()
        for c in r.followups
        if c.followup_id == followup.pk
    )
    new_cell = next(
        c
        for *_x, r in new.recommendation_rows()
        for c in r.followups
        if c.followup_id == followup.pk
    )
    assert old_cell.action == "- Ældreområdet udvider telefontiden."
    assert old_cell.status_text == "Telefontiden er udvidet."
    assert new_cell.action == "Ny handling."
    assert new_cell.status_text == "Ændret status."
    assert old.data_version() != new.data_version()


def test_system_user_sees_everything(report_data):
    table = build_table(report=report_data.report, user=system_user())
    assert len(flat(table)) == 3


@pytest.mark.parametrize("attr", ["action"])
def test_data_version_changes_with_data(report_data, secretariat, attr):
    before = build_table(report=report_data.report, user=secretariat).data_version()
    assert build_table(report=report_data.report, user=secretariat).data_version() == before
    followup = report_data.dept_followup
    setattr(followup, attr, "Noget andet.")
    followup.save()
    assert build_table(report=report_data.report, user=secretariat).data_version() != before


def test_council_as_of_sees_only_what_was_published_then(report_data, council, secretariat):
    from followups.models import FollowUpRound

    plan = report_data.plan
    plan.state = "closed"
    plan.published_at = None
    for obj in [
        report_data.report,
        report_data.aeldre,
        report_data.boern,
        *report_data.org_followups,
    ]:
        save_tracked(obj, actor=secretariat)
    save_tracked(report_data.dept_followup, actor=secretariat)
    rec = report_data.dept_followup.recommendation
    for obj in [rec, rec.theme, report_data.org_followups[0].recommendation]:
        save_tracked(obj, actor=secretariat)
    FollowUpRound.objects.filter(pk=plan.pk).update(state="closed", published_at=None)
    plan.refresh_from_db()
    save_tracked(plan, actor=secretariat)  # history: the plan was closed, not yet published
    moment = timezone.now()
    plan.state = "published"
    plan.published_at = moment + datetime.timedelta(seconds=1)
    save_tracked(plan, actor=secretariat)
    FollowUpRound.history.filter(state="published").update(
        history_date=moment + datetime.timedelta(seconds=1)
    )
    then = build_table(report=report_data.report, user=council, as_of=moment)
    assert flat(then) == []
    now = build_table(report=report_data.report, user=council)
    assert len(flat(now)) == 3
    # The secretariat sees the follow-ups as they stood then.
    assert len(flat(build_table(report=report_data.report, user=secretariat, as_of=moment))) == 3


def test_data_version_covers_as_of_and_numbers(report_data, secretariat):
    """The version keys the PDF cache: everything the document shows must be in it."""
    report = report_data.report
    live = build_table(report=report, user=secretariat).data_version()
    as_of = build_table(report=report, user=secretariat, as_of=timezone.now())
    assert as_of.data_version() != live  # same rows, but the cover says "Status pr. …"
    rec = report_data.dept_followup.recommendation
    rec.number = 99
    save_tracked(rec, actor=secretariat)
    assert build_table(report=report, user=secretariat).data_version() != live


def test_a_department_the_user_cannot_see_is_refused(report_data):
    officer = factories.MembershipFactory(department=report_data.boern).user
    with pytest.raises(Department.DoesNotExist):
        build_table(report=report_data.report, user=officer, department=report_data.aeldre)
    table = build_table(report=report_data.report, user=officer, department=report_data.boern)
    assert [cell for *_x, cell, _s in flat(table)] == ["Børn og Unge"]


def _ombudsman_order_data(report_data):
    """Two more organisation-wide recommendations: no. 3 of a theme that sorts first in
    the alphabet, no. 4 of the first recommendation's theme again."""
    adgang = factories.ThemeFactory(name="Adgang")
    phone = report_data.org_followups[0].recommendation.theme
    for number, theme in ((4, phone), (3, adgang)):
        factories.RecommendationFactory(
            report=report_data.report, theme=theme, number=number, text=f"Nr. {number}."
        )


def test_recommendations_keep_the_ombudsmans_order_within_a_section(report_data, secretariat):
    _ombudsman_order_data(report_data)
    table = build_table(report=report_data.report, user=secretariat)
    organisation = table.sections[0]
    assert [(g.name, [r.number for r in g.rows]) for g in organisation.themes] == [
        ("Telefontider", [1]),
        ("Adgang", [3]),
        ("Telefontider", [4]),
    ]


def test_unplaced_follow_ups_show_under_their_recommendation(report_data, secretariat):
    org = report_data.org_followups[0].recommendation
    named = report_data.dept_followup.recommendation
    factories.FollowUpFactory(
        recommendation=org, department=None, action="- Alle.", state="approved"
    )
    factories.FollowUpFactory(
        recommendation=named, department=None, action="- Nogen.", state="approved"
    )
    table = build_table(report=report_data.report, user=secretariat)
    assert [c.department_name for c in table.sections[0].themes[0].rows[0].followups] == [
        "Børn og Unge",
        "Ældreområdet",
        UNPLACED_NAME,
    ]
    assert [c.action for c in table.sections[1].themes[0].rows[0].followups] == [
        "Fast skabelon.",
        "- Nogen.",
    ]
    # A department's own report and its staff do not get them.
    officer = factories.MembershipFactory(department=report_data.aeldre).user
    for user, department in ((secretariat, report_data.aeldre), (officer, None)):
        filtered = build_table(report=report_data.report, user=user, department=department)
        assert UNPLACED_NAME not in [cell for *_x, cell, _s in flat(filtered)]
