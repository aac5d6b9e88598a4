import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from followups.models import FollowUp
from importing import staging
from importing.models import ImportedDocument
from recommendations.models import AnnualReport, Recommendation, Theme
from tests import factories
from tests.importing.documents import (
    BILLION_LAUGHS,
    HEADER,
    ORG,
    make_csv,
    make_docx,
    rewrite_zip,
    section,
)

URL = "/import/"


@pytest.fixture(autouse=True)
def english_pages(client, settings):
    """The assertions match the source (English) messages; pages default to Danish."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture(autouse=True)
def staging_dir(settings, tmp_path):
    settings.IMPORT_STAGING_DIR = tmp_path / "staging"
    return settings.IMPORT_STAGING_DIR


@pytest.fixture
def units(db):
    factories.DepartmentFactory(name="Natur og Byg", short_name="NB")
    factories.DepartmentFactory(name="Ældreområdet", short_name="ÆO")


def document() -> bytes:
    return make_docx(
        [
            ORG,
            [
                HEADER,
                ["Telefontider", "Tag telefonen.", "- Natur og Byg: længere åbent\n- Alle: smil"],
                ["<script>alert(1)</script>", "Tekst <b>fed</b>", "- Ældreområdet: ring op"],
            ],
            section("Børn og Unge"),
            [HEADER, ["Dialog", "Svar børn.", "- Hurtigere svar"]],
        ]
    )


def upload(client, data: bytes, name="plan.docx", **extra):
    return client.post(
        URL,
        {"file": SimpleUploadedFile(name, data), "year": 2024, **extra},
    )


def db_counts():
    return [
        m.objects.count() for m in (AnnualReport, Theme, Recommendation, FollowUp, ImportedDocument)
    ]


def test_upload_preview_commit(client, secretariat, units, staging_dir):
    client.force_login(secretariat)
    assert client.get(URL).status_code == 200
    response = upload(client, document())
    assert response.status_code == 302
    preview_url = response["Location"]
    assert db_counts() == [0, 0, 0, 0, 0]
    page = client.get(preview_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Tag telefonen." in html
    assert "længere åbent" in html
    assert "Børn og Unge" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    warnings = page.context["summary"]["warnings"]
    assert any("Børn og Unge" in w for w in warnings)
    assert any("Alle: smil" in w for w in warnings)
    for warning in warnings:
        assert warning.replace("“", "&ldquo;")[:20] in html or warning[:20] in html
    assert len(list(staging_dir.glob("*.upload"))) == 1

    form = page.context["form"]
    token = page.context["token"]
    assert client.get(reverse("importing:commit", args=[token])).status_code == 405
    response = client.post(
        reverse("importing:commit", args=[token]),
        {"sha256": form.initial["sha256"], "fingerprint": form.initial["fingerprint"]},
    )
    assert response.status_code == 302
    assert response["Location"] == "/beretninger/2024/"
    # Two follow-ups with a department and two lines awaiting placement: nothing is lost.
    assert db_counts() == [1, 3, 3, 4, 1]
    assert FollowUp.objects.filter(department=None).count() == 2
    rec = Recommendation.objects.get(theme__name="Telefontider")
    assert rec.history.get().history_user == secretariat
    assert ImportedDocument.objects.get().imported_by == secretariat
    assert not list(staging_dir.glob("*.upload"))
    # The token is used up.
    assert client.get(preview_url).status_code == 404


def test_create_departments_checkbox(client, secretariat, units):
    client.force_login(secretariat)
    response = upload(client, document(), create_departments="on")
    page = client.get(response["Location"])
    assert page.context["details"]["departments_created"] == ["Børn og Unge"]


def test_commit_refuses_a_plan_that_changed_since_the_preview(client, secretariat, units):
    client.force_login(secretariat)
    page = client.get(upload(client, document())["Location"])
    form = page.context["form"]
    factories.DepartmentFactory(name="Børn og Unge", short_name="BU")
    response = client.post(
        reverse("importing:commit", args=[page.context["token"]]),
        {"sha256": form.initial["sha256"], "fingerprint": form.initial["fingerprint"]},
    )
    assert response.status_code == 409
    assert db_counts() == [0, 0, 0, 0, 0]
    # The page shows the new preview to confirm instead.
    assert "Børn og Unge" in response.content.decode()


def test_commit_with_a_wrong_checksum_is_refused(client, secretariat, units):
    client.force_login(secretariat)
    page = client.get(upload(client, document())["Location"])
    response = client.post(
        reverse("importing:commit", args=[page.context["token"]]),
        {"sha256": "0" * 64, "fingerprint": page.context["form"].initial["fingerprint"]},
    )
    assert response.status_code == 422
    assert db_counts() == [0, 0, 0, 0, 0]


def test_changed_staged_file_is_not_imported(client, secretariat, units, staging_dir):
    client.force_login(secretariat)
    page = client.get(upload(client, document())["Location"])
    (staging_dir / f"{page.context['token']}.upload").write_bytes(b"other")
    form = page.context["form"]
    response = client.post(
        reverse("importing:commit", args=[page.context["token"]]),
        {"sha256": form.initial["sha256"], "fingerprint": form.initial["fingerprint"]},
    )
    assert response.status_code == 404
    assert db_counts() == [0, 0, 0, 0, 0]


def test_another_session_cannot_use_the_token(client, secretariat, units):
    client.force_login(secretariat)
    location = upload(client, document())["Location"]
    other = factories.UserFactory(roles=["secretariat"])
    client.force_login(other)
    assert client.get(location).status_code == 404


@pytest.mark.parametrize(
    "name,data,text",
    [
        ("lol.docx", lambda: rewrite_zip(document(), {"word/document.xml": BILLION_LAUGHS}), "DTD"),
        ("plan.docx", lambda: b"not a zip", "does not match"),
        ("plan.csv", lambda: make_csv([["x", "y"], ["z", "w"]]), "Tema"),
        ("plan.pdf", lambda: b"%PDF-1.4", ".docx"),
    ],
)
def test_bad_files_get_422_and_nothing_is_written(
    client, secretariat, units, staging_dir, name, data, text
):
    client.force_login(secretariat)
    response = upload(client, data(), name=name)
    assert response.status_code == 422
    assert text in response.content.decode()
    assert db_counts() == [0, 0, 0, 0, 0]
    assert not list(staging_dir.glob("*.upload"))


def test_oversized_upload_is_refused_before_reading(client, secretariat, settings, monkeypatch):
    settings.IMPORT_MAX_BYTES = 100
    client.force_login(secretariat)

    def no_parse(**kwargs):
        raise AssertionError("parsed before the size check")

    monkeypatch.setattr("importing.views.import_preview", no_parse)
    response = upload(client, b"x" * 500, name="stor.csv")
    assert response.status_code == 422
    assert "stor.csv" in response.content.decode()


@pytest.mark.parametrize("role", ["officer", "manager", "ombudsman", "council"])
def test_only_the_secretariat_may_import(client, request, units, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert upload(client, document()).status_code == 403
    token = staging.stage(document())
    assert client.get(reverse("importing:preview", args=[token])).status_code == 403
    assert client.post(reverse("importing:commit", args=[token]), {}).status_code == 403
    assert db_counts() == [0, 0, 0, 0, 0]


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_imported_document_is_visible_read_only_in_the_admin(client, secretariat, units):
    from departments.services import global_roles_sync
    from importing.services import import_commit

    global_roles_sync()
    import_commit(actor=secretariat, name="plan.docx", data=document(), year=2024)
    kept = ImportedDocument.objects.get()
    client.force_login(secretariat)
    for view, args in (("changelist", []), ("change", [kept.pk]), ("history", [kept.pk])):
        url = reverse(f"admin:importing_importeddocument_{view}", args=args)
        assert client.get(url).status_code == 200, url
    add = reverse("admin:importing_importeddocument_add")
    assert client.get(add).status_code == 403


def test_refused_upload_is_logged_without_forged_lines(client, secretariat, caplog):
    client.force_login(secretariat)
    with caplog.at_level("WARNING", logger="opfoelgning.security"):
        upload(client, b"not a zip", name="plan\r\nforged=1.docx")
    [record] = [r for r in caplog.records if "import_refused" in r.getMessage()]
    assert "\n" not in record.getMessage()
    assert f"user_id={secretariat.pk}" in record.getMessage()


def commit_form(page) -> dict:
    form = page.context["form"]
    return {"sha256": form.initial["sha256"], "fingerprint": form.initial["fingerprint"]}


@pytest.mark.django_db(transaction=True)  # the worker closes its database connection
def test_a_queued_import_shows_its_progress_then_the_report(client, secretariat, units, settings):
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(secretariat)
    page = client.get(upload(client, document())["Location"])
    response = client.post(
        reverse("importing:commit", args=[page.context["token"]]), commit_form(page)
    )
    assert response.status_code == 302
    job_url = response["Location"]
    assert job_url.startswith("/import/job/")
    waiting = client.get(job_url)
    assert waiting.status_code == 200
    html = waiting.content.decode()
    assert "waiting to start" in html and 'hx-trigger="every 2s"' in html
    assert 'http-equiv="refresh"' in html
    assert db_counts() == [0, 0, 0, 0, 0]
    # Another secretariat user may not follow this user's import.
    other = client_for(factories.UserFactory(roles=["secretariat"]))
    assert other.get(job_url).status_code == 404

    call_command("db_worker", "--batch", verbosity=0)
    polled = client.get(job_url, headers={"HX-Request": "true"})
    assert polled.status_code == 204 and polled["HX-Redirect"] == job_url
    done = client.get(job_url)
    assert done.status_code == 302 and done["Location"] == reverse("pages:report", args=[2024])
    assert Recommendation.objects.filter(report__year=2024).count() == 3
    assert ImportedDocument.objects.get().imported_by == secretariat
    message = [str(m) for m in done.wsgi_request._messages][0]
    assert message.startswith("plan.docx was imported: 3 recommendations")
    assert not list(staging.staging_dir().glob("*.upload"))  # the staged copy is gone


@pytest.mark.django_db(transaction=True)
def test_a_queued_import_that_is_refused_returns_to_the_preview(
    client, secretariat, units, settings
):
    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client.force_login(secretariat)
    page = client.get(upload(client, document())["Location"])
    job_url = client.post(
        reverse("importing:commit", args=[page.context["token"]]), commit_form(page)
    )["Location"]
    # The data changes while the import waits: the worker refuses the previewed plan.
    factories.DepartmentFactory(name="Børn og Unge", short_name="BU")
    call_command("db_worker", "--batch", verbosity=0)
    response = client.get(job_url)
    assert response.status_code == 409
    assert "changed since the preview" in response.content.decode()
    assert db_counts() == [0, 0, 0, 0, 0]


def client_for(user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    return other


def test_the_model_moved_apps_but_kept_its_tables():
    """The import is its own app; the files imported before the move are still there."""
    assert ImportedDocument._meta.app_label == "importing"
    assert ImportedDocument._meta.db_table == "recommendations_importeddocument"
    history = ImportedDocument.history.model._meta.db_table
    assert history == "recommendations_historicalimporteddocument"


def test_free_text_statuses_get_the_status_chosen_in_the_preview(client, secretariat):
    from followups.models import StatusUpdate
    from tests.importing.documents import municipal_docx

    report = factories.AnnualReportFactory(year=2024)
    factories.RoundFactory(report=report, kind="status", name="Status 2025")
    client.force_login(secretariat)
    preview_url = upload(client, municipal_docx(status=True), create_departments="on")["Location"]
    page = client.get(preview_url)
    assert page.context["plan"].free_status == "not_assessed"
    assert 'name="free_status"' in page.content.decode()
    # The preview shown again with another status; its form carries the choice.
    page = client.get(preview_url, {"free_status": "in_progress"})
    form = page.context["form"]
    assert form.initial["free_status"] == "in_progress"
    assert "Awaiting placement" in page.content.decode()
    response = client.post(
        reverse("importing:commit", args=[page.context["token"]]),
        {
            "sha256": form.initial["sha256"],
            "fingerprint": form.initial["fingerprint"],
            "free_status": "in_progress",
        },
    )
    assert response.status_code == 302
    assert not StatusUpdate.objects.filter(status="not_assessed").exists()
    assert StatusUpdate.objects.filter(
        status="in_progress", text="Møderne holdes nu hver måned."
    ).exists()


def test_a_choice_other_than_the_previewed_one_is_refused(client, secretariat):
    from followups.models import StatusUpdate
    from tests.importing.documents import municipal_docx

    report = factories.AnnualReportFactory(year=2024)
    factories.RoundFactory(report=report, kind="status", name="Status 2025")
    client.force_login(secretariat)
    preview_url = upload(client, municipal_docx(status=True), create_departments="on")["Location"]
    page = client.get(preview_url)
    form = page.context["form"]
    response = client.post(
        reverse("importing:commit", args=[page.context["token"]]),
        {
            "sha256": form.initial["sha256"],
            "fingerprint": form.initial["fingerprint"],
            "free_status": "done",
        },
    )
    assert response.status_code == 409
    assert not StatusUpdate.objects.exists()
