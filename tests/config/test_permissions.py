"""Role × department × endpoint: another department's object is 404, read-only roles 403."""

import datetime
import io

import openpyxl
import pypdf
import pytest
from django.urls import reverse

from followups import services
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory, open_plan

pytestmark = pytest.mark.django_db

ROLES = [
    "own_officer",
    "own_manager",
    "other_officer",
    "other_manager",
    "council",
    "ombudsman",
    "secretariat",
    "no_role",
]


@pytest.fixture
def world(secretariat):
    own, other = DepartmentFactory(), DepartmentFactory()
    plan = open_plan(department=own, actor=secretariat)
    users = {
        "own_officer": MembershipFactory(department=own).user,
        "own_manager": MembershipFactory(department=own, role="manager").user,
        "other_officer": MembershipFactory(department=other).user,
        "other_manager": MembershipFactory(department=other, role="manager").user,
        "council": UserFactory(roles=["council_member"]),
        "ombudsman": UserFactory(roles=["ombudsman_office"]),
        "secretariat": secretariat,
        "no_role": UserFactory(),
    }
    services.followup_update(
        followup=plan.followup,
        actor=users["own_officer"],
        expected_version=None,
        action="Handling-7F3A",
        target_date=datetime.date(2031, 1, 1),
    )
    return plan, users


def followup_gets(plan):
    f = plan.followup
    return [
        reverse("followups:detail", args=[f.pk]),
        reverse("followups:history", args=[f.pk]),
        reverse("followups:edit", args=[f.pk]),
        reverse("recommendations:detail", args=[plan.recommendation.pk]),
        reverse("recommendations:history", args=[plan.recommendation.pk]),
    ]


def followup_posts(plan):
    f = plan.followup
    history_id = f.history.first().history_id
    return [
        reverse("followups:edit", args=[f.pk]),
        reverse("followups:submit", args=[f.pk]),
        reverse("followups:approve", args=[f.pk]),
        reverse("followups:return", args=[f.pk]),
        reverse("followups:move_date", args=[f.pk]),
        reverse("followups:restore", args=[f.pk, history_id]),
        reverse("recommendations:assess", args=[plan.recommendation.pk]),
        reverse(
            "recommendations:restore",
            args=[plan.recommendation.pk, plan.recommendation.history.first().history_id],
        ),
    ]


# GET expectations for the follow-up's own pages (detail, history, edit form, the
# recommendation page and its history).
EXPECTED_GET = {
    "own_officer": [200, 200, 200, 200, 200],
    "own_manager": [200, 200, 200, 200, 200],
    "other_officer": [404, 404, 404, 404, 404],
    "other_manager": [404, 404, 404, 404, 404],
    # Council members read published plans only; this plan is still open.
    "council": [404, 404, 404, 200, 200],
    "ombudsman": [200, 200, 403, 200, 200],
    "secretariat": [200, 200, 200, 200, 200],
    "no_role": [404, 404, 404, 404, 404],
}


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(client, world, role):
    plan, users = world
    client.force_login(users[role])
    got = [client.get(url).status_code for url in followup_gets(plan)]
    assert got == EXPECTED_GET[role]


@pytest.mark.parametrize("role", ["other_officer", "other_manager"])
def test_other_department_gets_404_on_every_post_and_nothing_changes(client, world, role):
    plan, users = world
    client.force_login(users[role])
    before = plan.followup.history.count()
    for url in followup_posts(plan)[:6]:
        assert (
            client.post(
                url,
                {
                    "version": 2,
                    "action": "x",
                    "comment": "x",
                    "new_date": "2031-02-01",
                    "reason": "x",
                },
            ).status_code
            == 404
        )
    assert plan.followup.history.count() == before


@pytest.mark.parametrize("role", ["council", "no_role"])
def test_read_only_roles_get_403_on_any_post(client, world, role):
    plan, users = world
    client.force_login(users[role])
    urls = [
        *followup_posts(plan),
        reverse("followups:round_close", args=[plan.round.pk]),
        reverse("followups:round_new"),
        reverse("recommendations:report_new"),
    ]
    for url in urls:
        assert client.post(url, {"action": "x"}).status_code == 403, url


def test_officer_cannot_approve_or_manage(client, world):
    plan, users = world
    client.force_login(users["own_officer"])
    services.followup_submit(followup=plan.followup, actor=users["own_officer"])
    assert client.post(reverse("followups:approve", args=[plan.followup.pk])).status_code == 403
    assert client.post(reverse("followups:round_close", args=[plan.round.pk])).status_code == 403
    assert (
        client.post(
            reverse("recommendations:assess", args=[plan.recommendation.pk]),
            {"assessment": "satisfactory"},
        ).status_code
        == 403
    )


def test_extra_fields_are_ignored(client, world):
    """Mass assignment: department, version, state in the POST change nothing."""
    plan, users = world
    client.force_login(users["own_officer"])
    other = DepartmentFactory()
    response = client.post(
        reverse("followups:edit", args=[plan.followup.pk]),
        {
            "version": 2,
            "action": "Ny",
            "responsible": "",
            "target_date": "2031-01-01",
            "department": other.pk,
            "state": "approved",
            "recommendation": 999,
        },
    )
    assert response.status_code == 302
    plan.followup.refresh_from_db()
    assert plan.followup.department_id != other.pk
    assert plan.followup.state == "draft"
    assert plan.followup.version == 3


def test_anonymous_is_sent_to_login(client, world):
    plan, _users = world
    for url in followup_gets(plan):
        response = client.get(url)
        assert response.status_code == 302 and "/konto/login/" in response["Location"]


EXPORTS = ["reports:preview", "reports:csv", "reports:xlsx", "reports:pdf"]
SEES_OWN_FOLLOWUPS = {"own_officer", "own_manager", "ombudsman", "secretariat"}
# Asking for the own department's report: members and global readers may, others get 404.
DEPARTMENT_REPORT = {
    "own_officer": 200,
    "own_manager": 200,
    "other_officer": 404,
    "other_manager": 404,
    "council": 200,  # council members read every department's published report
    "ombudsman": 200,
    "secretariat": 200,
    "no_role": 404,
}
DASHBOARD = {
    "own_officer": 403,
    "own_manager": 200,
    "other_officer": 403,
    "other_manager": 200,
    "council": 403,
    "ombudsman": 200,
    "secretariat": 200,
    "no_role": 403,
}


def _text(response) -> str:
    body = b"".join(response)
    if response["Content-Type"] == "application/pdf":
        reader = pypdf.PdfReader(io.BytesIO(body))
        return " ".join(page.extract_text() for page in reader.pages)
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return " ".join(
            str(v) for ws in workbook for row in ws.iter_rows(values_only=True) for v in row if v
        )
    return body.decode("utf-8", "replace")


@pytest.mark.parametrize("role", ROLES)
def test_exports_and_filters_matrix(client, world, role):
    """Exports, PDF, filtered lists and the dashboard: right status, no other department's data."""
    plan, users = world
    client.force_login(users[role])
    year, department = plan.report.year, plan.followup.department
    sees = role in SEES_OWN_FOLLOWUPS
    for name in EXPORTS:
        whole = client.get(reverse(name, args=[year]))
        assert whole.status_code == 200, name
        assert ("Handling-7F3A" in _text(whole)) == sees, name
        own = client.get(reverse(name, args=[year]) + f"?afdeling={department.short_name}")
        assert own.status_code == DEPARTMENT_REPORT[role], name
    for query in ("", f"?department={department.pk}", "?q=handling", "?overdue=on"):
        response = client.get(reverse("dashboard:followups") + query)
        assert response.status_code == 200
        if query != "?overdue=on":
            assert ("7F3A" in response.content.decode()) == sees, query
    dashboard = client.get(reverse("dashboard:dashboard"))
    assert dashboard.status_code == DASHBOARD[role]
    if role == "other_manager":
        url = reverse("dashboard:dashboard") + f"?department={department.pk}"
        assert client.get(url).status_code == 404
    assert client.get(reverse("importing:upload")).status_code == (
        200 if role == "secretariat" else 403
    )
