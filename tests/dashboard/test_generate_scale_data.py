"""generate_scale_data at small scale: counts and history rows."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from departments.models import Department
from followups.models import (
    FollowUp,
    FollowUpProgress,
    FollowUpRound,
    StatusUpdate,
    TargetDateChange,
)
from followups.services import followup_progress_refresh
from recommendations.models import Recommendation, RecommendationDepartment

pytestmark = pytest.mark.django_db(transaction=True)


def test_small_run_writes_objects_and_their_history(capsys):
    call_command(
        "generate_scale_data",
        "--recommendations",
        "50",
        "--followups-per",
        "3",
        "--statuses-per",
        "2",
        "--years",
        "5",
        "--municipalities",
        "2",
    )
    out = capsys.readouterr().out
    assert "Done in" in out
    assert Recommendation.objects.count() == 50
    assert FollowUp.objects.count() == 150
    # Every follow-up reports in `statuses-per` rounds on average (older reports make up
    # for the newest one, whose action plan is still open).
    assert StatusUpdate.objects.count() == 150 * 2
    assert FollowUpRound.objects.open().count() == 1
    assert Department.objects.filter(parent__isnull=True).count() == 12
    for model in (Recommendation, RecommendationDepartment, FollowUp, StatusUpdate):
        ids = set(model.objects.values_list("pk", flat=True))
        assert ids == set(model.history.values_list("id", flat=True)), model
    moved = FollowUp.objects.date_moved().count()
    assert TargetDateChange.objects.count() == moved
    assert TargetDateChange.history.count() == moved
    # Each follow-up's history as the services write it: created empty when the plan round
    # opened, then written, submitted, approved or returned; a moved date comes last with
    # the new date, the rows before it hold the first one. Nothing dated in the future.
    now = timezone.now()
    moved_ids = set(FollowUp.objects.date_moved().values_list("pk", flat=True))
    for f in FollowUp.objects.all():
        rows = list(f.history.order_by("history_id"))
        assert (rows[0].history_type, rows[0].action, rows[0].state) == ("+", "", "draft")
        states = [row.state for row in rows[1:]]
        if f.pk in moved_ids:
            assert rows[-2].target_date == f.original_target_date != f.target_date
            states = states[:-1]
        expected = {
            "draft": ["draft"] if f.action else [],
            "submitted": ["draft", "submitted"],
            "approved": ["draft", "submitted", "approved"],
            "returned": ["draft", "submitted", "returned"],
        }[f.state]
        assert states == expected, f.pk
        last = rows[-1]
        assert (last.action, last.target_date, last.state) == (f.action, f.target_date, f.state)
        assert all(row.history_date <= now for row in rows)
    # The progress read model is written alongside, as the services would leave it.
    # Every column: the status ones and the copies of department, recommendation, report.
    columns = [f.attname for f in FollowUpProgress._meta.concrete_fields]
    written = set(FollowUpProgress.objects.values_list(*columns))
    assert len(written) == FollowUp.objects.count()
    assert FollowUpProgress.objects.filter(latest_status="").count() == 30  # the newest plan's
    followup_progress_refresh()
    assert written == set(FollowUpProgress.objects.values_list(*columns))
    # The sequences continue after the explicit ids: ORM inserts still work.
    rec = Recommendation.objects.first()
    Recommendation.objects.create(report=rec.report, theme=rec.theme, number=9999, text="Ny")
    with pytest.raises(CommandError):
        call_command("generate_scale_data", "--recommendations", "5")
