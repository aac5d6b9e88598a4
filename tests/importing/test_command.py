import json

import pytest
from django.core.management import CommandError, call_command

from departments.models import Department
from importing.models import ImportedDocument
from recommendations.models import AnnualReport, Recommendation, Theme
from tests import factories
from tests.importing.documents import HEADER, ORG, make_csv, make_xlsx, section, zip_bomb


@pytest.fixture
def units(db):
    factories.DepartmentFactory(name="Natur og Byg", short_name="NB")
    factories.DepartmentFactory(name="Ældreområdet", short_name="ÆO")


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def document():
    return make_xlsx(
        [
            [ORG],
            HEADER,
            ["Dialog", "Tal pænt.", "Natur og Byg: - Kursus\n- Skabelon"],
            ["", "", "Ældreområdet: Ny folder"],
            [section("Børn og Unge")],
            HEADER,
            ["Dialog", "Svar børn hurtigt.", "- Hurtigere svar"],
        ]
    )


def run(*args) -> tuple[dict, str]:
    from io import StringIO

    out = StringIO()
    call_command("import_report", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    return json.loads(lines[-1]), out.getvalue()


def test_last_line_is_json_and_history_goes_to_the_given_user(tmp_path, units, secretariat):
    path = write(tmp_path, "plan.xlsx", document())
    summary, _out = run(path, "--year", "2023", "--user", secretariat.username)
    assert summary["sections"] == 2
    assert summary["themes"] == 1
    assert summary["recommendations"] == 2
    # Natur og Byg's, Ældreområdet's and the unknown department's line awaiting placement.
    assert summary["followups"] == 3
    assert summary["unplaced"] == 1
    assert summary["actions"] == 4
    # Unknown department, its unassigned bullet, and its recommendation without scope.
    assert len(summary["warnings"]) == 3
    # Danish, as the command speaks: the phrase test_create_departments checks is absent.
    assert sum("nævner ingen afdeling" in w for w in summary["warnings"]) == 1
    assert set(summary) == {
        "sections",
        "themes",
        "recommendations",
        "followups",
        "actions",
        "unplaced",
        "statuses",
        "warnings",
    }
    report = AnnualReport.objects.get(year=2023)
    assert report.history.get().history_user == secretariat
    assert ImportedDocument.objects.get().original_name == "plan.xlsx"


def test_create_departments(tmp_path, units, secretariat):
    path = write(tmp_path, "plan.xlsx", document())
    summary, _out = run(
        path, "--year", "2023", "--create-departments", "--user", secretariat.username
    )
    assert Department.objects.filter(name="Børn og Unge").exists()
    assert summary["followups"] == 3
    assert summary["unplaced"] == 0
    assert not any("nævner ingen afdeling" in w for w in summary["warnings"])


def test_dry_run_writes_nothing(tmp_path, units):
    path = write(tmp_path, "plan.xlsx", document())
    summary, out = run(path, "--year", "2023", "--dry-run", "--create-departments")
    assert "Ville importere plan.xlsx til årsberetningen 2023." in out
    assert summary["recommendations"] == 2
    assert AnnualReport.objects.count() == Theme.objects.count() == 0
    assert Department.objects.count() == 2
    assert not get_user_model_exists("import")


def get_user_model_exists(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username=username).exists()


def test_default_actor_is_the_system_user(tmp_path, units):
    path = write(tmp_path, "plan.xlsx", document())
    run(path, "--year", "2023")
    user = Recommendation.objects.first().history.first().history_user
    assert user.username == "import"
    assert not user.has_usable_password()


def test_error_names_file_table_and_row_and_writes_nothing(tmp_path, units, secretariat):
    path = write(tmp_path, "kort.csv", make_csv([[ORG], ["Tema", "Anbefaling"], ["x", "y"]]))
    with pytest.raises(CommandError) as exc:
        run(path, "--year", "2023", "--user", secretariat.username)
    # The command speaks Danish even under this package's English fixture.
    assert "kort.csv, tabel 1, række 2" in str(exc.value)
    assert AnnualReport.objects.count() == 0


def test_hostile_file_fails_with_nonzero_exit(tmp_path, units, secretariat):
    import subprocess
    import sys

    path = write(tmp_path, "bombe.docx", zip_bomb())
    with pytest.raises(CommandError, match="zip-bombe"):
        run(path, "--year", "2023", "--user", secretariat.username)
    assert AnnualReport.objects.count() == 0
    # And as a process: non-zero exit, message on stderr.
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "import_report", path, "--year", "2023", "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert result.returncode != 0
    assert "bombe.docx" in result.stderr


def test_not_secretariat_user_is_refused(tmp_path, units, officer):
    path = write(tmp_path, "plan.xlsx", document())
    with pytest.raises(
        CommandError, match="ikke i sekretariatet; kun sekretariatet kan køre kommandoen"
    ):
        run(path, "--year", "2023", "--user", officer.username)
    assert AnnualReport.objects.count() == 0


def test_free_status_option_and_unplaced_count(tmp_path, secretariat):
    from followups.models import StatusUpdate
    from tests.importing.documents import municipal_docx

    path = write(tmp_path, "plan.docx", municipal_docx())
    summary, _out = run(path, "--year", "2018", "--create-departments")
    assert summary["unplaced"] == 3
    report = AnnualReport.objects.get(year=2018)
    factories.RoundFactory(report=report, kind="status", name="Status 2019")
    path = write(tmp_path, "status.docx", municipal_docx(status=True))
    summary, _out = run(path, "--year", "2018", "--free-status", "ongoing")
    assert summary["statuses"] == StatusUpdate.objects.count() > 0
    assert not StatusUpdate.objects.filter(status="not_assessed").exists()
    assert StatusUpdate.objects.filter(status="ongoing").exists()


def test_a_missing_file_is_named_in_danish(tmp_path, secretariat):
    missing = tmp_path / "findes-ikke.docx"
    with pytest.raises(CommandError, match=f"Filen {missing} kan ikke læses"):
        run(str(missing), "--year", "2023", "--user", secretariat.username)
    assert AnnualReport.objects.count() == 0
