import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from followups import services as followup_services
from followups.models import FollowUpRound
from tests import factories

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf(name: str = "bilag.pdf", data: bytes = factories.PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def docx_bytes() -> bytes:
    from tests.importing.documents import HEADER, ORG, make_docx

    return make_docx([ORG, [HEADER, ["Tema", "Tekst", "- Handling"]]])


def xlsx_bytes() -> bytes:
    from tests.importing.documents import make_xlsx

    return make_xlsx([["Tema", "Anbefaling"]])


def as_upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.fixture
def other_officer(other_department):
    return factories.MembershipFactory(department=other_department).user


@pytest.fixture
def status_round(approved_followup, secretariat):
    return followup_services.round_open(
        actor=secretariat,
        report=approved_followup.recommendation.report,
        name="Status 2031",
        kind=FollowUpRound.Kind.STATUS,
        deadline=datetime.date(2031, 6, 1),
    )


@pytest.fixture
def status(approved_followup, status_round, officer):
    return followup_services.status_update_save(
        followup=approved_followup,
        round=status_round,
        actor=officer,
        status="in_progress",
        text="Vi er i gang.",
    )


__all__ = ["PNG_BYTES", "as_upload", "docx_bytes", "io", "pdf", "xlsx_bytes"]
