import datetime
import threading

import pytest
from django.db import connection
from django.urls import reverse

from core.errors import ConflictError
from followups import services
from followups.models import FollowUp, StatusUpdate
from tests.factories import DepartmentFactory, MembershipFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def edit_data(followup, **overrides):
    data = {
        "version": followup.version,
        "action": "- Vi ringer tilbage samme dag",
        "responsible": "Team Kontakt",
        "target_date": "2031-03-01",
        "target_date_reason": "",
    }
    data.update(overrides)
    return data


def test_officer_writes_submits_and_manager_approves(client, plan, officer, manager):
    client.force_login(officer)
    url = reverse("followups:edit", args=[plan.followup.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, edit_data(plan.followup))
    assert response.status_code == 302
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    assert followup.action == "- Vi ringer tilbage samme dag"
    assert followup.history.first().history_user == officer
    response = client.post(
        reverse("followups:submit", args=[followup.pk]), {"version": followup.version}
    )
    assert response.status_code == 302
    assert FollowUp.objects.get(pk=followup.pk).state == "submitted"

    client.force_login(manager)
    page = client.get(reverse("home")).content.decode()
    assert followup.get_absolute_url() in page  # awaiting approval on the start page
    response = client.post(
        reverse("followups:approve", args=[followup.pk]), {"version": followup.version + 1}
    )
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.state == "approved"
    assert followup.history.first().history_user == manager


def test_return_needs_comment(client, plan, officer, manager):
    services.followup_update(
        followup=plan.followup, actor=officer, expected_version=None, action="x"
    )
    services.followup_submit(followup=plan.followup, actor=officer)
    client.force_login(manager)
    url = reverse("followups:return", args=[plan.followup.pk])
    response = client.post(url, {"version": 3, "comment": ""})
    assert response.status_code == 422
    assert FollowUp.objects.get(pk=plan.followup.pk).state == "submitted"
    response = client.post(url, {"version": 3, "comment": "Tilføj en dato"})
    assert response.status_code == 302
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    assert (followup.state, followup.return_comment) == ("returned", "Tilføj en dato")


def test_invalid_input_is_422_with_message_and_nothing_saved(client, plan, officer):
    services.followup_update(
        followup=plan.followup,
        actor=officer,
        expected_version=None,
        action="x",
        target_date=D(2031, 1, 1),
    )
    client.force_login(officer)
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    response = client.post(
        reverse("followups:edit", args=[followup.pk]), edit_data(followup, target_date="2031-06-01")
    )
    assert response.status_code == 422
    assert "error-summary" in response.content.decode()
    followup.refresh_from_db()
    assert followup.target_date == D(2031, 1, 1)


def test_stale_form_shows_conflict_page_with_both_versions(client, plan, officer):
    client.force_login(officer)
    stale = edit_data(plan.followup, action="B's tekst")
    services.followup_update(
        followup=plan.followup, actor=officer, expected_version=1, action="A's tekst"
    )
    response = client.post(reverse("followups:edit", args=[plan.followup.pk]), stale)
    assert response.status_code == 409
    page = response.content.decode()
    assert "A&#x27;s tekst" in page and "B&#x27;s tekst" in page
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    assert followup.action == "A's tekst"
    assert followup.history.count() == 2


def test_htmx_edit_returns_fragments(client, plan, officer):
    client.force_login(officer)
    url = reverse("followups:edit", args=[plan.followup.pk])
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and 'id="followup-action"' in fragment
    response = client.post(url, edit_data(plan.followup), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Vi ringer tilbage samme dag" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_move_date_and_status(client, plan, officer, manager, secretariat):
    services.followup_update(
        followup=plan.followup,
        actor=officer,
        expected_version=None,
        action="x",
        target_date=D(2031, 1, 1),
    )
    services.followup_submit(followup=plan.followup, actor=officer)
    services.followup_approve(followup=plan.followup, actor=manager)
    client.force_login(officer)
    url = reverse("followups:move_date", args=[plan.followup.pk])
    response = client.post(url, {"version": 4, "new_date": "2031-05-01", "reason": ""})
    assert response.status_code == 422
    response = client.post(
        url, {"version": 4, "new_date": "2031-05-01", "reason": "Afventer ny lovgivning"}
    )
    assert response.status_code == 302
    page = client.get(plan.followup.get_absolute_url()).content.decode()
    assert "Afventer ny lovgivning" in page and "1. januar 2031" in page

    services.round_close(round=plan.round, actor=secretariat)
    services.round_publish(round=plan.round, actor=secretariat)
    status_round = services.round_open(
        actor=secretariat, report=plan.report, name="Status", kind="status", deadline=D(2031, 12, 1)
    )
    url = reverse("followups:status_edit", args=[plan.followup.pk, status_round.pk])
    response = client.post(url, {"status": "dropped", "text": "", "version": 0})
    assert response.status_code == 422
    response = client.post(url, {"status": "in_progress", "text": "Godt i gang", "version": 0})
    assert response.status_code == 302
    assert StatusUpdate.objects.get().text == "Godt i gang"
    response = client.post(url, {"status": "done", "text": "Færdig", "version": 7})
    assert response.status_code == 409
    assert StatusUpdate.objects.get().status == "in_progress"


def test_history_page_shows_field_changes_and_restore(client, plan, officer, secretariat):
    services.followup_update(
        followup=plan.followup, actor=officer, expected_version=None, action="Første udgave"
    )
    services.followup_update(
        followup=plan.followup, actor=officer, expected_version=None, action="Anden udgave"
    )
    client.force_login(officer)
    page = client.get(reverse("followups:history", args=[plan.followup.pk])).content.decode()
    assert "Første udgave" in page and "Anden udgave" in page
    assert "/gendan/" not in page  # no restore buttons for case officers
    first = plan.followup.history.filter(action="Første udgave").get()
    url = reverse("followups:restore", args=[plan.followup.pk, first.history_id])
    assert client.post(url).status_code == 403
    client.force_login(secretariat)
    assert client.post(url).status_code == 302
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    assert followup.action == "Første udgave"
    latest = followup.history.first()
    assert latest.history_user == secretariat and latest.history_change_reason


def test_round_pages_for_secretariat(client, plan, secretariat, officer):
    client.force_login(secretariat)
    page = client.get(plan.round.get_absolute_url()).content.decode()
    assert plan.followup.department.name in page  # listed as not finished
    response = client.post(reverse("followups:round_close", args=[plan.round.pk]))
    assert response.status_code == 302
    response = client.post(reverse("followups:round_publish", args=[plan.round.pk]))
    assert response.status_code == 422  # follow-up not approved: refused with the reason
    response = client.post(
        reverse("followups:round_new"),
        {
            "report": plan.report.pk,
            "name": "Status 2032",
            "kind": "status",
            "deadline": "2032-01-01",
            "meeting_date": "",
        },
    )
    assert response.status_code == 302
    client.force_login(officer)
    assert client.post(reverse("followups:round_close", args=[plan.round.pk])).status_code == 403
    assert client.get(reverse("followups:round_new")).status_code == 403


@pytest.mark.parametrize(
    "name", ["submit", "approve", "return", "move_date", "restore_get", "round_reopen"]
)
def test_state_changes_refuse_get(client, plan, secretariat, name):
    client.force_login(secretariat)
    if name == "restore_get":
        url = reverse("followups:restore", args=[plan.followup.pk, 1])
    elif name == "round_reopen":
        url = reverse("followups:round_reopen", args=[plan.round.pk])
    else:
        url = reverse(f"followups:{name}", args=[plan.followup.pk])
    assert client.get(url).status_code == 405


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_threads_released_together_one_wins(secretariat):
    from tests.factories import open_plan

    department = DepartmentFactory()
    officer = MembershipFactory(department=department).user
    plan = open_plan(department=department, actor=secretariat)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(text: str) -> None:
        try:
            barrier.wait()
            services.followup_update(
                followup=plan.followup, actor=officer, expected_version=1, action=text
            )
            outcomes.append("saved")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(t,)) for t in ("A", "B")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    assert followup.version == 2
    assert followup.history.count() == 2  # created + exactly one saved change


# --- the first status of a round carries a version too (issue 19) ---------------------------


def status_setup(secretariat):
    """An approved follow-up of a published plan, two case officers of its department and an
    open status round."""
    from django.test import Client

    from tests.factories import approve_and_publish, open_plan

    department = DepartmentFactory()
    officers = [MembershipFactory(department=department).user for _ in range(2)]
    manager = MembershipFactory(department=department, role="manager").user
    plan = open_plan(department=department, actor=secretariat)
    followup = approve_and_publish(
        plan, officer=officers[0], manager=manager, secretariat=secretariat
    )
    status_round = services.round_open(
        actor=secretariat, report=plan.report, name="Status", kind="status", deadline=D(2031, 12, 1)
    )
    clients = []
    for user in officers:
        c = Client()
        c.force_login(user)
        clients.append(c)
    url = reverse("followups:status_edit", args=[followup.pk, status_round.pk])
    return followup, url, clients


def loaded_form(client, url) -> dict:
    """The status form as the page gave it out (its hidden version included)."""
    form = client.get(url).context["form"]
    return {"version": form["version"].value(), "status": "in_progress", "text": ""}


def test_two_users_with_the_same_form_saving_the_first_status(secretariat):
    followup, url, (anna, bo) = status_setup(secretariat)
    form_a, form_b = loaded_form(anna, url), loaded_form(bo, url)
    assert form_a["version"] == form_b["version"] == 0  # no status in the round yet
    first = anna.post(url, {**form_a, "text": "Annas status"})
    second = bo.post(url, {**form_b, "status": "done", "text": "Bos status"})
    assert (first.status_code, second.status_code) == (302, 409)
    assert "Annas status" in second.content.decode()  # the conflict page shows what was saved
    update = StatusUpdate.objects.get(followup=followup)
    assert (update.text, update.status, update.version) == ("Annas status", "in_progress", 1)
    assert update.history.count() == 1


def test_status_post_without_version_is_refused(secretariat):
    followup, url, (anna, _bo) = status_setup(secretariat)
    response = anna.post(url, {"status": "done", "text": "Uden version"})
    assert response.status_code == 422
    assert not StatusUpdate.objects.filter(followup=followup).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_for_the_first_status_released_together(secretariat):
    """The same race with both requests in flight at once: the round's row lock orders them,
    and the second finds the first's status."""
    followup, url, clients = status_setup(secretariat)
    forms = [loaded_form(c, url) for c in clients]
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def post(client, form, text):
        try:
            barrier.wait()
            codes.append(client.post(url, {**form, "text": text}).status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=post, args=(c, f, t))
        for c, f, t in zip(clients, forms, ("A", "B"), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [302, 409]
    update = StatusUpdate.objects.get(followup=followup)
    assert update.version == 1 and update.history.count() == 1


def test_workflow_post_without_version_changes_nothing(client, plan, officer):
    services.followup_update(
        followup=plan.followup, actor=officer, expected_version=None, action="Handling"
    )
    client.force_login(officer)
    response = client.post(reverse("followups:submit", args=[plan.followup.pk]))
    assert response.status_code == 409
    assert FollowUp.objects.get(pk=plan.followup.pk).state == FollowUp.State.DRAFT


# --- length limits (issue 19) ------------------------------------------------------------------


def test_text_over_the_limit_is_refused_with_a_danish_message(client, plan, officer):
    from core.text import TEXT_MAX_LENGTH

    client.force_login(officer)
    url = reverse("followups:edit", args=[plan.followup.pk])
    response = client.post(url, edit_data(plan.followup, action="x" * (TEXT_MAX_LENGTH + 1)))
    assert response.status_code == 422
    page = response.content.decode()
    assert "højst være på 10000 tegn" in page and "10001 tegn" in page
    assert 'maxlength="10000"' in client.get(url).content.decode()
    assert FollowUp.objects.get(pk=plan.followup.pk).action == ""


def test_line_breaks_count_as_one_as_in_the_browser(client, plan, officer):
    """A textarea sends each line break as CR LF; the browser's maxlength counts it once."""
    from core.text import TEXT_MAX_LENGTH

    lines = ["- " + "x" * 97] * 99  # 99 characters and a line break each
    typed = "\r\n".join(lines) + "\r\n" + "x" * (TEXT_MAX_LENGTH - 99 * 100)
    assert len(typed.replace("\r\n", "\n")) == TEXT_MAX_LENGTH
    client.force_login(officer)
    url = reverse("followups:edit", args=[plan.followup.pk])
    response = client.post(url, edit_data(plan.followup, action=typed))
    assert response.status_code == 302
    action = FollowUp.objects.get(pk=plan.followup.pk).action
    assert len(action) == TEXT_MAX_LENGTH and "\r" not in action
