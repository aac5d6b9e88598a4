"""generate_scale_data at small scale: counts and history rows."""

import pytest
from django.core.management import CommandError, call_command

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
    # A moved date has a creation and a change row in the follow-up's history.
    assert FollowUp.history.count() == 150 + moved
    # The progress read model is written alongside, as the services would leave it.
    written = set(
        FollowUpProgress.objects.values_list("followup_id", "latest_status", "finished_on")
    )
    assert len(written) == FollowUp.objects.filter(status_updates__isnull=False).distinct().count()
    followup_progress_refresh()
    assert written == set(
        FollowUpProgress.objects.values_list("followup_id", "latest_status", "finished_on")
    )
    # The sequences continue after the explicit ids: ORM inserts still work.
    rec = Recommendation.objects.first()
    Recommendation.objects.create(report=rec.report, theme=rec.theme, number=9999, text="Ny")
    with pytest.raises(CommandError):
        call_command("generate_scale_data", "--recommendations", "5")
