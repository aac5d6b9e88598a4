import pytest
from django.apps import apps
from django.core.management import call_command

from departments.models import Department
from followups.models import FollowUp, FollowUpProgress, FollowUpRound, StatusUpdate
from recommendations.models import AnnualReport, Recommendation

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ("departments", "recommendations", "followups")


def counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in (*DOMAIN_APPS, "auth")
        for model in apps.get_app_config(app).get_models()
    }


def test_load_demo_content_and_idempotence(django_capture_on_commit_callbacks):
    # The e-mails go out after the commit, as in `make run`.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = counts()
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counts() == first

    assert Department.objects.count() >= 6
    assert Department.objects.filter(parent__parent__isnull=False).exists()  # three levels
    years = sorted(AnnualReport.objects.values_list("year", flat=True))
    assert len(years) == 2 and years[1] == years[0] + 1
    assert Recommendation.objects.count() >= 15
    assert Recommendation.objects.values("theme").distinct().count() >= 6
    assert Recommendation.objects.filter(scope="organisation").exists()
    assert Recommendation.objects.filter(scope="departments").exists()
    assert Recommendation.objects.filter(previous__isnull=False).exists()

    published_plan = FollowUpRound.objects.get(kind="plan", state="published")
    assert not FollowUp.objects.for_report(published_plan.report).exclude(state="approved")
    status_round = FollowUpRound.objects.get(kind="status", state="open")
    entered = StatusUpdate.objects.filter(round=status_round).count()
    assert 0 < entered < FollowUp.objects.for_report(status_round.report).count()
    # The services left the progress read model as a full recomputation gives it: a row for
    # every follow-up, "" for those without a status.
    from followups.services import followup_progress_refresh

    # Every column: the status ones and the copies of department, recommendation, report.
    columns = [f.attname for f in FollowUpProgress._meta.concrete_fields]
    left = set(FollowUpProgress.objects.values_list(*columns))
    assert len(left) == FollowUp.objects.count()
    assert any(row[columns.index("latest_status")] == "" for row in left)
    followup_progress_refresh()
    assert set(FollowUpProgress.objects.values_list(*columns)) == left

    groups = set(apps.get_model("auth", "Group").objects.values_list("name", flat=True))
    assert {"secretariat", "ombudsman_office", "council_member"} <= groups
    User = apps.get_model("auth", "User")  # noqa: N806
    assert User.objects.filter(memberships__role="case_officer").exists()
    assert User.objects.filter(memberships__role="manager").exists()

    # Each open round shows reminders sent to the departments it waits for (a week before
    # its deadline), and the demo's workflow e-mails were recorded, not printed.
    from notifications.models import Notification

    for round in FollowUpRound.objects.open():
        reminded = Notification.objects.filter(kind="deadline_soon", round=round)
        assert reminded.filter(sent_at__isnull=False).exists(), round
    assert Notification.objects.filter(kind="submitted").exists()
    assert FollowUp.objects.filter(assignee__isnull=False).exists()
    # A conversation with a mention, a comment chosen for the council, a PDF as evidence on a
    # status of the open status round, and the mention mailed.
    from collaboration.models import Attachment, Comment

    assert Comment.objects.filter(followup__isnull=False).count() >= 2
    assert Comment.objects.filter(for_council=True, recommendation__isnull=False).exists()
    evidence = Attachment.objects.get()
    assert evidence.status_update.round.state == "open"
    assert evidence.file.read(5) == b"%PDF-"
    assert Notification.objects.filter(kind="mentioned").exists()
    assert FollowUp.objects.filter(assignee__isnull=True).exists()


def test_every_write_of_the_demo_left_history_with_a_user():
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    for app in DOMAIN_APPS:
        for model in apps.get_app_config(app).get_models():
            if not model.__name__.startswith("Historical"):
                continue
            if not any(f.name == "history_user" for f in model._meta.fields):
                continue  # a tracked many-to-many's rows: their history row has the user
            assert not model.objects.filter(history_user__isnull=True).exists(), model


def test_every_domain_model_has_history():
    for app in DOMAIN_APPS:
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical") or model is FollowUpProgress:
                continue  # FollowUpProgress: a read model derived from status updates
            assert hasattr(model, "history"), f"{model.__name__} has no history"


def test_load_demo_refuses_when_the_settings_do_not_allow_the_demo(settings):
    from django.core.management.base import CommandError

    from demo.management.commands.load_demo import REFUSED_IN_PRODUCTION

    settings.DEMO_ALLOWED = False
    before = counts()
    with pytest.raises(CommandError, match="DEMO_ALLOWED"):
        call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counts() == before
    assert "config.settings.dev" in REFUSED_IN_PRODUCTION


def test_load_demo_with_production_settings_exits_non_zero(tmp_path):
    """A real `manage.py load_demo` with config.settings.prod: refused before any write."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "test-prod-demo-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH",
        "ALLOWED_HOSTS": "opfoelgning.example",
        "SQLITE_PATH": str(tmp_path / "never-written.sqlite3"),
    }
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "load_demo"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "DEMO_ALLOWED" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "never-written.sqlite3").exists()
