import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from departments.services import global_roles_sync
from followups.models import FollowUp, FollowUpProgress, FollowUpRound
from recommendations.models import AnnualReport, Recommendation, Theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_secretariat(client, secretariat):
    global_roles_sync()
    client.force_login(secretariat)
    return client


# Read models derived from domain data (recomputed by a service, never edited): no admin,
# no history of their own.
DERIVED = {FollowUpProgress}


def domain_models():
    for app in ("departments", "recommendations", "followups"):
        for model in apps.get_app_config(app).get_models():
            if not model.__name__.startswith("Historical") and model not in DERIVED:
                yield model


def test_derived_models_are_not_edited_in_the_admin():
    for model in DERIVED:
        assert model not in admin.site._registry
        assert not hasattr(model, "history")


def test_every_domain_model_is_in_the_admin_with_history():
    from simple_history.admin import SimpleHistoryAdmin

    for model in domain_models():
        assert model in admin.site._registry, model
        assert isinstance(admin.site._registry[model], SimpleHistoryAdmin), model


def test_admin_pages_load(admin_client_secretariat, plan):
    for model in domain_models():
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert admin_client_secretariat.get(url).status_code == 200, url
        obj = model.objects.first()
        if obj is not None:
            for view in ("change", "history"):
                url = reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])
                assert admin_client_secretariat.get(url).status_code == 200, url


def test_admin_add_goes_through_service_with_history_user(admin_client_secretariat, secretariat):
    url = reverse("admin:recommendations_annualreport_add")
    response = admin_client_secretariat.post(
        url,
        {
            "year": 2031,
            "title": "Beretning 2031",
            "published_on": "2032-04-01",
            "case_number": "",
            "document_number": "",
            "introduction": "",
        },
    )
    assert response.status_code == 302, response.content
    report = AnnualReport.objects.get(year=2031)
    assert report.history.get().history_user == secretariat

    theme_url = reverse("admin:recommendations_theme_add")
    admin_client_secretariat.post(theme_url, {"name": "Svartider", "description": ""})
    admin_client_secretariat.post(theme_url, {"name": "SVARTIDER", "description": ""})
    assert Theme.objects.count() == 1

    rec_url = reverse("admin:recommendations_recommendation_add")
    response = admin_client_secretariat.post(
        rec_url,
        {
            "report": report.pk,
            "number": 1,
            "theme": Theme.objects.get().pk,
            "kind": "recommendation",
            "text": "Svar hurtigere",
            "scope": "organisation",
            "response": "",
            "response_reason": "",
            "assessment": "",
            "assessment_note": "",
            "previous": "",
            "link_kind": "",
            "expected_version": 0,
        },
    )
    assert response.status_code == 302
    assert Recommendation.objects.get().history.get().history_user == secretariat


def test_admin_service_error_is_shown_and_nothing_saved(admin_client_secretariat):
    url = reverse("admin:recommendations_annualreport_add")
    data = {
        "year": 2031,
        "title": "A",
        "case_number": "",
        "document_number": "",
        "introduction": "",
    }
    admin_client_secretariat.post(url, data)
    # The model form catches the duplicate year itself, with a form error.
    response = admin_client_secretariat.post(url, data)
    assert response.status_code == 200
    assert AnnualReport.objects.count() == 1


def test_admin_round_actions_use_services(admin_client_secretariat, plan, secretariat):
    url = reverse("admin:followups_followupround_changelist")
    admin_client_secretariat.post(
        url, {"action": "close_rounds", "_selected_action": [plan.round.pk]}
    )
    plan.round.refresh_from_db()
    assert plan.round.state == FollowUpRound.State.CLOSED
    assert plan.round.history.first().history_user == secretariat
    # Publishing is refused: the follow-up is not approved; the message says why.
    response = admin_client_secretariat.post(
        url, {"action": "publish_rounds", "_selected_action": [plan.round.pk]}, follow=True
    )
    plan.round.refresh_from_db()
    assert plan.round.state == FollowUpRound.State.CLOSED
    assert "godkendt" in response.content.decode() or "approved" in response.content.decode()


def test_admin_followup_edit_uses_service(admin_client_secretariat, plan, secretariat):
    url = reverse("admin:followups_followup_change", args=[plan.followup.pk])
    response = admin_client_secretariat.post(
        url,
        {
            "action": "Vi ringer tilbage",
            "responsible": "Team",
            "target_date": "2031-01-01",
            "expected_version": 1,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    assert followup.action == "Vi ringer tilbage"
    assert followup.version == 2
    assert followup.target_date == datetime.date(2031, 1, 1)
    assert followup.history.first().history_user == secretariat


def test_non_staff_cannot_use_admin(client, officer):
    client.force_login(officer)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_edition_list_queries_do_not_grow_with_editions(
    admin_client_secretariat, plan, secretariat
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import add_editions

    url = reverse("admin:reports_reportedition_changelist")
    editions = {"report": plan.report, "round": plan.round, "created_by": secretariat}
    add_editions(**editions, first=1, n=1)
    with CaptureQueriesContext(connection) as one:
        assert admin_client_secretariat.get(url).status_code == 200
    add_editions(**editions, first=2, n=10)
    with CaptureQueriesContext(connection) as many:
        assert admin_client_secretariat.get(url).status_code == 200
    assert len(many) == len(one)


# --- the admin carries the version it was loaded with (issue 19) ------------------------------


def test_admin_status_save_over_a_change_made_meanwhile_is_refused(
    admin_client_secretariat, approved_followup, plan, secretariat, officer
):
    from followups import services
    from followups.models import StatusUpdate

    status_round = services.round_open(
        actor=secretariat,
        report=plan.report,
        name="Status",
        kind="status",
        deadline=datetime.date(2031, 12, 1),
    )
    add_url = reverse("admin:followups_statusupdate_add")
    form = admin_client_secretariat.get(add_url).context["adminform"].form
    assert form["expected_version"].value() == 0
    data = {
        "followup": approved_followup.pk,
        "round": status_round.pk,
        "status": "in_progress",
        "text": "Fra admin",
        "expected_version": 0,
    }
    # The case officer writes the first status after the admin page was loaded.
    services.status_update_save(
        followup=approved_followup,
        round=status_round,
        actor=officer,
        status="done",
        text="Fra sagsbehandleren",
        expected_version=0,
    )
    # Refused (by the form's own uniqueness check here; two admin pages saving at the same
    # instant by the service's version 0), and nothing overwritten.
    response = admin_client_secretariat.post(add_url, data)
    assert response.status_code == 200 and "errornote" in response.content.decode()
    update = StatusUpdate.objects.get()
    assert (update.text, update.version, update.history.count()) == ("Fra sagsbehandleren", 1, 1)

    change_url = reverse("admin:followups_statusupdate_change", args=[update.pk])
    stale = {"status": "paused", "text": "Gammel formular", "expected_version": 0}
    response = admin_client_secretariat.post(change_url, stale, follow=True)
    assert "ændret af en anden" in response.content.decode()
    assert StatusUpdate.objects.get().text == "Fra sagsbehandleren"
    fresh = {"status": "paused", "text": "Ny formular", "expected_version": 1}
    assert admin_client_secretariat.post(change_url, fresh).status_code == 302
    assert StatusUpdate.objects.get().history.first().history_user == secretariat


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_admin_first_status_saved_at_the_same_instant_as_another_is_refused(
    admin_client_secretariat, approved_followup, plan, secretariat, officer, monkeypatch
):
    """Another first status commits after the add form's uniqueness check has passed: the
    version 0 the add page carries refuses the admin's save instead of overwriting it."""
    import threading

    from django.db import connection

    from followups import admin as followups_admin
    from followups import services
    from followups.models import StatusUpdate

    status_round = services.round_open(
        actor=secretariat,
        report=plan.report,
        name="Status",
        kind="status",
        deadline=datetime.date(2031, 12, 1),
    )
    save = followups_admin.status_update_save

    def officer_saves_first():
        try:
            services.status_update_save(
                followup=approved_followup,
                round=status_round,
                actor=officer,
                status="done",
                text="Fra sagsbehandleren",
                expected_version=0,
            )
        finally:
            connection.close()

    def another_first_status_meanwhile(**kwargs):
        other = threading.Thread(target=officer_saves_first)  # its own connection, committed
        other.start()
        other.join()
        return save(**kwargs)

    monkeypatch.setattr(followups_admin, "status_update_save", another_first_status_meanwhile)
    data = {
        "followup": approved_followup.pk,
        "round": status_round.pk,
        "status": "in_progress",
        "text": "Fra admin",
        "expected_version": 0,
    }
    response = admin_client_secretariat.post(
        reverse("admin:followups_statusupdate_add"), data, follow=True
    )
    assert "ændret af en anden" in response.content.decode()
    update = StatusUpdate.objects.get()
    assert (update.text, update.version, update.history.count()) == ("Fra sagsbehandleren", 1, 1)


def test_admin_text_field_counts_line_breaks_once(admin_client_secretariat, plan):
    url = reverse("admin:followups_followup_change", args=[plan.followup.pk])
    lines = "\r\n".join(["x" * 99] * 100)  # 9,999 characters and 99 line breaks
    data = {"action": lines + "\r\n", "responsible": "", "target_date": "", "expected_version": 1}
    assert admin_client_secretariat.post(url, data).status_code == 302
    assert FollowUp.objects.get(pk=plan.followup.pk).action == lines.replace("\r\n", "\n")
    too_long = {**data, "action": lines + "xx", "expected_version": 2}
    response = admin_client_secretariat.post(url, too_long)
    assert response.status_code == 200 and "10000" in response.content.decode()


def test_versioned_admin_pages_carry_the_version_they_were_loaded_with(
    admin_client_secretariat, approved_followup, plan, secretariat, officer
):
    from followups import services

    status_round = services.round_open(
        actor=secretariat,
        report=plan.report,
        name="Status",
        kind="status",
        deadline=datetime.date(2031, 12, 1),
    )
    update = services.status_update_save(
        followup=approved_followup,
        round=status_round,
        actor=officer,
        status="done",
        text="Færdig",
        expected_version=0,
    )
    for obj in (approved_followup, plan.recommendation, update):
        meta = obj._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        html = admin_client_secretariat.get(url).content.decode()
        expected = f'type="hidden" name="expected_version" value="{obj.version}"'
        assert expected in html, url


def test_admin_history_revert_is_a_new_version_over_the_current_one(
    admin_client_secretariat, plan, officer, secretariat
):
    from followups import services

    first = services.followup_update(
        followup=plan.followup, actor=officer, expected_version=1, action="Første"
    )
    services.followup_update(followup=first, actor=officer, expected_version=2, action="Anden")
    record = FollowUp.history.get(id=plan.followup.pk, action="Første")
    url = reverse(
        "admin:followups_followup_simple_history", args=[plan.followup.pk, record.history_id]
    )
    form = admin_client_secretariat.get(url).context["adminform"].form
    assert form["expected_version"].value() == 3  # the current version, not the old one's
    data = {"action": "Første", "responsible": "", "target_date": "", "expected_version": 3}
    assert admin_client_secretariat.post(url, data).status_code == 302
    followup = FollowUp.objects.get(pk=plan.followup.pk)
    assert (followup.action, followup.version) == ("Første", 4)
    assert followup.history.first().history_user == secretariat


def test_admin_recommendation_save_over_a_change_made_meanwhile_is_refused(
    admin_client_secretariat, plan, secretariat
):
    from recommendations import services

    rec = plan.recommendation
    url = reverse("admin:recommendations_recommendation_change", args=[rec.pk])
    loaded = rec.version
    services.recommendation_update(
        recommendation=rec,
        actor=secretariat,
        expected_version=loaded,
        theme=rec.theme,
        text="Ændret i mellemtiden",
        kind=rec.kind,
        scope=rec.scope,
        departments=list(rec.departments.all()),
    )
    data = {
        "theme": rec.theme.pk,
        "kind": rec.kind,
        "text": "Min gamle formular",
        "scope": rec.scope,
        "named_departments": [d.pk for d in rec.departments.all()],
        "response": "",
        "response_reason": "",
        "assessment": "",
        "assessment_note": "",
        "previous": "",
        "link_kind": "",
        "expected_version": loaded,
    }
    response = admin_client_secretariat.post(url, data, follow=True)
    assert "ændret af en anden" in response.content.decode()
    assert Recommendation.objects.get(pk=rec.pk).text == "Ændret i mellemtiden"


def test_admin_followup_save_over_a_change_made_meanwhile_is_refused(
    admin_client_secretariat, plan, officer
):
    from followups import services

    url = reverse("admin:followups_followup_change", args=[plan.followup.pk])
    services.followup_update(
        followup=plan.followup, actor=officer, expected_version=1, action="Sagsbehandlerens"
    )
    data = {"action": "Min gamle formular", "responsible": "", "target_date": ""}
    response = admin_client_secretariat.post(url, {**data, "expected_version": 1}, follow=True)
    assert "ændret af en anden" in response.content.decode()
    assert FollowUp.objects.get(pk=plan.followup.pk).action == "Sagsbehandlerens"
