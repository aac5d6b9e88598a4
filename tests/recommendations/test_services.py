import datetime

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from core.errors import ConflictError, ServiceError
from recommendations import services
from recommendations.models import Recommendation, RecommendationDepartment, Theme
from tests.factories import (
    AnnualReportFactory,
    DepartmentFactory,
    RecommendationFactory,
    ThemeFactory,
)
from tests.history import assert_one_new_history_row

pytestmark = pytest.mark.django_db


def test_report_create(secretariat):
    report = services.report_create(
        actor=secretariat,
        year=2024,
        title="Borgerrådgiverens årsberetning 2024",
        published_on=datetime.date(2025, 4, 1),
        case_number="2025-1",
        document=ContentFile(b"%PDF-1.4 demo", name="beretning.pdf"),
    )
    assert report.document.name.endswith(".pdf")
    assert_one_new_history_row(report, before=0, user=secretariat, kind="+")


def test_report_year_unique(secretariat):
    AnnualReportFactory(year=2024)
    with pytest.raises(ServiceError) as exc:
        services.report_create(actor=secretariat, year=2024, title="Igen")
    assert exc.value.message_template == services.MSG_YEAR_EXISTS
    assert "2024" in exc.value.message


def test_report_update_history_and_unknown_field(secretariat):
    report = AnnualReportFactory()
    services.report_update(report=report, actor=secretariat, title="Ny titel")
    assert assert_one_new_history_row(report, before=1, user=secretariat).title == "Ny titel"
    with pytest.raises(TypeError):
        services.report_update(report=report, actor=secretariat, year=1999)


def test_theme_reused_ignoring_case_and_spacing(secretariat):
    theme = services.theme_get_or_create(actor=secretariat, name="Ældre  Pleje")
    again = services.theme_get_or_create(actor=secretariat, name="ældre pleje ")
    assert again.pk == theme.pk
    assert Theme.objects.count() == 1
    assert_one_new_history_row(theme, before=0, user=secretariat, kind="+")
    with pytest.raises(ServiceError):
        services.theme_get_or_create(actor=secretariat, name="   ")


def test_theme_update_refuses_duplicate(secretariat):
    a = services.theme_get_or_create(actor=secretariat, name="Svartider")
    b = services.theme_get_or_create(actor=secretariat, name="Dialog")
    with pytest.raises(ServiceError):
        services.theme_update(theme=b, actor=secretariat, name="SVARTIDER")
    services.theme_update(theme=a, actor=secretariat, name="Svartid", description="x")
    assert assert_one_new_history_row(a, before=1, user=secretariat).name == "Svartid"


def test_recommendation_create_numbers_and_history(secretariat):
    report = AnnualReportFactory()
    theme = ThemeFactory()
    dept = DepartmentFactory()
    first = services.recommendation_create(actor=secretariat, report=report, theme=theme, text="A")
    second = services.recommendation_create(
        actor=secretariat,
        report=report,
        theme=theme,
        text="B",
        scope="departments",
        departments=[dept],
    )
    assert (first.number, second.number) == (1, 2)
    assert list(second.departments.all()) == [dept]
    assert_one_new_history_row(second, before=0, user=secretariat, kind="+")
    scope_row = RecommendationDepartment.objects.get(recommendation=second)
    assert_one_new_history_row(scope_row, before=0, user=secretariat, kind="+")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "  "}, services.MSG_TEXT_REQUIRED),
        ({"scope": "departments"}, services.MSG_DEPARTMENTS_REQUIRED),
        ({"response": "rejected"}, services.MSG_REASON_REQUIRED),
        ({"number": 1}, services.MSG_NUMBER_TAKEN),
    ],
)
def test_recommendation_create_refusals(secretariat, kwargs, message):
    report = AnnualReportFactory()
    RecommendationFactory(report=report, number=1)
    data = {"text": "Tekst", **kwargs}
    with pytest.raises(ServiceError) as exc:
        services.recommendation_create(
            actor=secretariat, report=report, theme=ThemeFactory(), **data
        )
    assert exc.value.message_template == message
    assert Recommendation.objects.count() == 1


def test_organisation_scope_cannot_name_departments(secretariat):
    with pytest.raises(ServiceError) as exc:
        services.recommendation_create(
            actor=secretariat,
            report=AnnualReportFactory(),
            theme=ThemeFactory(),
            text="x",
            scope="organisation",
            departments=[DepartmentFactory()],
        )
    assert exc.value.message_template == services.MSG_DEPARTMENTS_NOT_ALLOWED


def test_update_changes_scope_rows_with_history(secretariat):
    a, b = DepartmentFactory(), DepartmentFactory()
    rec = RecommendationFactory(named=[a])
    before = rec.history.count()
    rec = services.recommendation_update(
        recommendation=rec,
        actor=secretariat,
        expected_version=1,
        theme=rec.theme,
        text="Ny tekst",
        kind="criticism",
        scope="departments",
        departments=[b],
    )
    assert rec.version == 2
    assert list(rec.departments.all()) == [b]
    removed = RecommendationDepartment.history.filter(department=a, history_type="-").get()
    assert removed.history_user == secretariat
    assert assert_one_new_history_row(rec, before=before, user=secretariat).text == "Ny tekst"


def test_update_detects_stale_version(secretariat, ombudsman):
    rec = RecommendationFactory()
    services.recommendation_assess(recommendation=rec, actor=ombudsman, assessment="satisfactory")
    with pytest.raises(ConflictError) as exc:
        services.recommendation_update(
            recommendation=rec,
            actor=secretariat,
            expected_version=1,
            theme=rec.theme,
            text="Forældet",
            kind=rec.kind,
            scope=rec.scope,
            departments=[],
        )
    assert exc.value.status_code == 409
    assert exc.value.current.assessment == "satisfactory"
    rec.refresh_from_db()
    assert rec.text != "Forældet"


def test_set_response_and_assess(secretariat, ombudsman):
    rec = RecommendationFactory()
    with pytest.raises(ServiceError):
        services.recommendation_set_response(
            recommendation=rec, actor=secretariat, response="rejected"
        )
    with pytest.raises(ServiceError):
        services.recommendation_set_response(
            recommendation=rec, actor=secretariat, response="maybe"
        )
    services.recommendation_set_response(
        recommendation=rec, actor=secretariat, response="rejected", reason="For dyrt"
    )
    assert assert_one_new_history_row(rec, before=1, user=secretariat).response == "rejected"
    with pytest.raises(ServiceError):
        services.recommendation_assess(recommendation=rec, actor=ombudsman, assessment="fine")
    services.recommendation_assess(
        recommendation=rec, actor=ombudsman, assessment="insufficient", note="Svaret er for vagt."
    )
    assert assert_one_new_history_row(rec, before=2, user=ombudsman).assessment == "insufficient"


def test_link_only_to_earlier_year(secretariat):
    old = RecommendationFactory(report=AnnualReportFactory(year=2023))
    new = RecommendationFactory(report=AnnualReportFactory(year=2024))
    with pytest.raises(ServiceError) as exc:
        services.recommendation_link(
            recommendation=old, previous=new, link_kind="repeats", actor=secretariat
        )
    assert exc.value.message_template == services.MSG_LINK_EARLIER_ONLY
    with pytest.raises(ServiceError):
        services.recommendation_link(
            recommendation=new, previous=old, link_kind="", actor=secretariat
        )
    services.recommendation_link(
        recommendation=new, previous=old, link_kind="continues", actor=secretariat
    )
    assert assert_one_new_history_row(new, before=1, user=secretariat).previous_id == old.pk
    earlier, later = old.chain()
    assert earlier == [] and later == [new]
    services.recommendation_link(recommendation=new, previous=None, link_kind="", actor=secretariat)
    new.refresh_from_db()
    assert new.previous is None and new.link_kind == ""


def test_database_constraints():
    rec = RecommendationFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Recommendation.objects.filter(pk=rec.pk).update(response="rejected", response_reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Recommendation.objects.filter(pk=rec.pk).update(link_kind="repeats")
    with pytest.raises(IntegrityError), transaction.atomic():
        RecommendationFactory(report=rec.report, number=rec.number)


def test_roles_are_enforced(officer, council, secretariat, ombudsman):
    from django.core.exceptions import PermissionDenied

    rec = RecommendationFactory()
    for user in (officer, council):
        with pytest.raises(PermissionDenied):
            services.report_create(actor=user, year=2040, title="x")
        with pytest.raises(PermissionDenied):
            services.theme_get_or_create(actor=user, name="Nyt tema")
        with pytest.raises(PermissionDenied):
            services.recommendation_create(actor=user, report=rec.report, theme=rec.theme, text="x")
    with pytest.raises(PermissionDenied):
        services.recommendation_assess(
            recommendation=rec, actor=secretariat, assessment="satisfactory"
        )
    with pytest.raises(PermissionDenied):
        services.recommendation_set_response(
            recommendation=rec, actor=ombudsman, response="accepted"
        )
    with pytest.raises(PermissionDenied):
        services.recommendation_restore(recommendation=rec, history_id=1, actor=ombudsman)


# --- length limits (issue 19): services refuse with a Danish message, never an IntegrityError


TOO_LONG = "x" * 10_001


@pytest.mark.parametrize(
    ("write", "field", "who"),
    [
        (
            lambda actor, rec: services.report_create(
                actor=actor, year=2040, title="T", introduction=TOO_LONG
            ),
            "Indledning",
            "secretariat",
        ),
        (
            lambda actor, rec: services.theme_get_or_create(
                actor=actor, name="Nyt tema", description=TOO_LONG
            ),
            "Beskrivelse",
            "secretariat",
        ),
        (
            lambda actor, rec: services.recommendation_create(
                actor=actor, report=rec.report, theme=rec.theme, text=TOO_LONG
            ),
            "Tekst",
            "secretariat",
        ),
        (
            lambda actor, rec: services.recommendation_set_response(
                recommendation=rec, actor=actor, response="rejected", reason=TOO_LONG
            ),
            None,
            "secretariat",
        ),
        (
            lambda actor, rec: services.recommendation_assess(
                recommendation=rec, actor=actor, assessment="insufficient", note=TOO_LONG
            ),
            None,
            "ombudsman",
        ),
    ],
)
def test_text_over_the_limit_is_a_danish_service_error(request, write, field, who):
    from django.utils import translation

    rec = RecommendationFactory()
    counts = (Recommendation.objects.count(), Theme.objects.count(), rec.history.count())
    with translation.override("da"), pytest.raises(ServiceError) as exc:
        write(request.getfixturevalue(who), rec)
    assert "højst 10.000 tegn" in exc.value.message
    if field:
        assert exc.value.message.startswith(field)
    rec.refresh_from_db()
    assert (Recommendation.objects.count(), Theme.objects.count(), rec.history.count()) == counts
    assert rec.response_reason == rec.assessment_note == ""
