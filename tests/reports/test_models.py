"""The renderings' bookkeeping (reports.models): a state outside its choices is refused by the
database as on the domain tables (tests/departments/test_models.py)."""

import pytest
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from reports.models import EditionRendering, ReportRendering

pytestmark = pytest.mark.django_db

MODELS = [ReportRendering, EditionRendering]


def test_every_choice_column_has_a_check_naming_exactly_its_choices():
    found = 0
    for model in MODELS:
        for field in model._meta.concrete_fields:
            if not field.choices:
                continue
            allowed = {value for value, _label in field.choices}
            lists = [
                set(c.condition.children[0][1])
                for c in model._meta.constraints
                if isinstance(c, models.CheckConstraint)
                and isinstance(c.condition, models.Q)
                and len(c.condition.children) == 1
                and c.condition.children[0][0] == f"{field.name}__in"
            ]
            assert lists == [allowed], f"{model.__name__}.{field.name}"
            found += 1
    assert found >= 2


@pytest.mark.parametrize("model", MODELS)
def test_the_database_refuses_a_state_outside_the_choices(model, report_data, secretariat):
    ReportRendering.objects.create(key="a" * 64, year=2031, queued_at=timezone.now())
    EditionRendering.objects.create(round=report_data.status_round, requested_by=secretariat)
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.update(state="bogus")
    assert set(model.objects.values_list("state", flat=True)) <= set(model.State.values)
