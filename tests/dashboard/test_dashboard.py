"""The managers' and the secretariat's dashboard."""

import datetime
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from followups import services
from followups.models import FollowUp
from reports.dashboard import stats
from tests.factories import (
    AnnualReportFactory,
    DepartmentFactory,
    MembershipFactory,
    RecommendationFactory,
    RoundFactory,
    StatusUpdateFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

DASH = reverse("dashboard:dashboard")


def clear_caches():
    from tests.conftest import clear_caches as clear

    clear()


@pytest.fixture
def world(secretariat):
    """Two administrations, one with a centre; an open plan round with tasks for all three."""
    mine = DepartmentFactory(name="Forvaltning Min")
    centre = DepartmentFactory(name="Center Under Min", parent=mine, kind="center")
    foreign = DepartmentFactory(name="Forvaltning Hemmelig")
    old = AnnualReportFactory(year=2028)
    # An earlier, finished report: statuses, a moved date, a recurring theme.
    theme = ThemeFactory(name="Svartider")
    status_round = RoundFactory(
        report=old, kind="status", state="closed", deadline=datetime.date(2029, 10, 1)
    )
    for dept in (mine, centre, foreign):
        rec = RecommendationFactory(report=old, theme=theme, named=[dept])
        f = FollowUp.objects.create(
            recommendation=rec,
            department=dept,
            action="Vi gør noget.",
            state="approved",
            target_date=datetime.date(2029, 6, 1),
            original_target_date=datetime.date(2029, 3, 1),
        )
        StatusUpdateFactory(followup=f, round=status_round, status="done", text="Gjort")
    report = AnnualReportFactory(year=2030)
    for dept in (mine, centre, foreign):
        RecommendationFactory(report=report, theme=theme, named=[dept])
    round = services.round_open(
        actor=secretariat,
        report=report,
        name="Handleplan",
        kind="plan",
        deadline=datetime.date(2031, 6, 1),
    )
    manager = MembershipFactory(department=mine, role="manager").user
    return {
        "mine": mine,
        "centre": centre,
        "foreign": foreign,
        "round": round,
        "report": report,
        "manager": manager,
    }


def test_secretariat_sees_every_department(client, secretariat, world):
    client.force_login(secretariat)
    response = client.get(DASH)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Forvaltning Hemmelig" in html and "Forvaltning Min" in html
    assert "<svg" in html and "<caption>" in html and 'scope="row"' in html


def test_manager_sees_only_own_departments(client, world):
    client.force_login(world["manager"])
    response = client.get(DASH)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Forvaltning Min" in html
    assert "Forvaltning Hemmelig" not in html
    # Drilling into someone else's department is not found.
    assert client.get(DASH, {"department": world["foreign"].pk}).status_code == 404
    assert client.get(DASH, {"department": world["centre"].pk}).status_code == 200


@pytest.mark.parametrize("who", ["officer", "council"])
def test_officers_and_council_are_refused(client, world, who, council):
    user = council if who == "council" else MembershipFactory(department=world["mine"]).user
    client.force_login(user)
    assert client.get(DASH).status_code == 403


def test_anonymous_is_sent_to_login(client):
    assert client.get(DASH).status_code == 302


def _figures(html: str, chart_id: str) -> list[tuple[str, int]]:
    """(link, number) for every linked number in the chart's table."""
    start = html.index(f'id="{chart_id}-title"')
    end = html.index("</figure>", start)
    return [
        (unescape(href), int(n))
        for href, n in re.findall(r'<td><a href="([^"]+)">(\d+)</a>', html[start:end])
    ]


def _manager_of_two_and_officer_of_one(world):
    """Manages two administrations and is a case officer in a third, which has data."""
    user = world["manager"]
    third = DepartmentFactory(name="Forvaltning Tre")
    MembershipFactory(user=user, department=third, role="manager")
    MembershipFactory(user=user, department=world["foreign"], role="case_officer")
    return user


@pytest.mark.parametrize("who", ["secretariat", "manager", "manager of two"])
def test_every_progress_figure_links_to_a_list_with_that_count(client, secretariat, world, who):
    # Some variety: one submitted, one overdue.
    f = FollowUp.objects.get(recommendation__report=world["report"], department=world["mine"])
    services.followup_update(
        followup=f,
        actor=secretariat,
        expected_version=None,
        action="Vi svarer hurtigere.",
        responsible="Leder",
        target_date=datetime.date(2020, 1, 1),
    )
    services.followup_submit(followup=FollowUp.objects.get(pk=f.pk), actor=secretariat)
    if who == "manager of two":
        _manager_of_two_and_officer_of_one(world)
    client.force_login(secretariat if who == "secretariat" else world["manager"])
    for params in ({}, {"department": world["mine"].pk}):
        html = client.get(DASH, params).content.decode()
        if not params:  # the foreign administration's figures: where its list shows them
            assert ("Forvaltning Hemmelig" in html) == (who != "manager")
        for chart_id in (
            "progress",
            "status-department",
            "status-theme",
            "status-year",
            "open-age",
            "slippage",
            "age-department",
        ):
            figures = _figures(html, chart_id)
            assert figures, chart_id
            for link, number in figures:
                if "completion=finished" in link:
                    continue  # a median (months), linked to the finished items behind it
                page = client.get(link).context["page"]
                assert page.count == number, (chart_id, link)


def test_cache_is_invalidated_by_a_change(client, secretariat, world):
    client.force_login(secretariat)

    def submitted() -> int:
        html = client.get(DASH, {"department": world["mine"].pk}).content.decode()
        return sum(n for link, n in _figures(html, "progress") if "state=submitted" in link)

    assert submitted() == 0
    f = FollowUp.objects.get(recommendation__report=world["report"], department=world["mine"])
    services.followup_update(
        followup=f, actor=secretariat, expected_version=None, action="Noget", responsible="X"
    )
    services.followup_submit(followup=FollowUp.objects.get(pk=f.pk), actor=secretariat)
    assert submitted() == 1


def _queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(DASH, params or {})
    assert response.status_code == 200
    # Savepoints exist only because the test runs inside a transaction.
    return sum(1 for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"])


@pytest.mark.parametrize("who", ["secretariat", "manager"])
def test_query_count_same_with_1_and_50_items(client, secretariat, world, who):
    client.force_login(secretariat if who == "secretariat" else world["manager"])
    client.get(DASH)  # the session settles
    drill = {"department": world["mine"].pk}
    clear_caches()
    cold_one = _queries(client)
    warm_one = _queries(client)
    drill_one = _queries(client, drill)
    themes = [ThemeFactory() for _ in range(5)]
    for i in range(49):
        # New rows in every chart: departments (top-level for the secretariat's view, units
        # under the manager's administration for the drill-down), themes, overdue dates.
        parent = world["mine"] if i % 2 else None
        department = DepartmentFactory(parent=parent)
        rec = RecommendationFactory(report=world["report"], theme=themes[i % 5])
        FollowUp.objects.create(
            recommendation=rec,
            department=department,
            action="x",
            target_date=datetime.date(2020, 1, 1),
        )
    clear_caches()
    cold_fifty = _queries(client)
    warm_fifty = _queries(client)
    assert (cold_one, warm_one) == (cold_fifty, warm_fifty)
    assert drill_one == _queries(client, drill)
    assert cold_fifty <= 15
    assert warm_fifty < cold_fifty


def test_ombudsman_sees_everything_and_unknown_round_is_404(client, ombudsman, world):
    client.force_login(ombudsman)
    response = client.get(DASH)
    assert response.status_code == 200
    assert "Forvaltning Hemmelig" in response.content.decode()
    assert client.get(DASH, {"round": 999999}).status_code == 404
    assert client.get(DASH, {"department": "x"}).status_code == 404


NOTE = "Nyere tal er ved at blive beregnet"


def test_after_a_change_earlier_figures_are_shown_while_new_ones_are_computed(
    client, secretariat, world, settings
):
    """With a real queue (here one that never runs), the first request after a change gets
    the earlier figures at once with a note; the task then computes the new ones."""
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client.force_login(secretariat)

    def done_in(html: str) -> int:
        return sum(n for link, n in _figures(html, "status-department") if "status=done" in link)

    html = client.get(DASH).content.decode()  # the day's first figures: computed at once
    assert NOTE not in html
    assert done_in(html) == 3
    f = FollowUp.objects.get(recommendation__report__year=2028, department=world["mine"])
    round = services.round_reopen(round=f.status_updates.get().round, actor=secretariat)
    services.status_update_save(
        followup=f, round=round, actor=secretariat, status="in_progress", text="Igen i gang"
    )
    stats.forget_in_process()  # as in another web process
    html = client.get(DASH).content.decode()
    assert NOTE in html
    assert done_in(html) == 3  # the earlier figures
    queued = default_task_backend.results
    # The figures and the open round's progress.
    assert {r.task.func for r in queued} == {
        stats.refresh_dashboard_figures.func,
        stats.refresh_round_progress.func,
    }
    # Asking again does not queue the same work twice.
    client.get(DASH)
    assert len(default_task_backend.results) == 2
    # The worker runs the tasks; from then on the new figures are served.
    for result in list(queued):
        result.task.call(**result.kwargs)
    html = client.get(DASH).content.decode()
    assert NOTE not in html
    assert done_in(html) == 2


def test_after_a_change_the_open_rounds_progress_is_refreshed_by_the_worker(
    client, secretariat, world, settings
):
    """The open round's progress is served like the figures: after a change, the earlier
    progress with the note, one queued refresh per version, then the new progress."""
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client.force_login(secretariat)

    def submitted() -> tuple[int, bool]:
        html = client.get(DASH).content.decode()
        count = sum(n for link, n in _figures(html, "progress") if "state=submitted" in link)
        return count, NOTE in html

    assert submitted() == (0, False)
    f = FollowUp.objects.get(recommendation__report=world["report"], department=world["mine"])
    f = services.followup_update(
        followup=f, actor=secretariat, expected_version=None, action="Noget", responsible="X"
    )
    services.followup_submit(followup=f, actor=secretariat)
    stats.forget_in_process()  # as in another web process
    assert submitted() == (0, True)  # the earlier progress, with the note
    assert submitted() == (0, True)
    queued = {r.task.func: r for r in default_task_backend.results}
    assert len(default_task_backend.results) == 2  # figures and progress, each queued once
    progress_task = queued[stats.refresh_round_progress.func]
    stats.refresh_round_progress.call(**progress_task.kwargs)
    assert submitted() == (1, True)  # new progress; the figures are still being computed
    stats.refresh_dashboard_figures.call(**queued[stats.refresh_dashboard_figures.func].kwargs)
    assert submitted() == (1, False)


@pytest.mark.parametrize("who", ["secretariat", "manager"])
def test_status_round_progress_counts_reported_statuses(client, secretariat, world, who):
    """In a status round the chart shows reported / not yet reported (of the approved
    follow-ups), each figure linking to the list with that count."""
    old = FollowUp.objects.filter(recommendation__report__year=2028)
    status_round = services.round_open(
        actor=secretariat,
        report=old.first().recommendation.report,
        name="Status igen",
        kind="status",
        deadline=datetime.date(2031, 1, 1),
    )
    services.status_update_save(
        followup=old.get(department=world["mine"]),
        round=status_round,
        actor=secretariat,
        status="ongoing",
        text="Fast praksis nu",
    )
    client.force_login(secretariat if who == "secretariat" else world["manager"])
    html = client.get(DASH, {"round": status_round.pk}).content.decode()
    figures = _figures(html, "progress")
    reported = [n for link, n in figures if "reported=yes" in link]
    missing = [n for link, n in figures if "reported=no" in link]
    # Forvaltning Min (with its centre): 1 of 2 reported; the secretariat also sees the
    # other administration's unreported one.
    assert reported == ([0, 1] if who == "secretariat" else [1])
    assert missing == ([1, 1] if who == "secretariat" else [1])
    for link, number in figures:
        assert client.get(link).context["page"].count == number, link


def test_with_the_production_cache_and_queue_no_request_computes_after_the_first(
    client, secretariat, world, settings, monkeypatch
):
    """As production is configured (the database cache shared by every process, the
    database task queue worked off by `db_worker`): after a change, and on the next day, the
    dashboard serves the earlier figures at once, within the query limit, and queues their
    refresh; the worker computes them."""
    from django.core.management import call_command
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "opf_cache_test",
        }
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call_command("createcachetable", verbosity=0)
    clear_caches()
    client.force_login(secretariat)
    client.get(DASH)  # the session settles; the very first figures are computed here

    def page() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(DASH)
        assert response.status_code == 200
        queries = [q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
        return len(queries), response.content.decode()

    queries, html = page()
    assert NOTE not in html and queries <= 15
    f = FollowUp.objects.get(recommendation__report=world["report"], department=world["mine"])
    f = services.followup_update(
        followup=f, actor=secretariat, expected_version=None, action="Noget", responsible="X"
    )
    services.followup_submit(followup=f, actor=secretariat)
    stats.forget_in_process()  # as in another web process
    queries, html = page()
    assert NOTE in html
    assert queries <= 15
    # The figures and the open round's progress, each queued once by this process.
    page()
    assert DBTaskResult.objects.filter(status="READY").count() == 2
    # The worker's part (`manage.py db_worker` closes the database connection, which a
    # test inside a transaction cannot have): each queued task called with its arguments.
    for row in DBTaskResult.objects.filter(status="READY"):
        queued = row.task_result
        queued.task.call(*queued.args, **queued.kwargs)
    DBTaskResult.objects.all().delete()
    queries, html = page()
    assert NOTE not in html and queries <= 15
    assert sum(n for link, n in _figures(html, "progress") if "state=submitted" in link) == 1

    # The next day (overdue counts change with the date): the day before's figures at once.
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    stats.forget_in_process()
    queries, html = page()
    assert NOTE in html and queries <= 15
    assert DBTaskResult.objects.filter(status="READY").count() == 2


def test_figures_replaced_by_newer_ones_expire_soon_after(monkeypatch):
    """Each version's figures are about a megabyte at national scale: the cache keeps the
    newest for a week and lets the one it replaced expire minutes later."""
    from django.core.cache import cache
    from django.utils import timezone

    clear_caches()
    touched = []
    real_touch = cache.touch
    monkeypatch.setattr(
        cache, "touch", lambda key, timeout: touched.append((key, timeout)) or real_touch(key)
    )
    now = timezone.now()
    stats._store("test", "test:v1:day", "one", now)
    stats._store("test", "test:v1:day", "one again", now)  # same key: nothing replaced
    assert touched == []
    stats._store("test", "test:v2:day", "two", now)
    assert touched == [("test:v1:day", stats.SUPERSEDED_SECONDS)]
    assert cache.get("test:latest") == "test:v2:day"
    assert cache.get("test:v2:day") == ("two", now)


@pytest.mark.parametrize("who", ["secretariat", "manager"])
def test_recurring_themes_link_each_year_to_its_recommendations(client, secretariat, world, who):
    """The number of years is not a list's count, so it is not a link; each year opens the
    theme's recommendations of that year (as many as the user's departments have)."""
    client.force_login(secretariat if who == "secretariat" else world["manager"])
    html = client.get(DASH).content.decode()
    start = html.index('id="recurring-themes-title"')
    table = html[start : html.index("</figure>", start)]
    row = re.search(r"<tr><th[^>]*>(.*?)</th><td>(\d+)</td><td>(.*?)</td></tr>", table)
    assert row and "Svartider" in row.group(1)
    assert row.group(2) == "2"  # 2028 and 2030, no link
    years = re.findall(r'<a href="([^"]+)">(\d{4})</a>', row.group(3))
    assert [year for _link, year in years] == ["2028", "2030"]
    expected = 3 if who == "secretariat" else 2  # the manager's: Min and its centre
    for link, year in years:
        found = client.get(unescape(link)).context["page"].rows
        assert len(found) == expected, link
        assert {(r.report.year, r.theme.name) for r in found} == {(int(year), "Svartider")}
