"""Importing a follow-up document: one transaction through the ordinary services.

Every object is written by the same service a form would call (adopted follow-ups by
`followup_record`, statuses by `status_update_save`), so each obeys the same rules and gets
a history row attributed to the importing user.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import ConflictError, ServiceError
from core.history import save_tracked
from departments.access import access_for
from departments.services import department_create
from followups.models import StatusUpdate
from followups.services import followup_record, status_update_save
from importing.models import ImportedDocument
from importing.parsing import parse_document
from importing.planning import ImportPlan, PlannedDepartment, build_plan
from importing.security import ImportRefused
from recommendations.models import AnnualReport, Recommendation
from recommendations.services import recommendation_create, report_create, theme_get_or_create

# Stored data in the municipality's language (like the demo), not a UI string.
REPORT_TITLE = "Borgerrådgiverens årsberetning {year}"

MSG_NOT_SECRETARIAT = _("Only the secretariat can import documents.")
MSG_CONCURRENT = _(
    "Someone else changed the same data while the file was being imported. Nothing was "
    "imported; try again."
)
MSG_AT = _("%(where)s: %(error)s")
MSG_PLAN_CHANGED = _(
    "The file or the data changed since the preview was shown. Review the new preview and "
    "import again."
)


@dataclass
class ImportResult:
    plan: ImportPlan
    report: AnnualReport
    document: ImportedDocument


def require_importer(actor: User) -> None:
    if not access_for(actor).is_secretariat:
        raise PermissionDenied(MSG_NOT_SECRETARIAT)


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_preview(
    *, name: str, data: bytes, year: int, create_departments: bool, free_status: str = ""
) -> ImportPlan:
    """Check and read the file and plan the import; nothing is written."""
    document = parse_document(name, data)
    return build_plan(
        document, year=year, create_departments=create_departments, free_status=free_status
    )


def import_commit(
    *,
    actor: User,
    name: str,
    data: bytes,
    year: int,
    create_departments: bool = False,
    free_status: str = "",
    expected_fingerprint: str | None = None,
) -> ImportResult:
    """Import the file atomically; with `expected_fingerprint`, only the previewed plan."""
    require_importer(actor)
    name = os.path.basename(name)[:200] or "import"
    stored: list[ImportedDocument] = []
    try:
        with transaction.atomic():
            plan = import_preview(
                name=name,
                data=data,
                year=year,
                create_departments=create_departments,
                free_status=free_status,
            )
            if expected_fingerprint is not None and plan.fingerprint() != expected_fingerprint:
                raise ConflictError(MSG_PLAN_CHANGED)
            report = _apply(plan, actor=actor)
            document = ImportedDocument(
                report=report,
                original_name=name,
                sha256=file_sha256(data),
                size=len(data),
                summary={**plan.summary(), **plan.details()},
                imported_by=actor,
            )
            document.file.save(name, ContentFile(data), save=False)
            stored.append(document)
            save_tracked(document, actor=actor)
    except BaseException as exc:
        # The database rolled back; don't leave the kept copy of the file behind either.
        for document in stored:
            document.file.delete(save=False)
        if isinstance(exc, IntegrityError):
            # E.g. two imports creating the same year's report at the same moment.
            raise ConflictError(MSG_CONCURRENT) from exc
        raise
    return ImportResult(plan=plan, report=report, document=document)


def _apply(plan: ImportPlan, *, actor: User) -> AnnualReport:
    report = plan.report or report_create(
        actor=actor, year=plan.year, title=REPORT_TITLE.format(year=plan.year)
    )
    for entry in plan.new_departments:
        with _at(entry.pos):
            entry.department = department_create(
                actor=actor, name=entry.name, short_name=entry.short_name
            )
    themes = {}
    for planned in plan.recommendations:
        key = planned.theme.casefold()
        if key not in themes:
            with _at(planned.pos):
                themes[key] = theme_get_or_create(actor=actor, name=planned.theme)
    for planned in plan.recommendations:
        with _at(planned.pos):
            _apply_recommendation(plan, planned, report=report, themes=themes, actor=actor)
    # The progress read model is kept by status_update_save, like for statuses typed in.
    return report


@contextmanager
def _at(pos):
    """A refusal while writing names the row of the file it came from."""
    try:
        yield
    except (ConflictError, ImportRefused):
        raise
    except ServiceError as exc:
        if pos is None:
            raise
        raise ImportRefused(MSG_AT, where=str(pos), error=exc.message) from exc


def _apply_recommendation(plan, planned, *, report, themes, actor: User) -> None:
    today = timezone.localdate()
    recommendation = planned.existing
    if recommendation is None:
        recommendation = recommendation_create(
            actor=actor,
            report=report,
            theme=themes[planned.theme.casefold()],
            text=planned.text,
            scope=planned.scope,
            departments=_departments(planned.departments)
            if planned.scope == Recommendation.Scope.DEPARTMENTS
            else [],
        )
    for followup_plan in planned.followups:
        followup = followup_plan.existing
        if followup_plan.create:
            # No department: the line awaits placement by the secretariat.
            department = followup_plan.department.department if followup_plan.department else None
            followup = followup_record(
                recommendation=recommendation,
                department=department,
                action=followup_plan.action,
                actor=actor,
            )
        if followup_plan.status_addition and plan.status_round is not None:
            current = StatusUpdate.objects.get(followup=followup, round=plan.status_round)
            with _at(followup_plan.status_pos):
                status_update_save(
                    followup=followup,
                    round=plan.status_round,
                    actor=actor,
                    status=current.status,
                    text=f"{current.text.rstrip()}\n{followup_plan.status_addition}".strip(),
                    expected_version=current.version,
                    reported_on=current.reported_on,
                )
        if followup_plan.create_status and plan.status_round is not None:
            with _at(followup_plan.status_pos):
                status_update_save(
                    followup=followup,
                    round=plan.status_round,
                    actor=actor,
                    status=followup_plan.status,
                    text=followup_plan.status_text,
                    reported_on=today,
                )


def _departments(entries: list[PlannedDepartment]) -> list:
    return [entry.department for entry in entries if entry.department is not None]
