"""Publishing schedules the edition; the worker renders it after commit, retrying failures."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

import followups.services
from followups.models import FollowUpRound
from followups.services import round_publish
from reports import services
from reports.models import EditionRendering, ReportEdition
from tests import factories


def publish(report_data, secretariat, capture, *, execute=True):
    with capture(execute=execute) as callbacks:
        round_publish(round=report_data.status_round, actor=secretariat)
    report_data.status_round.refresh_from_db()
    return callbacks


def fail_rendering(monkeypatch, exc: Exception | None = None) -> list:
    calls = []
    exc = exc or RuntimeError("WeasyPrint broke")

    def failing(*args, **kwargs):
        calls.append(1)
        raise exc

    monkeypatch.setattr(services, "render_pdf", failing)
    return calls


def test_publishing_commits_without_rendering(
    report_data, secretariat, monkeypatch, django_capture_on_commit_callbacks
):
    calls = fail_rendering(monkeypatch)
    callbacks = publish(report_data, secretariat, django_capture_on_commit_callbacks, execute=False)
    assert report_data.status_round.state == FollowUpRound.State.PUBLISHED
    assert calls == []  # nothing rendered inside the publishing transaction
    rendering = EditionRendering.objects.get(round=report_data.status_round)
    assert rendering.state == EditionRendering.State.PENDING
    assert rendering.requested_by == secretariat
    assert len(callbacks) == 1  # the worker's task, queued once the publication commits
    assert not ReportEdition.objects.exists()


def test_the_edition_is_rendered_after_commit(
    report_data, secretariat, django_capture_on_commit_callbacks
):
    publish(report_data, secretariat, django_capture_on_commit_callbacks)
    rendering = EditionRendering.objects.get(round=report_data.status_round)
    assert rendering.state == EditionRendering.State.DONE
    assert rendering.attempts == 1
    assert rendering.edition == ReportEdition.objects.get(round=report_data.status_round)
    assert rendering.edition.created_by == secretariat


def test_a_failing_rendering_is_retried_a_bounded_number_of_times_and_kept_published(
    report_data, secretariat, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.REPORT_EDITION_MAX_ATTEMPTS = 3
    calls = fail_rendering(monkeypatch)
    publish(report_data, secretariat, django_capture_on_commit_callbacks)
    rendering = EditionRendering.objects.get(round=report_data.status_round)
    assert len(calls) == 3
    assert rendering.state == EditionRendering.State.FAILED
    assert rendering.attempts == 3
    assert "PDF-filen kunne ikke dannes" in rendering.error
    assert "WeasyPrint broke" in rendering.error
    report_data.status_round.refresh_from_db()
    assert report_data.status_round.state == FollowUpRound.State.PUBLISHED
    assert not ReportEdition.objects.exists()


def test_a_report_over_the_size_limit_is_not_retried(
    report_data, secretariat, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_MAX_CELLS = 1
    publish(report_data, secretariat, django_capture_on_commit_callbacks)
    rendering = EditionRendering.objects.get(round=report_data.status_round)
    assert rendering.state == EditionRendering.State.FAILED
    assert rendering.attempts == 1
    assert "Rapporten er for stor" in rendering.error


def test_a_timeout_is_recorded_in_danish(
    report_data, secretariat, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from reports import pdf

    settings.REPORT_EDITION_MAX_ATTEMPTS = 1
    settings.REPORT_RENDER_TIMEOUT = 7
    fail_rendering(monkeypatch, pdf.RenderTimeout("slow"))
    publish(report_data, secretariat, django_capture_on_commit_callbacks)
    rendering = EditionRendering.objects.get(round=report_data.status_round)
    assert "Det tog mere end 7 sekunder at lave PDF" in rendering.error


@pytest.fixture
def failed(report_data, secretariat, settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.REPORT_EDITION_MAX_ATTEMPTS = 1
    fail_rendering(monkeypatch)
    publish(report_data, secretariat, django_capture_on_commit_callbacks)
    monkeypatch.undo()
    return EditionRendering.objects.get(round=report_data.status_round)


def test_the_round_page_shows_the_failure_and_a_retry_button(client, failed, secretariat, council):
    client.force_login(secretariat)
    html = client.get(failed.round.get_absolute_url()).content.decode()
    assert "Udgaven kunne ikke laves (1 forsøg)." in html
    assert "WeasyPrint broke" in html
    assert "Runden forbliver offentliggjort." in html
    assert reverse("reports:edition_retry", args=[failed.pk]) in html
    # Council members read the round, not the secretariat's worries.
    client.force_login(council)
    html = client.get(failed.round.get_absolute_url()).content.decode()
    assert "WeasyPrint broke" not in html
    assert reverse("reports:edition_retry", args=[failed.pk]) not in html


def test_try_again_renders_the_edition(
    client, failed, secretariat, django_capture_on_commit_callbacks
):
    client.force_login(secretariat)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:edition_retry", args=[failed.pk]))
    assert response.status_code == 302
    assert response["Location"] == failed.round.get_absolute_url()
    failed.refresh_from_db()
    assert failed.state == EditionRendering.State.DONE
    assert failed.error == ""
    html = client.get(failed.round.get_absolute_url()).content.decode()
    assert "Udgaven er arkiveret." in html
    assert reverse("reports:edition", args=[failed.edition_id]) in html


def test_try_again_is_for_the_secretariat_by_post_on_a_failed_edition(
    client, failed, council, secretariat, django_capture_on_commit_callbacks
):
    path = reverse("reports:edition_retry", args=[failed.pk])
    client.force_login(council)
    assert client.post(path).status_code == 403
    officer = factories.MembershipFactory(department=factories.DepartmentFactory()).user
    client.force_login(officer)
    assert client.post(path).status_code == 403
    client.force_login(secretariat)
    assert client.get(path).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path).status_code == 302
    # Done now: nothing to try again.
    response = client.post(path)
    assert response.status_code == 409
    assert "Udgaven er ikke mislykkedes" in response.content.decode()


def test_the_admin_lists_failed_editions_and_tries_again(
    client, failed, secretariat, django_capture_on_commit_callbacks
):
    secretariat.is_staff = secretariat.is_superuser = True
    secretariat.save()
    client.force_login(secretariat)
    changelist = reverse("admin:reports_editionrendering_changelist")
    html = client.get(changelist).content.decode()
    assert "WeasyPrint broke" in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            changelist,
            {"action": "retry_editions", "_selected_action": [failed.pk]},
        )
    failed.refresh_from_db()
    assert failed.state == EditionRendering.State.DONE


def test_a_lost_edition_can_be_tried_again(failed, secretariat):
    """Pending long after any attempt should have ended (the task was lost): retryable."""
    import datetime

    EditionRendering.objects.filter(pk=failed.pk).update(
        state=EditionRendering.State.PENDING,
        updated_at=timezone.now() - datetime.timedelta(days=1),
    )
    failed.refresh_from_db()
    assert failed.is_stale
    services.edition_retry(rendering=failed, actor=secretariat)
    EditionRendering.objects.filter(pk=failed.pk).update(state=EditionRendering.State.PENDING)
    failed.refresh_from_db()
    assert not failed.is_stale
    with pytest.raises(services.ServiceError):
        services.edition_retry(rendering=failed, actor=secretariat)


@pytest.mark.django_db(transaction=True)  # the worker closes its database connection
def test_with_the_database_queue_the_worker_renders_and_defers_retries(
    report_data, secretariat, settings, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.REPORT_EDITION_MAX_ATTEMPTS = 2
    calls = fail_rendering(monkeypatch)
    round_publish(round=report_data.status_round, actor=secretariat)  # commits: task queued
    rendering = EditionRendering.objects.get(round=report_data.status_round)
    assert rendering.state == EditionRendering.State.PENDING
    # The edition's task (beside the year's current reports, due REPORT_REFRESH_DELAY later).
    editions = DBTaskResult.objects.filter(task_path="reports.services.render_edition")
    assert editions.count() == 1
    call_command("db_worker", "--batch", verbosity=0)
    rendering.refresh_from_db()
    # The first attempt failed; the second waits (run_after) instead of running at once.
    assert len(calls) == 1
    assert rendering.state == EditionRendering.State.PENDING
    assert "WeasyPrint broke" in rendering.error
    retry = editions.exclude(status="SUCCESSFUL").get()
    assert retry.run_after is not None
    monkeypatch.undo()
    # Its time has come.
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    call_command("db_worker", "--batch", verbosity=0)
    rendering.refresh_from_db()
    assert rendering.state == EditionRendering.State.DONE
    assert rendering.attempts == 2
    assert rendering.edition.file.read().startswith(b"%PDF")


def test_publishing_reaches_reports_through_a_hook():
    """Follow-ups sit below reports (tests/test_layers.py): publishing a round reaches the
    editions through a hook that reports registers."""
    assert services.edition_schedule in followups.services.PUBLISH_HOOKS


def test_publishing_from_the_round_page_shows_the_edition_waiting(
    client, report_data, secretariat, monkeypatch, django_capture_on_commit_callbacks
):
    calls = fail_rendering(monkeypatch)
    client.force_login(secretariat)
    path = reverse("followups:round_publish", args=[report_data.status_round.pk])
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(path)
    assert response.status_code == 302
    assert calls == []
    html = client.get(response["Location"]).content.decode()
    assert "Udgaven venter på at blive lavet i baggrunden." in html


def test_the_renderings_admin_pages_load(client, failed, secretariat, report_data):
    from reports.models import ReportRendering

    secretariat.is_staff = secretariat.is_superuser = True
    secretariat.save()
    ReportRendering.objects.create(key="k" * 64, year=2031, queued_at=timezone.now())
    client.force_login(secretariat)
    for model in ("editionrendering", "reportrendering"):
        changelist = reverse(f"admin:reports_{model}_changelist")
        assert client.get(changelist).status_code == 200
    change = reverse("admin:reports_editionrendering_change", args=[failed.pk])
    assert client.get(change).status_code == 200


@pytest.mark.django_db(transaction=True)  # publishing really commits; its callbacks run then
def test_a_queue_that_cannot_be_reached_leaves_the_round_published_and_the_edition_waiting(
    client, report_data, secretariat, monkeypatch, caplog
):
    """The edition's task is queued after the publication commits; if the queue fails then,
    the secretariat still gets the round page, not an error for a publication that stands."""

    class UnreachableQueue:
        def enqueue(self, **kwargs):
            raise RuntimeError("the task queue cannot be reached")

    monkeypatch.setattr(services, "render_edition", UnreachableQueue())
    client.force_login(secretariat)
    path = reverse("followups:round_publish", args=[report_data.status_round.pk])
    response = client.post(path)
    assert response.status_code == 302
    report_data.status_round.refresh_from_db()
    assert report_data.status_round.state == FollowUpRound.State.PUBLISHED
    rendering = EditionRendering.objects.get(round=report_data.status_round)
    assert rendering.state == EditionRendering.State.PENDING
    assert any("the task queue cannot be reached" in r.getMessage() for r in caplog.records)


def test_only_the_secretariat_may_try_an_edition_again_also_through_the_service(
    failed, council, manager
):
    from django.core.exceptions import PermissionDenied

    for actor in (council, manager):
        with pytest.raises(PermissionDenied):
            services.edition_retry(rendering=failed, actor=actor)
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == (EditionRendering.State.FAILED, 1)
