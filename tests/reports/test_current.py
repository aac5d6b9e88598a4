"""Current reports (reports/current.py): which they are, how a change marks its year, the
debounced task chain, one rendering per data version, and the previous version offered
while a newer one is made, only to the audience it was rendered for."""

import datetime
import hashlib

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from collaboration import services as collaboration_services
from departments.access import access_for, council_reader, system_user
from departments.services import global_roles_sync
from followups import services as followup_services
from followups.models import FollowUpRound
from recommendations.models import AnnualReport
from reports import current, pdf, rendering
from reports.models import LatestRendering, ReportRefresh, ReportRendering
from tests import factories

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
T0 = datetime.datetime(2033, 5, 2, 8, 0, tzinfo=datetime.UTC)
REFRESH_TASK = "reports.current.refresh_current_reports"


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """WeasyPrint replaced by a quick fake (a PDF per HTML); the list of rendered HTML."""
    calls: list[str] = []

    def fake(html, **kwargs):
        calls.append(html)
        digest = hashlib.sha256(html.encode()).hexdigest()
        return pdf.RenderedPDF(content=b"%PDF-1.7 " + digest.encode(), pages=1)

    monkeypatch.setattr(rendering.pdf, "html_to_pdf_bounded", fake)
    return calls


@pytest.fixture
def clock(monkeypatch):
    """The time reports.current reads (marks, passes, the data's time), set by the test."""

    class Clock:
        now = T0

        def at(self, seconds: float) -> datetime.datetime:
            self.now = T0 + datetime.timedelta(seconds=seconds)
            return self.now

    c = Clock()
    monkeypatch.setattr(current, "_now", lambda: c.now)
    return c


def refresh_tasks():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=REFRESH_TASK).order_by("enqueued_at")


def url(name, year=2031, **params):
    from urllib.parse import urlencode

    return reverse(f"reports:{name}", args=[year]) + ("?" + urlencode(params) if params else "")


def save_status(report_data, text: str, actor):
    """A new status text in the (reopened) status round: changes only what the full
    audience sees, since the round is not published."""
    status = report_data.status
    status.refresh_from_db()
    return followup_services.status_update_save(
        followup=report_data.org_followups[0],
        round=report_data.status_round,
        actor=actor,
        status="done",
        text=text,
        expected_version=status.version,
    )


@pytest.fixture
def open_status(report_data, secretariat):
    """The fixture's status round reopened, so statuses can be saved (an open round is a
    current one for the full audience)."""
    followup_services.round_reopen(round=report_data.status_round, actor=secretariat)
    report_data.status_round.refresh_from_db()
    return report_data


# --- which reports are current ------------------------------------------------------------


def test_current_variants_are_the_whole_organisation_per_round_and_audience(report_data):
    plan, status_round = report_data.plan, report_data.status_round
    # A published plan and a closed status round: the closed round is not current.
    variants = {(v.round, v.audience) for v in current.current_variants(2031)}
    assert variants == {(None, "all"), (plan, "all"), (None, "published"), (plan, "published")}
    FollowUpRound.objects.filter(pk=status_round.pk).update(state="open")
    variants = {(v.round, v.audience) for v in current.current_variants(2031)}
    assert (status_round, "all") in variants
    assert (status_round, "published") not in variants  # council members see published only
    # A year with no open or published round has none; an unknown year none.
    FollowUpRound.objects.filter(report=report_data.report).update(state="closed")
    assert current.current_variants(2031) == []
    assert current.current_variants(1999) == []


def test_the_readers_share_the_audiences_of_their_users(report_data, secretariat, council):
    ombudsman = factories.UserFactory(roles=["ombudsman_office"])
    officer = factories.MembershipFactory(department=report_data.aeldre).user
    assert access_for(system_user()).audience == access_for(secretariat).audience == "all"
    assert access_for(ombudsman).audience == "all"
    assert access_for(council_reader()).audience == access_for(council).audience == "published"
    assert access_for(officer).audience.startswith("all:")
    report = report_data.report

    def key(user, round=None):
        return rendering.content_key(current.build_table(report=report, user=user, round=round))

    # Same audience, same table; the readers' tables are their users'.
    for round in (None, report_data.plan):
        assert key(system_user(), round) == key(secretariat, round) == key(ombudsman, round)
        assert key(council_reader(), round) == key(council, round)
    assert key(council) != key(secretariat)  # the closed status round's status


# --- change detection ---------------------------------------------------------------------


def years_of(*rows) -> set[int]:
    changes = current.ReportChanges()
    for model, row in rows:
        changes.note(model, row)
    return changes.years()


def test_every_kind_of_change_is_traced_to_its_year(report_data, secretariat):
    from collaboration.models import Attachment, Comment
    from departments.models import Department
    from followups.models import FollowUp, StatusUpdate
    from recommendations.models import Recommendation, RecommendationDepartment, Theme

    other = factories.AnnualReportFactory(year=2040)
    factories.RoundFactory(report=other, kind="plan", state="open")
    factories.AnnualReportFactory(year=2041)  # no current round: never marked
    followup = report_data.org_followups[0]
    recommendation = followup.recommendation
    comment = factories.CommentFactory(followup=followup, author=secretariat, for_council=True)
    attachment = factories.AttachmentFactory(followup=followup, uploaded_by=secretariat)
    history = {
        AnnualReport: report_data.report.history.first(),
        Recommendation: recommendation.history.first(),
        RecommendationDepartment: RecommendationDepartment.history.first(),
        Theme: recommendation.theme.history.first(),
        FollowUpRound: report_data.status_round.history.first(),
        FollowUp: followup.history.first(),
        StatusUpdate: report_data.status.history.first(),
        Comment: comment.history.first(),
        Attachment: attachment.history.first(),
    }
    for model, row in history.items():
        assert years_of((model, row)) == {2031}, model
    # A department's name heads sections in every year; a comment's author signs it.
    assert years_of((Department, report_data.aeldre.history.first())) == {2031, 2040}
    user_model = type(secretariat)
    assert years_of((user_model, secretariat.history.first())) == {2031}
    assert years_of((user_model, factories.UserFactory().history.first())) == set()
    # A deleted follow-up's history row still leads to its year.
    deleted = FollowUp.history.filter(id=followup.pk).first()
    assert years_of((FollowUp, deleted)) == {2031}


def test_one_mark_per_transaction_after_commit_and_none_for_a_rollback(
    report_data, secretariat, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = DB_QUEUE
    # Start from no pending notes of the fixtures (their transaction is the test's).
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        for n in range(5):
            report_data.dept_followup.action = f"Tekst {n}"
            report_data.dept_followup.save()
        inner = current._pending_changes()
        assert inner is not None
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        inner.flush()
    assert ReportRefresh.objects.get(year=2031).chain_token
    assert refresh_tasks().count() == 1
    assert callbacks == []

    ReportRefresh.objects.all().delete()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        report_data.dept_followup.action = "Rullet tilbage"
        report_data.dept_followup.save()
        raise RuntimeError
    assert callbacks == []
    assert not ReportRefresh.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_committed_save_marks_its_year_and_queues_one_chain(report_data, secretariat, settings):
    settings.TASKS = DB_QUEUE
    before = timezone.now()
    followup_services.round_reopen(round=report_data.status_round, actor=secretariat)
    for text in ("Første", "Anden", "Tredje"):
        save_status(report_data, text, secretariat)
    refresh = ReportRefresh.objects.get(year=2031)
    assert refresh.changed_at >= before
    assert refresh.due_at == refresh.changed_at + datetime.timedelta(seconds=30)
    # Four commits (the reopening and three saves), one chain with one task waiting.
    task = refresh_tasks().get()
    assert task.status == "READY"
    assert task.run_after >= before + datetime.timedelta(seconds=30)
    assert task.args_kwargs["kwargs"] == {"year": 2031, "token": refresh.chain_token}


@pytest.mark.django_db(transaction=True)
def test_an_import_of_many_rows_schedules_one_chain(report_data, secretariat, settings):
    from importing.services import import_commit
    from tests.importing.documents import HEADER, ORG, make_csv

    settings.TASKS = DB_QUEUE
    # Each in a theme of its own: texts of one theme that are nearly alike are one.
    rows = [[f"Emne {n}", f"Anbefaling nummer {n}.", f"- Handling {n}"] for n in range(150)]
    import_commit(
        actor=secretariat, name="mange.csv", data=make_csv([[ORG], HEADER, *rows]), year=2031
    )
    assert report_data.report.recommendations.count() >= 150
    assert refresh_tasks().count() == 1
    assert ReportRefresh.objects.get(year=2031).chain_token


@pytest.mark.django_db(transaction=True)
def test_the_immediate_backend_keeps_the_mark_and_renders_nothing_at_save(
    report_data, secretariat, renders
):
    followup_services.round_reopen(round=report_data.status_round, actor=secretariat)
    save_status(report_data, "Gemt uden at vente", secretariat)
    refresh = ReportRefresh.objects.get(year=2031)
    assert refresh.chain_token == ""
    assert renders == []
    # The operator's command renders them at once, on any backend.
    call_command("refresh_current_reports", "--changed", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # all/-, all/plan, all/status, published/-, published/plan: four contents (as of the
    # plan, everyone sees the same).
    assert len(renders) == 4
    refresh.refresh_from_db()
    assert refresh.covered_at == refresh.changed_at
    call_command("refresh_current_reports", "--changed", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(renders) == 4  # nothing changed since


# --- the debounce and the chain -----------------------------------------------------------


def test_two_changes_ten_seconds_apart_give_one_rendering_thirty_seconds_after_the_last(
    open_status, secretariat, settings, renders, clock
):
    settings.TASKS = DB_QUEUE
    current.report_refresh_mark(years={2031}, now=clock.at(0))
    token = ReportRefresh.objects.get(year=2031).chain_token
    current.report_refresh_mark(years={2031}, now=clock.at(10))
    refresh = ReportRefresh.objects.get(year=2031)
    assert refresh.chain_token == token  # the waiting chain is kept
    assert refresh.due_at == T0 + datetime.timedelta(seconds=40)
    (first,) = refresh_tasks()
    assert first.run_after == T0 + datetime.timedelta(seconds=30)

    # The task runs when queued (30 s after the first change): too early, it waits.
    result = current.report_refresh_run(year=2031, token=token, now=clock.at(30))
    assert result.state == "deferred"
    assert renders == []
    second = refresh_tasks().exclude(pk=first.pk).get()
    assert second.run_after == T0 + datetime.timedelta(seconds=40)

    # 30 s after the last change: every current report rendered once, the chain ends.
    result = current.report_refresh_run(year=2031, token=token, now=clock.at(40))
    assert result.state == "rendered"
    # Five current reports, four contents: as of the plan, council members and the
    # secretariat see the same (no status yet), and share one file.
    assert len(renders) == len(result.rendered) == 4
    assert len(result.stored) == 5
    refresh.refresh_from_db()
    assert refresh.chain_token == ""
    assert refresh.covered_at == T0 + datetime.timedelta(seconds=10)
    assert LatestRendering.objects.count() == 5
    assert all(
        r.data_at == T0 + datetime.timedelta(seconds=40) for r in LatestRendering.objects.all()
    )

    # A change only the full audience sees: a new chain renders only what changed.
    save_status(open_status, "Ny status", secretariat)  # in the test's transaction
    current.report_refresh_mark(years={2031}, now=clock.at(100))
    token = ReportRefresh.objects.get(year=2031).chain_token
    result = current.report_refresh_run(year=2031, token=token, now=clock.at(130))
    # The secretariat's report without a round and as of the open status round.
    assert len(renders) == 6
    assert sorted(result.rendered) == sorted(
        ["2031/-/all", f"2031/{open_status.status_round.pk}/all"]
    )
    assert len(result.stored) == 5


def test_a_change_while_rendering_queues_the_chain_again(
    open_status, secretariat, settings, renders, clock, monkeypatch
):
    settings.TASKS = DB_QUEUE
    current.report_refresh_mark(years={2031}, now=clock.at(0))
    token = ReportRefresh.objects.get(year=2031).chain_token
    original = current.render_variants

    def changed_meanwhile(variants, **kwargs):
        current.report_refresh_mark(years={2031}, now=clock.at(35))
        return original(variants, **kwargs)

    monkeypatch.setattr(current, "render_variants", changed_meanwhile)
    current.report_refresh_run(year=2031, token=token, now=clock.at(30))
    refresh = ReportRefresh.objects.get(year=2031)
    assert refresh.chain_token == token  # the chain goes on
    assert refresh.covered_at == T0
    assert refresh_tasks().last().run_after == T0 + datetime.timedelta(seconds=65)


def test_a_superseded_or_lost_chain(report_data, settings, renders, clock):
    settings.TASKS = DB_QUEUE
    current.report_refresh_mark(years={2031}, now=clock.at(0))
    old = ReportRefresh.objects.get(year=2031).chain_token
    assert current.report_refresh_run(year=2031, token="other", now=clock.at(30)).state == (
        "superseded"
    )
    # Its task never ran (a worker lost it): a change long after starts a new chain, and
    # the old task, should it run after all, stops.
    current.report_refresh_mark(years={2031}, now=clock.at(3600))
    new = ReportRefresh.objects.get(year=2031).chain_token
    assert new != old
    assert current.report_refresh_run(year=2031, token=old, now=clock.at(4000)).state == (
        "superseded"
    )
    assert renders == []


def test_a_variant_being_rendered_by_someone_else_is_not_rendered_twice(
    report_data, settings, renders, clock
):
    settings.TASKS = DB_QUEUE
    variants = current.current_variants(2031)
    table = current.build_table(report=report_data.report, user=system_user())
    key = rendering.content_key(table)
    # A user's request (or another worker) is rendering the secretariat's report right now.
    ReportRendering.objects.create(
        key=key,
        year=2031,
        state="running",
        task_id="someone",
        queued_at=timezone.now(),
        started_at=timezone.now(),
    )
    result = current.render_variants(variants, owner="test")
    assert "2031/-/all" in result.skipped
    assert len(renders) == 2  # of four current reports, three contents, one taken
    # Claimed for the chain, the others' rows say who is rendering them.
    done = ReportRendering.objects.exclude(key=key)
    assert {r.task_id for r in done} == {"test"}
    assert {r.state for r in done} == {"done"}


def test_a_report_over_the_size_limit_is_skipped_and_the_others_rendered(
    report_data, settings, renders
):
    settings.REPORT_MAX_CELLS = 4  # the secretariat's tables have more cells than that
    result = current.render_variants(current.current_variants(2031), owner="test")
    assert "2031/-/all" in result.skipped
    failed = ReportRendering.objects.filter(state="failed")
    assert failed.exists()
    assert all("for stor" in r.error or "too large" in r.error for r in failed)


@pytest.mark.django_db(transaction=True)  # the worker closes its database connection
def test_the_worker_runs_the_chain_and_downloads_are_served_from_the_stored_files(
    report_data, secretariat, council, settings, renders, client
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_QUEUE
    followup_services.round_reopen(round=report_data.status_round, actor=secretariat)
    save_status(report_data, "Telefontiden er udvidet igen.", secretariat)
    task = refresh_tasks().get()
    call_command("db_worker", "--batch", verbosity=0)
    assert renders == []  # not yet due: the worker leaves it waiting
    # The delay has passed (the task, and the mark, as if 30 s ago).
    past = timezone.now() - datetime.timedelta(seconds=1)
    DBTaskResult.objects.filter(pk=task.pk).update(run_after=past)
    ReportRefresh.objects.filter(year=2031).update(due_at=past)
    call_command("db_worker", "--batch", verbosity=0)
    assert len(renders) == 4
    assert ReportRefresh.objects.get(year=2031).chain_token == ""
    # Council members and the secretariat download at once, nothing rendered.
    for user in (council, secretariat):
        client.force_login(user)
        for params in ({}, {"runde": report_data.plan.pk}):
            response = client.get(url("pdf", **params))
            assert response.status_code == 200
            assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert len(renders) == 4
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()


# --- the previous version -----------------------------------------------------------------


@pytest.fixture
def stale(open_status, secretariat, council, settings, renders):
    """The current reports rendered; then a status changed, with the database queue: the
    secretariat's report is being made again, the council's is unchanged."""
    current.render_variants(current.current_variants(2031), owner="test")
    settings.TASKS = DB_QUEUE
    save_status(open_status, "Nyere status", secretariat)
    return open_status


def previous_offer(client, user, **params):
    """The progress page the download leads to, and its offer of the previous version."""
    client.force_login(user)
    response = client.get(url("pdf", **params))
    assert response.status_code == 302, response.status_code
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()


def test_the_progress_page_offers_the_previous_version_with_its_time(stale, secretariat, client):
    data_at = datetime.datetime(2026, 1, 5, 9, 42, tzinfo=datetime.UTC)  # 10:42 in Copenhagen
    LatestRendering.objects.update(data_at=data_at)
    html = previous_offer(client, secretariat)
    assert "Hent den forrige version (opdateres – data fra 5. januar 2026 kl. 10:42)" in html
    assert url("pdf_previous") in html
    assert 'hx-trigger="every 2s"' in html  # waiting is still offered
    # Today's data says only the time.
    data_at = timezone.now()  # the expected time is this one's, whenever the minute turns
    LatestRendering.objects.update(data_at=data_at)
    html = previous_offer(client, secretariat)
    local = timezone.localtime(data_at)
    assert f"(opdateres – data fra kl. {local:%H:%M})" in html

    response = client.get(url("pdf_previous"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    latest = LatestRendering.objects.get(slot__startswith="2031:-:-:all")
    assert body == default_storage.open(latest.file).read()
    assert "forrige-version-data-fra-" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    # In English too.
    client.cookies["django_language"] = "en"
    html = previous_offer(client, secretariat)
    assert f"Download the previous version (being updated – data from {local:%H:%M})" in html


def test_the_previous_version_of_a_round(stale, secretariat, client):
    params = {"runde": stale.status_round.pk}
    assert "Hent den forrige version" in previous_offer(client, secretariat, **params)
    response = client.get(url("pdf_previous", **params))
    assert response.status_code == 200
    assert (
        f"rapport-2031-runde-{stale.status_round.pk}-forrige-version"
        in (response["Content-Disposition"])
    )


def test_a_council_member_is_never_offered_the_secretariats_file(stale, council, client, settings):
    # Only the secretariat's rendering exists for the open round's variant...
    LatestRendering.objects.filter(audience="published").delete()
    # ... and the council's own content changed too (a comment chosen for the council).
    comment = factories.CommentFactory(
        followup=None,
        recommendation=stale.org_followups[0].recommendation,
        author=factories.UserFactory(roles=["secretariat"]),
        for_council=True,
    )
    assert comment.pk
    html = previous_offer(client, council)
    assert "forrige version" not in html
    assert client.get(url("pdf_previous")).status_code == 404
    # The secretariat's round is not theirs at all.
    assert client.get(url("pdf_previous", runde=stale.status_round.pk)).status_code == 404


def test_a_department_user_is_offered_only_their_own_audiences_file(
    report_data, secretariat, settings, renders, client
):
    aeldre = factories.MembershipFactory(department=report_data.aeldre).user
    colleague = factories.MembershipFactory(department=report_data.aeldre).user
    boern = factories.MembershipFactory(department=report_data.boern).user
    # Each department's user asks once (rendered at once by the immediate backend).
    for user in (aeldre, boern):
        client.force_login(user)
        assert client.get(url("pdf")).status_code == 200
    assert {r.audience for r in LatestRendering.objects.all()} == {
        access_for(aeldre).audience,
        access_for(boern).audience,
    }
    # Then the data changes and the database queue makes them wait.
    settings.TASKS = DB_QUEUE
    report_data.dept_followup.action = "Ny skabelon for Ældreområdet."
    report_data.dept_followup.save()
    report_data.org_followups[1].action = "- Børn og Unge udvider telefontiden mere."
    report_data.org_followups[1].save()
    for user in (aeldre, colleague, boern):
        html = previous_offer(client, user)
        assert "Hent den forrige version" in html
        response = client.get(url("pdf_previous"))
        own = LatestRendering.objects.get(audience=access_for(user).audience)
        assert b"".join(response.streaming_content) == default_storage.open(own.file).read()
    # Never the other department's, not even asked for by its short name.
    client.force_login(boern)
    assert client.get(url("pdf_previous", afdeling=report_data.aeldre.short_name)).status_code == (
        404
    )
    other = factories.UserFactory()  # no role, no department
    client.force_login(other)
    assert client.get(url("pdf_previous")).status_code == 404


def test_no_previous_version_when_none_is_stored_or_for_a_date(stale, secretariat, client):
    client.force_login(secretariat)
    assert client.get(url("pdf_previous", pr="2033-01-01")).status_code == 404
    assert client.post(url("pdf_previous")).status_code == 405
    LatestRendering.objects.all().delete()
    assert "forrige version" not in previous_offer(client, secretariat)
    assert client.get(url("pdf_previous")).status_code == 404


def test_the_previous_file_pruned_from_the_cache_is_no_longer_offered(stale, secretariat, client):
    for latest in LatestRendering.objects.all():
        default_storage.delete(latest.file)
    assert "forrige version" not in previous_offer(client, secretariat)
    client.force_login(secretariat)
    assert client.get(url("pdf_previous")).status_code == 404


def test_an_older_rendering_finishing_late_does_not_replace_a_newer_one(report_data):
    table = current.build_table(report=report_data.report, user=system_user())
    newer = T0 + datetime.timedelta(minutes=5)
    rendering.latest_rendering_record(
        table=table, audience="all", key="b" * 64, file="report-cache/b.pdf", data_at=newer
    )
    rendering.latest_rendering_record(
        table=table, audience="all", key="a" * 64, file="report-cache/a.pdf", data_at=T0
    )
    latest = LatestRendering.objects.get()
    assert (latest.key, latest.data_at) == ("b" * 64, newer)


def test_the_admin_lists_the_refreshes_and_latest_renderings(
    report_data, secretariat, client, renders
):
    current.report_refresh_mark(years={2031})
    current.render_variants(current.current_variants(2031), owner="test")
    global_roles_sync()  # the role's admin permissions
    client.force_login(secretariat)
    for model in ("reportrefresh", "latestrendering"):
        assert client.get(reverse(f"admin:reports_{model}_changelist")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_service_write_marks_its_year_after_commit(report_data, secretariat):
    ReportRefresh.objects.all().delete()
    collaboration_services.comment_add(
        followup=report_data.dept_followup, actor=secretariat, text="Til byrådet"
    )
    assert ReportRefresh.objects.filter(year=2031).exists()
