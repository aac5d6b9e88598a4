"""Follow-ups awaiting placement (an imported line without a department): who sees them,
and how the secretariat places them (followup_place and its page)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import ServiceError
from followups.models import FollowUp, FollowUpProgress, StatusUpdate
from followups.services import followup_place
from tests import factories


@pytest.fixture
def unplaced(db, department):
    """An organisation-wide recommendation of a published plan with one line awaiting
    placement, which has a status in a published status round."""
    report = factories.AnnualReportFactory(year=2027)
    rec = factories.RecommendationFactory(report=report, text="Svar hurtigere.")
    factories.RoundFactory(
        report=report,
        kind="plan",
        state="published",
        published_at=datetime.datetime(2028, 1, 1, tzinfo=datetime.UTC),
        deadline=datetime.date(2028, 1, 1),
    )
    status_round = factories.RoundFactory(
        report=report,
        kind="status",
        name="Status",
        state="published",
        published_at=datetime.datetime(2029, 1, 1, tzinfo=datetime.UTC),
        deadline=datetime.date(2029, 1, 1),
    )
    followup = factories.FollowUpFactory(
        recommendation=rec, department=None, action="- Alle svarer inden ti dage.", state="approved"
    )
    factories.StatusUpdateFactory(
        followup=followup, round=status_round, status="not_assessed", text="Det sker mest."
    )
    from followups.services import followup_progress_refresh

    followup_progress_refresh(followup_ids=[followup.pk])
    return followup


def test_roles_that_see_every_department_see_it_department_users_do_not(
    unplaced, secretariat, ombudsman, council, officer, manager
):
    for user in (secretariat, ombudsman, council):
        assert list(FollowUp.objects.visible_to(user)) == [unplaced]
        assert FollowUpProgress.objects.visible_to(user).count() == 1
        assert StatusUpdate.objects.visible_to(user).count() == 1
        assert FollowUp.objects.visible_to(user, on_progress=True).count() == 1
    for user in (officer, manager):
        assert not FollowUp.objects.visible_to(user).exists()
        assert not FollowUp.objects.visible_to(user, on_progress=True).exists()
        assert not FollowUpProgress.objects.visible_to(user).exists()
        assert not StatusUpdate.objects.visible_to(user).exists()
        assert not FollowUp.objects.editable_by(user).exists()
    # A department filter never yields it.
    department = officer.memberships.get().department
    assert not FollowUp.objects.visible_to(secretariat, departments=[department.pk]).exists()


def test_lists_and_pages(client, unplaced, secretariat, officer):
    client.force_login(officer)
    assert client.get(unplaced.get_absolute_url()).status_code == 404
    listing = client.get(reverse("dashboard:followups"))
    assert listing.status_code == 200
    assert "Alle svarer inden ti dage" not in listing.content.decode()
    client.force_login(secretariat)
    listing = client.get(reverse("dashboard:followups"))
    assert "Alle svarer inden ti dage" in listing.content.decode()
    for sort in ("department", "theme"):
        page = client.get(reverse("dashboard:followups"), {"sort": sort})
        assert page.status_code == 200
    assert client.get(unplaced.get_absolute_url()).status_code == 200


def test_pages_name_it_awaiting_placement_not_none(client, unplaced, secretariat):
    client.force_login(secretariat)
    pages = [
        unplaced.get_absolute_url(),
        reverse("followups:history", args=[unplaced.pk]),
        reverse("dashboard:followups"),
        unplaced.recommendation.get_absolute_url(),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "afventer placering" in html.lower(), url
        assert "None" not in html, url


def test_home_lists_them_for_the_secretariat_only(client, unplaced, secretariat, officer):
    client.force_login(secretariat)
    page = client.get("/")
    place_url = reverse("followups:place", args=[unplaced.pk])
    assert place_url in page.content.decode()
    assert page.context["unplaced_count"] == 1
    client.force_login(officer)
    page = client.get("/")
    assert place_url not in page.content.decode()
    assert "unplaced" not in page.context


def test_placing_keeps_history_status_and_read_model(unplaced, secretariat, department):
    placed = followup_place(followup=unplaced, department=department, actor=secretariat)
    assert placed.pk == unplaced.pk
    assert placed.department == department
    record = placed.history.first()
    assert (record.department_id, record.history_user) == (department.pk, secretariat)
    assert placed.history.count() == 2
    assert FollowUpProgress.objects.get(followup=placed).department_id == department.pk
    assert placed.status_updates.get().text == "Det sker mest."
    with pytest.raises(ServiceError):
        followup_place(followup=placed, department=department, actor=secretariat)


def test_placing_joins_the_departments_own_follow_up(unplaced, secretariat, department):
    own = factories.FollowUpFactory(
        recommendation=unplaced.recommendation,
        department=department,
        action="- Ny skabelon.",
        state="approved",
    )
    result = followup_place(followup=unplaced, department=department, actor=secretariat)
    assert result == own
    own.refresh_from_db()
    assert own.action == "- Ny skabelon.\n- Alle svarer inden ti dage."
    assert own.history.first().history_user == secretariat
    # The line's status moved with it (the department had none in that round).
    assert own.status_updates.get().text == "Det sker mest."
    assert not FollowUp.objects.filter(pk=unplaced.pk).exists()
    deleted = FollowUp.history.filter(id=unplaced.pk, history_type="-").get()
    assert deleted.history_user == secretariat


def test_only_the_secretariat_places(unplaced, department, officer, ombudsman):
    for user in (officer, ombudsman):
        with pytest.raises(PermissionDenied):
            followup_place(followup=unplaced, department=department, actor=user)
    unplaced.refresh_from_db()
    assert unplaced.department is None


def test_a_department_scoped_recommendation_only_to_its_departments(
    secretariat, department, other_department
):
    rec = factories.RecommendationFactory(named=[department])
    line = factories.FollowUpFactory(
        recommendation=rec, department=None, action="Noget.", state="approved"
    )
    with pytest.raises(ServiceError):
        followup_place(followup=line, department=other_department, actor=secretariat)
    assert followup_place(followup=line, department=department, actor=secretariat).department


def test_the_page(client, unplaced, secretariat, officer, ombudsman, department):
    url = reverse("followups:place", args=[unplaced.pk])
    # A department user does not see lines awaiting placement at all: 404, as for another
    # department's follow-up; the ombudsman's office sees them but may not place them: 403.
    client.force_login(officer)
    assert client.get(url).status_code == 404
    assert client.post(url, {"department": department.pk, "version": 1}).status_code == 404
    client.force_login(ombudsman)
    assert client.get(url).status_code == 403
    assert client.post(url, {"department": department.pk, "version": 1}).status_code == 403
    client.force_login(secretariat)
    page = client.get(url)
    assert page.status_code == 200
    assert f'value="{department.pk}"' in page.content.decode()
    assert client.post(url, {"department": "", "version": 1}).status_code == 422
    response = client.post(url, {"department": department.pk, "version": unplaced.version})
    assert response.status_code == 302
    unplaced.refresh_from_db()
    assert unplaced.department == department
    # Placed already: the page leads to the follow-up.
    assert client.get(url).status_code == 302


def test_unique_per_line(unplaced):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.create(
            recommendation=unplaced.recommendation, department=None, action=unplaced.action
        )


@pytest.mark.postgres
def test_the_department_walk_keeps_them_last(
    client, unplaced, secretariat, monkeypatch, is_postgres
):
    """Sorted by department at scale, the list walks the departments' groups: a follow-up
    without a department is still listed (after every department)."""
    if not is_postgres:
        pytest.skip("the walk is PostgreSQL's")
    from core import queries

    monkeypatch.setattr(queries, "walk_pays", lambda *args: True)
    other = factories.FollowUpFactory(
        recommendation=unplaced.recommendation, action="Egen.", state="approved"
    )
    client.force_login(secretariat)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("dashboard:followups"), {"sort": "department"})
    assert any("CROSS JOIN LATERAL" in q["sql"] for q in ctx.captured_queries)
    assert [f.pk for f in page.context["page"].rows] == [other.pk, unplaced.pk]


def test_placing_with_a_status_in_the_same_round_keeps_both_texts(
    unplaced, secretariat, department
):
    own = factories.FollowUpFactory(
        recommendation=unplaced.recommendation,
        department=department,
        action="- Ny skabelon.",
        state="approved",
    )
    status_round = unplaced.status_updates.get().round
    factories.StatusUpdateFactory(
        followup=own, round=status_round, status="done", text="Skabelonen er i brug."
    )
    followup_place(followup=unplaced, department=department, actor=secretariat)
    status = own.status_updates.get()
    # The department's status stands; the line's words (and its own status word) join it.
    assert status.status == "done"
    assert status.text == "Skabelonen er i brug.\nIkke vurderet: Det sker mest."
    assert status.history.first().history_user == secretariat


def test_comments_and_files_of_a_placed_line_move_with_it(unplaced, secretariat, department):
    """A line awaiting placement that the secretariat discussed and documented joins the
    department's own follow-up: its comments and files go along (with history), also a file
    of a status the department's own status replaces; nothing blocks the placement."""
    from collaboration.models import Attachment, Comment
    from tests.factories import AttachmentFactory, CommentFactory

    own = factories.FollowUpFactory(
        recommendation=unplaced.recommendation, department=department, state="approved"
    )
    line_status = unplaced.status_updates.get()
    factories.StatusUpdateFactory(followup=own, round=line_status.round, status="done", text="Ja")
    comment = CommentFactory(followup=unplaced, author=secretariat, text="Hvem ejer denne?")
    on_followup = AttachmentFactory(followup=unplaced, uploaded_by=secretariat)
    on_status = AttachmentFactory(
        followup=unplaced, status_update=line_status, uploaded_by=secretariat
    )
    result = followup_place(followup=unplaced, department=department, actor=secretariat)
    assert result == own
    comment.refresh_from_db()
    assert comment.followup == own
    assert comment.history.first().history_user == secretariat
    assert set(Attachment.objects.filter(followup=own)) == {on_followup, on_status}
    on_status.refresh_from_db()
    assert on_status.status_update == own.status_updates.get()
    assert Comment.objects.filter(followup=own).count() == 1
