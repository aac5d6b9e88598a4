"""The follow-up page as people use it (issue 25, items 1, 3, 4, 10)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from followups import services
from followups.models import FollowUp, FollowUpRound

pytestmark = pytest.mark.django_db
D = datetime.date
HTMX = {"HTTP_HX_REQUEST": "true"}


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


def test_an_inline_save_answers_the_follow_up_and_refreshes_the_other_forms(client, plan, officer):
    services.followup_update(
        followup=plan.followup,
        actor=officer,
        expected_version=None,
        action="x",
        target_date=D(2031, 1, 1),
    )
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    client.force_login(officer)
    url = reverse("followups:edit", args=[followup.pk])
    response = client.post(url, edit_data(followup, target_date="2031-01-01"), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    # No second page inside the page: no header, no main, no h1.
    assert "<main" not in html and "<h1" not in html and "<header" not in html
    assert "Opfølgningen er gemt." in html
    # The move-date form (out of band) carries the new version, not the one the page had.
    assert 'id="followup-dates" aria-labelledby="dates-heading" hx-swap-oob="true"' in html
    assert f'name="version" value="{followup.version + 1}"' in html
    assert f'name="version" value="{followup.version}"' not in html


def test_saving_a_status_with_htmx_sends_the_browser_to_the_page(
    client, approved_followup, officer, secretariat
):
    status_round = services.round_open(
        actor=secretariat,
        report=approved_followup.recommendation.report,
        name="Status",
        kind=FollowUpRound.Kind.STATUS,
        deadline=D(2031, 6, 1),
    )
    client.force_login(officer)
    url = reverse("followups:status_edit", args=[approved_followup.pk, status_round.pk])
    response = client.post(url, {"version": 0, "status": "in_progress", "text": "I gang."}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == approved_followup.get_absolute_url()
    assert response.content == b""
    page = client.get(approved_followup.get_absolute_url()).content.decode()
    assert "Status er gemt." in page
    assert page.count("<main") == 1


def test_a_refused_date_move_is_shown_open_with_its_error(client, plan, officer):
    services.followup_update(
        followup=plan.followup,
        actor=officer,
        expected_version=None,
        action="x",
        target_date=D(2031, 1, 1),
    )
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    client.force_login(officer)
    url = reverse("followups:move_date", args=[followup.pk])
    response = client.post(
        url, {"version": followup.version, "new_date": "2031-06-01", "reason": ""}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "<details open>" in html
    assert "Angiv en begrundelse" in html
    followup.refresh_from_db()
    assert followup.target_date == D(2031, 1, 1)


def test_new_dates_in_the_past_are_refused_at_the_field(client, plan, officer):
    client.force_login(officer)
    url = reverse("followups:edit", args=[plan.followup.pk])
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(url, edit_data(plan.followup, target_date=yesterday.isoformat()))
    assert response.status_code == 422
    assert "En ny måldato kan ikke ligge i fortiden." in response.content.decode()
    for year in ("0001", "9999"):
        response = client.post(url, edit_data(plan.followup, target_date=f"{year}-01-01"))
        assert response.status_code == 422, year
    assert FollowUp.objects.get(pk=plan.followup.pk).target_date is None


def test_clearing_a_date_then_setting_a_later_one_asks_for_a_reason(client, plan, officer):
    client.force_login(officer)
    url = reverse("followups:edit", args=[plan.followup.pk])
    assert client.post(url, edit_data(plan.followup, target_date="2031-03-01")).status_code == 302
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    response = client.post(url, edit_data(followup, target_date=""))
    assert response.status_code == 422
    assert "kan flyttes, men ikke fjernes" in response.content.decode()
    response = client.post(url, edit_data(followup, target_date="2031-09-01"))
    assert response.status_code == 422
    followup.refresh_from_db()
    assert followup.target_date == D(2031, 3, 1)


def test_the_return_comment_names_who_and_when_and_stays_while_editing(
    client, plan, officer, manager
):
    services.followup_update(
        followup=plan.followup, actor=officer, expected_version=None, action="x"
    )
    services.followup_submit(followup=plan.followup, actor=officer)
    services.followup_return(followup=plan.followup, actor=manager, comment="Mere konkret.")
    manager.first_name, manager.last_name = "Lars", "Leder"
    manager.save()
    client.force_login(officer)
    page = client.get(plan.followup.get_absolute_url()).content.decode()
    assert "Sendt retur af Lars Leder" in page and "Mere konkret." in page
    # The comment is outside the region "Rediger" swaps: it stays while editing.
    assert page.index('id="return-comment"') < page.index('id="followup-action"')
    # Written again and submitted: still shown until the manager decides.
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    services.followup_update(
        followup=followup, actor=officer, expected_version=None, action="Konkret nu."
    )
    services.followup_submit(followup=followup, actor=officer)
    client.force_login(manager)
    page = client.get(plan.followup.get_absolute_url()).content.decode()
    assert "Mere konkret." in page


def test_each_decision_is_confirmed(client, plan, officer, manager):
    services.followup_update(
        followup=plan.followup, actor=officer, expected_version=None, action="x"
    )
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    client.force_login(officer)
    response = client.post(
        reverse("followups:submit", args=[followup.pk]),
        {"version": followup.version},
        follow=True,
    )
    assert "Opfølgningen er sendt til godkendelse." in response.content.decode()
    client.force_login(manager)
    response = client.post(
        reverse("followups:approve", args=[followup.pk]),
        {"version": followup.version + 1},
        follow=True,
    )
    assert "Opfølgningen er godkendt." in response.content.decode()


def _loaded(plan, officer):
    services.followup_update(
        followup=plan.followup,
        actor=officer,
        expected_version=None,
        action="Første tekst",
        responsible="Team A",
        target_date=D(2031, 1, 1),
    )
    return FollowUp.objects.get(pk=plan.followup.pk)


def test_a_conflict_on_other_fields_is_merged_and_saved(client, plan, officer, manager):
    """Item 5: only the fields this user changed are written; the other user's target date
    (changed meanwhile) stays."""
    loaded = _loaded(plan, officer)
    services.followup_update(
        followup=loaded,
        actor=manager,
        expected_version=loaded.version,
        action="Første tekst",
        responsible="Team A",
        target_date=D(2030, 12, 1),
    )
    client.force_login(officer)
    response = client.post(
        reverse("followups:edit", args=[loaded.pk]),
        edit_data(loaded, action="Ny tekst fra A", responsible="Team A", target_date="2031-01-01"),
        follow=True,
    )
    assert response.status_code == 200
    assert "kun de felter, du ændrede" in response.content.decode()
    saved = FollowUp.objects.get(pk=loaded.pk)
    assert (saved.action, saved.responsible, saved.target_date) == (
        "Ny tekst fra A",
        "Team A",
        D(2030, 12, 1),
    )


def test_a_field_both_changed_is_chosen_side_by_side(client, plan, officer, manager):
    loaded = _loaded(plan, officer)
    services.followup_update(
        followup=loaded,
        actor=manager,
        expected_version=loaded.version,
        action="Tekst fra B",
        responsible="Team A",
        target_date=D(2031, 1, 1),
    )
    client.force_login(officer)
    url = reverse("followups:edit", args=[loaded.pk])
    mine = edit_data(loaded, action="Tekst fra A", responsible="Team C", target_date="2031-01-01")
    response = client.post(url, mine)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Vælg, hvad der skal beholdes" in html
    assert 'name="keep_action"' in html and 'name="keep_responsible"' not in html
    assert "Tekst fra A" in html and "Tekst fra B" in html
    current = FollowUp.objects.get(pk=loaded.pk)
    # Keep theirs for the text; my other change (responsible) is written.
    response = client.post(url, {**mine, "version": current.version, "keep_action": "theirs"})
    assert response.status_code == 302
    saved = FollowUp.objects.get(pk=loaded.pk)
    assert (saved.action, saved.responsible) == ("Tekst fra B", "Team C")


def test_restoring_a_version_brings_back_its_target_date_and_says_what(
    client, plan, officer, secretariat
):
    """Item 6: the target date comes back as a logged move; the page says what was restored
    and what was not."""
    first = _loaded(plan, officer)  # "Første tekst", Team A, 1 January 2031
    services.followup_update(
        followup=first,
        actor=officer,
        expected_version=first.version,
        action="Anden tekst",
        responsible="Team B",
        target_date=D(2031, 6, 1),
        target_date_reason="Forsinket",
    )
    record = first.history.order_by("history_id")[1]  # the version with 1 January
    client.force_login(secretariat)
    response = client.post(
        reverse("followups:restore", args=[first.pk, record.history_id]), follow=True
    )
    html = response.content.decode()
    assert "er gendannet" in html and "måldatoen 1. januar 2031" in html
    assert "tilstanden og statusserne er som nu" in html
    restored = FollowUp.objects.get(pk=first.pk)
    assert (restored.action, restored.responsible, restored.target_date) == (
        "Første tekst",
        "Team A",
        D(2031, 1, 1),
    )
    move = restored.date_changes.order_by("-pk").first()
    assert (move.old_date, move.new_date) == (D(2031, 6, 1), D(2031, 1, 1))
    assert "Gendannede versionen fra" in move.reason
