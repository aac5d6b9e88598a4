"""The database's own guards on the domain tables (every choice column, every free-text
column), and the users' history (departments.models.UserHistoricalRecords)."""

import datetime

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in
from django.db import IntegrityError, models, transaction
from django.db.models.lookups import LessThanOrEqual
from django.test import RequestFactory

from core.text import TEXT_MAX_LENGTH
from followups import services as followup_services
from followups.models import StatusUpdate, TargetDateChange
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date
APPS = ("departments", "recommendations", "followups")


def domain_models():
    for app in APPS:
        for model in apps.get_app_config(app).get_models():
            if not model.__name__.startswith("Historical"):
                yield model


def choice_columns():
    for model in domain_models():
        for field in model._meta.concrete_fields:
            if field.choices:
                yield model, field


def text_columns():
    for model in domain_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.TextField):
                yield model, field


def checks(model):
    return [c for c in model._meta.constraints if isinstance(c, models.CheckConstraint)]


def test_every_choice_column_has_a_check_naming_exactly_its_choices():
    """A choice added to the code without its constraint (or a constraint left with an old
    list) fails here; the test below shows the database refusing."""
    found = 0
    for model, field in choice_columns():
        allowed = {value for value, _label in field.choices} | ({""} if field.blank else set())
        lists = [
            set(c.condition.children[0][1])
            for c in checks(model)
            if isinstance(c.condition, models.Q)
            and len(c.condition.children) == 1
            and c.condition.children[0][0] == f"{field.name}__in"
        ]
        assert lists == [allowed], f"{model.__name__}.{field.name}: {lists} != {allowed}"
        found += 1
    assert found >= 12


def test_every_free_text_column_is_limited_in_forms_and_database():
    found = 0
    for model, field in text_columns():
        assert field.max_length == TEXT_MAX_LENGTH, f"{model.__name__}.{field.name}"
        limits = [
            c
            for c in checks(model)
            if isinstance(c.condition, LessThanOrEqual)
            and c.condition.lhs.source_expressions[0].name == field.name
            and c.condition.rhs == TEXT_MAX_LENGTH
        ]
        assert len(limits) == 1, f"{model.__name__}.{field.name}"
        found += 1
    assert found >= 9


@pytest.fixture
def one_of_each(approved_followup, plan, officer, manager, secretariat):
    """A row in every domain table: departments, memberships, a report with its theme and
    recommendation, rounds, a follow-up with a moved date and a status, the read model."""
    for new_date in (D(2031, 6, 1), D(2031, 9, 1)):  # the first sets it, the second moves it
        followup_services.followup_move_target_date(
            followup=approved_followup, actor=officer, new_date=new_date, reason="Senere"
        )
    status_round = followup_services.round_open(
        actor=secretariat, report=plan.report, name="Status", kind="status", deadline=D(2032, 1, 1)
    )
    followup_services.status_update_save(
        followup=approved_followup,
        round=status_round,
        actor=officer,
        status="in_progress",
        text="I gang",
        expected_version=0,
    )
    assert StatusUpdate.objects.exists() and TargetDateChange.objects.exists()


def refused(model, **values) -> bool:
    row = model.objects.order_by("pk").first()
    assert row is not None, model
    try:
        with transaction.atomic():
            model.objects.filter(pk=row.pk).update(**values)
    except IntegrityError:
        return True
    return False


@pytest.mark.usefixtures("one_of_each")
def test_the_database_refuses_a_value_outside_the_choices():
    """Raw SQL, a bulk update or a future bug get no further than the database (PostgreSQL
    and SQLite)."""
    for model, field in choice_columns():
        assert refused(model, **{field.name: "bogus"}), f"{model.__name__}.{field.name}"


@pytest.mark.usefixtures("one_of_each")
def test_the_database_refuses_text_over_the_limit_and_takes_text_at_it():
    for model, field in text_columns():
        name = f"{model.__name__}.{field.name}"
        assert refused(model, **{field.name: "x" * (TEXT_MAX_LENGTH + 1)}), name
        # Counted in characters, not bytes: 10,000 Danish letters fit.
        assert not refused(model, **{field.name: "æ" * TEXT_MAX_LENGTH}), name


# --- the users' history ---------------------------------------------------------------------


def test_a_login_or_a_password_is_not_a_change_of_roles():
    user = UserFactory()
    rows = user.history.count()
    request = RequestFactory().get("/")
    user_logged_in.send(sender=type(user), request=request, user=user)  # saves last_login
    user.refresh_from_db()
    assert user.last_login is not None
    assert user.history.count() == rows
    field_names = {f.name for f in user.history.model._meta.fields}
    assert "password" not in field_names and "last_login" not in field_names


def test_active_flag_and_groups_leave_rows_also_through_the_groups_side():
    user = UserFactory()
    rows = user.history.count()
    user.is_active = False
    user._history_user = actor = UserFactory()
    user.save()
    latest = user.history.first()
    assert (user.history.count(), latest.is_active, latest.history_user) == (rows + 1, False, actor)
    group = Group.objects.create(name="council_member")
    group.user_set.add(user)
    latest = user.history.first()
    assert user.history.count() == rows + 2
    assert [g.group for g in latest.groups.all()] == [group]
    group.user_set.clear()
    assert user.history.count() == rows + 3
    assert list(user.history.first().groups.all()) == []
