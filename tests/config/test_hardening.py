"""SECURITY.md cases 6 (XSS), 7 (no raw SQL or unsafe markup), 9 (idle timeout), 15 (atomicity)."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from core import history as core_history
from followups import services
from followups.models import FollowUp, FollowUpRound
from tests.factories import AnnualReportFactory, DepartmentFactory, RecommendationFactory

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
]


def test_xss_payloads_are_escaped_on_every_page(client, plan, officer, secretariat):
    text = "\n".join(f"- {p}" for p in PAYLOADS) + "\n" + PAYLOADS[0]
    services.followup_update(
        followup=plan.followup,
        actor=officer,
        expected_version=None,
        action=text,
        responsible=PAYLOADS[1],
    )
    recommendation = plan.recommendation
    recommendation.text = text
    core_history.save_tracked(recommendation, actor=secretariat)
    client.force_login(secretariat)
    urls = [
        plan.report.get_absolute_url(),
        recommendation.get_absolute_url(),
        plan.followup.get_absolute_url(),
        reverse("followups:history", args=[plan.followup.pk]),
        reverse("recommendations:history", args=[recommendation.pk]),
        reverse("followups:edit", args=[plan.followup.pk]),
        reverse("reports:preview", args=[plan.report.year]),
        reverse("dashboard:recommendations"),
        reverse("dashboard:followups") + "?q=alert",
        reverse("dashboard:dashboard"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "<svg onload" not in html, url
        if url != reverse("dashboard:dashboard"):  # the dashboard shows figures, not texts
            assert "&lt;script&gt;alert(" in html, url


def test_xss_in_department_and_theme_names_is_escaped_where_html_is_built_in_python(
    client, plan, approved_followup, secretariat
):
    """The dashboard's charts and tables and the lists' filter options are built in Python
    (not by templates) from department, theme and round names."""
    department = plan.followup.department
    department.name = PAYLOADS[0]
    core_history.save_tracked(department, actor=secretariat)
    theme = plan.recommendation.theme
    theme.name = PAYLOADS[1]
    core_history.save_tracked(theme, actor=secretariat)
    client.force_login(secretariat)
    urls = [
        reverse("dashboard:dashboard"),
        reverse("dashboard:recommendations"),
        reverse("dashboard:followups"),
        reverse("reports:preview", args=[plan.report.year]),
        plan.report.get_absolute_url(),
    ]
    for url in urls:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;alert(" in html and "&lt;img src=x" in html, url


SOURCE_DIRS = ["config", "core", "departments", "recommendations", "followups", "reports"]
FORBIDDEN = [
    (re.compile(r"\.raw\("), "Manager.raw"),
    (re.compile(r"\.extra\("), "QuerySet.extra"),
    (re.compile(r"\bRawSQL\("), "RawSQL"),
    (re.compile(r"""execute\(\s*f["']"""), "f-string SQL"),
    (re.compile(r"""fields\s*=\s*["']__all__["']"""), 'ModelForm fields="__all__"'),
    (re.compile(r"filter\(\*\*request\."), "filter(**request...)"),
]
# Reviewed: these compose SQL only from model metadata (quoted table names), never user input:
# the scale-data generator COPYs into tables; the lists' sort by group puts constant SQL
# around the ORM's compiled query (values stay parameters; the ORM has no LATERAL join).
RAW_SQL_ALLOWED = {
    "reports/management/commands/generate_scale_data.py",
    "core/queries.py",
}
# Reviewed uses of mark_safe: each builds markup from escaped parts or constants.
# The dashboard builds its SVG charts and tables, and the lists' filter form its selects'
# options, in Python for speed at national scale; every text and URL in them is escaped.
MARK_SAFE_ALLOWED = {
    "recommendations/templatetags/richtext.py",
    "followups/admin.py",
    "reports/dashboard/charts.py",
    "reports/templatetags/list_filters.py",
}


def _sources():
    base = Path(settings.BASE_DIR)
    for folder in SOURCE_DIRS:
        for path in (base / folder).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path.relative_to(base).as_posix(), path.read_text()


def test_no_raw_sql_or_unsafe_constructs_in_the_code():
    found = [
        f"{name}: {label}"
        for name, source in _sources()
        for pattern, label in FORBIDDEN
        if pattern.search(source) and name not in RAW_SQL_ALLOWED
    ]
    assert found == []


def test_mark_safe_and_safe_filter_only_where_reviewed():
    uses = {name for name, source in _sources() if "mark_safe(" in source}
    assert uses <= MARK_SAFE_ALLOWED
    templates = Path(settings.BASE_DIR) / "templates"
    safe_filters = [
        p.relative_to(templates).as_posix()
        for p in templates.rglob("*.html")
        if re.search(r"\|\s*safe\b", p.read_text())
    ]
    assert safe_filters == []


def test_idle_session_expires_after_two_hours(client, officer):
    assert settings.SESSION_COOKIE_AGE == 2 * 60 * 60
    client.force_login(officer)
    session = client.session
    session.set_expiry(-1)  # as if the two idle hours had passed
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _session_writes(ctx) -> int:
    return sum(
        1
        for q in ctx.captured_queries
        if "django_session" in q["sql"] and q["sql"].lstrip().startswith(("UPDATE", "INSERT"))
    )


def test_activity_restarts_the_idle_timeout_without_a_write_per_request(
    client, officer, monkeypatch
):
    """Page views do not write the session row each time; once the refresh interval has
    passed, the next request saves it with a new expiry (two hours from then)."""
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from config import middleware

    client.force_login(officer)
    now = [1_900_000_000.0]
    monkeypatch.setattr(middleware.time, "time", lambda: now[0])
    client.get(reverse("home"))  # the first request marks the session as refreshed
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(3):
            assert client.get(reverse("home")).status_code == 200
    assert _session_writes(ctx) == 0
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    before = Session.objects.get(session_key=key).expire_date
    now[0] += settings.SESSION_REFRESH_SECONDS
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("home")).status_code == 200
    assert _session_writes(ctx) == 1
    after = Session.objects.get(session_key=key).expire_date
    assert after > before
    expected = timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert abs((after - expected).total_seconds()) < 60


def test_a_login_request_stamps_the_session_so_the_next_page_writes_nothing(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import UserFactory

    user = UserFactory(username="stempel", roles=["secretariat"])
    user.set_password("en-lang-adgangskode-2026")
    user.save()
    response = client.post(
        reverse("login"), {"username": "stempel", "password": "en-lang-adgangskode-2026"}
    )
    assert response.status_code == 302
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("home")).status_code == 200
    assert _session_writes(ctx) == 0


def test_anonymous_requests_create_no_session(client):
    from django.contrib.sessions.models import Session

    client.get(reverse("login"))
    client.get("/")
    assert Session.objects.count() == 0


def test_failure_after_the_first_write_leaves_nothing(secretariat, monkeypatch):
    """round_open saves the round, then creates tasks: a failure in the tasks undoes the round."""
    report = AnnualReportFactory(year=2040)
    RecommendationFactory(report=report, named=[DepartmentFactory(), DepartmentFactory()])
    calls = {"n": 0}
    real_save = services.save_tracked

    def failing_save(instance, *, actor, **kwargs):
        if isinstance(instance, FollowUp):
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("disk full")
        return real_save(instance, actor=actor, **kwargs)

    monkeypatch.setattr(services, "save_tracked", failing_save)
    with pytest.raises(RuntimeError):
        services.round_open(
            actor=secretariat,
            report=report,
            name="Plan",
            kind="plan",
            deadline=datetime.date(2041, 1, 1),
        )
    assert FollowUpRound.objects.filter(report=report).count() == 0
    assert FollowUp.objects.filter(recommendation__report=report).count() == 0
    assert FollowUpRound.history.filter(report=report).count() == 0


def test_database_refuses_invalid_rows_written_around_the_services(plan):
    """CHECK and UNIQUE hold even for writes that bypass the services."""
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.create(
            recommendation=plan.recommendation, department=plan.followup.department
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.filter(pk=plan.followup.pk).update(state="submitted", action="")
