"""open_round, close_round and publish_round: the web's round services from a script."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from followups.models import FollowUp, FollowUpRound
from reports.models import EditionRendering, ReportEdition
from tests import factories


def run(name, *args) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def report(db, department):
    report = factories.AnnualReportFactory(year=2030)
    factories.RecommendationFactory(report=report, named=[department])
    return report


def test_a_years_rounds_end_to_end(report, secretariat, department, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    user = ["--user", secretariat.username]
    with translation.override("en"):  # the caller's language does not matter
        out = run(
            "open_round",
            *("--year", "2030", "--kind", "plan", "--name", "Handleplan 2031"),
            *("--deadline", "2031-04-01", "--meeting", "2031-04-20", *user),
        )
    assert out.strip() == "Åbnede “Handleplan 2031” (handleplan) for årsberetningen 2030."
    plan = FollowUpRound.objects.get(report=report)
    assert (plan.kind, plan.state, plan.deadline, plan.meeting_date) == (
        "plan",
        "open",
        datetime.date(2031, 4, 1),
        datetime.date(2031, 4, 20),
    )
    # The same service as the web: the responsible department's task is created.
    task = FollowUp.objects.get(recommendation__report=report)
    assert task.department == department
    assert plan.history.get().history_user == secretariat
    out = run("close_round", "--year", "2030", *user)
    assert out.strip() == "“Handleplan 2031” for årsberetningen 2030 er nu lukket."
    plan.refresh_from_db()
    assert plan.state == "closed"
    # The web's rule holds: a plan with an unapproved follow-up is not published.
    with pytest.raises(CommandError, match="godkendt"):
        run("publish_round", "--year", "2030", "--name", "handleplan 2031", *user)
    task.action, task.state = "Ny skabelon.", FollowUp.State.APPROVED
    task.save()
    out = run("publish_round", "--year", "2030", "--name", "Handleplan 2031", *user)
    assert out.strip() == "“Handleplan 2031” for årsberetningen 2030 er nu offentliggjort."
    plan.refresh_from_db()
    assert plan.state == "published"
    # Publishing hands the edition over as the web's button does.
    assert (
        ReportEdition.objects.filter(round=plan).exists()
        or EditionRendering.objects.filter(round=plan).exists()
    )


def test_a_second_open_round_is_refused(report, secretariat):
    factories.RoundFactory(report=report, name="Status", kind="status")
    with pytest.raises(CommandError, match="Status"):
        run(
            "open_round",
            *("--year", "2030", "--kind", "status", "--name", "Status 2", "--deadline"),
            *("2031-01-01", "--user", secretariat.username),
        )
    assert FollowUpRound.objects.count() == 1


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["--year", "1999", "--kind", "plan", "--name", "X", "--deadline", "2031-01-01"],
            "ingen årsberetning for 1999",
        ),
        (
            ["--year", "2030", "--kind", "plan", "--name", "X", "--deadline", "1/4"],
            "“1/4” er ikke en dato",
        ),
    ],
)
def test_unknown_year_or_bad_date_stop_with_a_message(report, args, message):
    with pytest.raises(CommandError, match=message):
        run("open_round", *args)
    assert FollowUpRound.objects.count() == 0


def test_only_the_secretariat(report, officer):
    with pytest.raises(
        CommandError, match="ikke i sekretariatet; kun sekretariatet kan køre kommandoen"
    ):
        run(
            "open_round",
            *("--year", "2030", "--kind", "plan", "--name", "X", "--deadline", "2031-01-01"),
            *("--user", officer.username),
        )
    assert FollowUpRound.objects.count() == 0


def test_default_user_is_the_system_user(report):
    run(
        "open_round",
        "--year",
        "2030",
        "--kind",
        "status",
        "--name",
        "S",
        "--deadline",
        "2031-01-01",
    )
    round = FollowUpRound.objects.get()
    assert round.history.get().history_user.username == "import"
    with pytest.raises(CommandError, match="har ingen runde “Findes ikke”"):
        run("close_round", "--year", "2030", "--name", "Findes ikke")
    run("close_round", "--year", "2030")
    round.refresh_from_db()
    assert round.state == "closed"


def test_a_bad_date_on_the_command_line_is_a_usage_error_not_a_traceback():
    import os
    import subprocess
    import sys

    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "open_round", "--year", "2030", "--kind", "plan"]
        + ["--name", "X", "--deadline", "1/4"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert result.returncode == 2
    assert "argument --deadline: “1/4” er ikke en dato (ÅÅÅÅ-MM-DD)." in result.stderr
    assert "Traceback" not in result.stderr
