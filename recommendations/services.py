"""Writes to annual reports, themes and recommendations."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import ConflictError, ServiceError
from core.history import note_actor, save_tracked
from departments.access import access_for
from departments.models import Department
from recommendations.models import (
    AnnualReport,
    Recommendation,
    RecommendationDepartment,
    Theme,
    theme_key,
)

MSG_YEAR_EXISTS = _("An annual report for %(year)s already exists.")
MSG_TEXT_REQUIRED = _("The recommendation needs a text.")
MSG_THEME_REQUIRED = _("The theme needs a name.")
MSG_DEPARTMENTS_REQUIRED = _("Choose at least one department when the scope is named departments.")
MSG_DEPARTMENTS_NOT_ALLOWED = _(
    "A recommendation for the whole organisation cannot also name departments."
)
MSG_REASON_REQUIRED = _("Give a reason when the recommendation is not accepted.")
MSG_LINK_EARLIER_ONLY = _("A recommendation can only be linked to one from an earlier year.")
MSG_LINK_KIND_REQUIRED = _("Choose how the recommendation relates to the earlier one.")
MSG_NUMBER_TAKEN = _("Number %(number)s is already used in this annual report.")
MSG_NOT_REGISTRAR = _(
    "Only the secretariat and the ombudsman's office can register reports and recommendations."
)
MSG_NOT_OMBUDSMAN = _("Only the ombudsman's office can assess the administration's answers.")
MSG_NOT_SECRETARIAT = _("Only the secretariat can do this.")
MSG_STALE_RECOMMENDATION = _(
    "The recommendation was changed by someone else while you were editing it."
)


def _require_registrar(actor: User) -> None:
    access = access_for(actor)
    if not (access.is_secretariat or access.is_ombudsman):
        raise PermissionDenied(MSG_NOT_REGISTRAR)


def _require_ombudsman(actor: User) -> None:
    if not access_for(actor).is_ombudsman:
        raise PermissionDenied(MSG_NOT_OMBUDSMAN)


def _require_secretariat(actor: User) -> None:
    if not access_for(actor).is_secretariat:
        raise PermissionDenied(MSG_NOT_SECRETARIAT)


@transaction.atomic
def report_create(
    *,
    actor: User,
    year: int,
    title: str,
    published_on: datetime.date | None = None,
    case_number: str = "",
    document_number: str = "",
    introduction: str = "",
    document: File | None = None,
) -> AnnualReport:
    _require_registrar(actor)
    if AnnualReport.objects.filter(year=year).exists():
        raise ServiceError(MSG_YEAR_EXISTS, year=year)
    report = AnnualReport(
        year=year,
        title=title.strip(),
        published_on=published_on,
        case_number=case_number.strip(),
        document_number=document_number.strip(),
        introduction=introduction.strip(),
    )
    if document is not None:
        report.document.save(document.name or f"aarsberetning-{year}", document, save=False)
    save_tracked(report, actor=actor)
    return report


REPORT_EDITABLE_FIELDS = {
    "title",
    "published_on",
    "case_number",
    "document_number",
    "introduction",
}


@transaction.atomic
def report_update(*, report: AnnualReport, actor: User, **fields) -> AnnualReport:
    _require_registrar(actor)
    unknown = set(fields) - REPORT_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"report_update got unexpected fields: {sorted(unknown)}")
    report = AnnualReport.objects.select_for_update().get(pk=report.pk)
    for name, value in fields.items():
        setattr(report, name, value.strip() if isinstance(value, str) else value)
    save_tracked(report, actor=actor)
    return report


@transaction.atomic
def report_attach_document(*, report: AnnualReport, actor: User, document: File, name: str) -> None:
    """Keep the original file (e.g. the imported Word document) with the report."""
    _require_registrar(actor)
    report = AnnualReport.objects.select_for_update().get(pk=report.pk)
    report.document.save(name, document, save=False)
    save_tracked(report, actor=actor)


@transaction.atomic
def theme_get_or_create(*, actor: User, name: str, description: str = "") -> Theme:
    """Themes are a shared vocabulary: reuse an existing one whatever its case or spacing."""
    _require_registrar(actor)
    clean = " ".join(name.split())
    if not clean:
        raise ServiceError(MSG_THEME_REQUIRED)
    theme = Theme.objects.named(clean).first()
    if theme is None:
        theme = Theme(name=clean, key=theme_key(clean), description=description)
        save_tracked(theme, actor=actor)
    return theme


def _check_response(response: str, reason: str) -> None:
    if response == Recommendation.Response.REJECTED and not reason.strip():
        raise ServiceError(MSG_REASON_REQUIRED)


def _check_link(recommendation: Recommendation, previous: Recommendation | None, kind: str):
    if previous is None:
        return
    if previous.report.year >= recommendation.report.year:
        raise ServiceError(MSG_LINK_EARLIER_ONLY)
    if kind not in Recommendation.LinkKind.values:
        raise ServiceError(MSG_LINK_KIND_REQUIRED)


def _check_scope(scope: str, departments: list[Department]) -> None:
    if scope == Recommendation.Scope.DEPARTMENTS and not departments:
        raise ServiceError(MSG_DEPARTMENTS_REQUIRED)
    if scope == Recommendation.Scope.ORGANISATION and departments:
        raise ServiceError(MSG_DEPARTMENTS_NOT_ALLOWED)


def _set_departments(
    recommendation: Recommendation, departments: list[Department], *, actor: User
) -> None:
    """Add and remove scope rows one by one so each leaves its own history row."""
    wanted = {d.pk: d for d in departments}
    existing = {
        row.department_id: row
        for row in RecommendationDepartment.objects.filter(recommendation=recommendation)
    }
    for pk, row in existing.items():
        if pk not in wanted:
            note_actor(row, actor=actor)
            row.delete()
    for pk, department in wanted.items():
        if pk not in existing:
            save_tracked(
                RecommendationDepartment(recommendation=recommendation, department=department),
                actor=actor,
            )


@transaction.atomic
def recommendation_create(
    *,
    actor: User,
    report: AnnualReport,
    theme: Theme,
    text: str,
    number: int | None = None,
    kind: str = Recommendation.Kind.RECOMMENDATION,
    scope: str = Recommendation.Scope.ORGANISATION,
    departments: list[Department] | None = None,
    response: str = "",
    response_reason: str = "",
    previous: Recommendation | None = None,
    link_kind: str = "",
) -> Recommendation:
    _require_registrar(actor)
    departments = list(departments or [])
    if not text.strip():
        raise ServiceError(MSG_TEXT_REQUIRED)
    _check_scope(scope, departments)
    _check_response(response, response_reason)
    # Lock the report row so two writers cannot take the same number.
    AnnualReport.objects.select_for_update().get(pk=report.pk)
    if number is None:
        last = report.recommendations.order_by("-number").values_list("number", flat=True)
        number = (last.first() or 0) + 1
    elif report.recommendations.filter(number=number).exists():
        raise ServiceError(MSG_NUMBER_TAKEN, number=number)
    recommendation = Recommendation(
        report=report,
        theme=theme,
        number=number,
        kind=kind,
        text=text.strip(),
        scope=scope,
        response=response,
        response_reason=response_reason.strip(),
        previous=previous,
        link_kind=link_kind if previous else "",
    )
    _check_link(recommendation, previous, link_kind)
    save_tracked(recommendation, actor=actor)
    _set_departments(recommendation, departments, actor=actor)
    return recommendation


def _locked(recommendation: Recommendation, expected_version: int | None) -> Recommendation:
    current = Recommendation.objects.select_for_update().get(pk=recommendation.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConflictError(MSG_STALE_RECOMMENDATION, current=current)
    return current


def _save_new_version(recommendation: Recommendation, *, actor: User, reason: str = "") -> None:
    recommendation.version += 1
    save_tracked(recommendation, actor=actor, reason=reason)


@transaction.atomic
def recommendation_update(
    *,
    recommendation: Recommendation,
    actor: User,
    expected_version: int | None,
    theme: Theme,
    text: str,
    kind: str,
    scope: str,
    departments: list[Department],
) -> Recommendation:
    """Edit the wording, theme and scope (the secretariat or the ombudsman's office)."""
    _require_registrar(actor)
    recommendation = _locked(recommendation, expected_version)
    if not text.strip():
        raise ServiceError(MSG_TEXT_REQUIRED)
    departments = list(departments)
    _check_scope(scope, departments)
    recommendation.theme = theme
    recommendation.text = text.strip()
    recommendation.kind = kind
    recommendation.scope = scope
    _save_new_version(recommendation, actor=actor)
    _set_departments(recommendation, departments, actor=actor)
    return recommendation


@transaction.atomic
def recommendation_set_response(
    *,
    recommendation: Recommendation,
    actor: User,
    response: str,
    reason: str = "",
    expected_version: int | None = None,
) -> Recommendation:
    """Record the administration's answer (accepted, partly, not accepted with a reason)."""
    _require_secretariat(actor)
    recommendation = _locked(recommendation, expected_version)
    if response not in Recommendation.Response.values:
        raise ServiceError(_("Choose a response."))
    _check_response(response, reason)
    recommendation.response = response
    recommendation.response_reason = reason.strip()
    _save_new_version(recommendation, actor=actor)
    return recommendation


@transaction.atomic
def recommendation_assess(
    *,
    recommendation: Recommendation,
    actor: User,
    assessment: str,
    note: str = "",
    expected_version: int | None = None,
) -> Recommendation:
    """The ombudsman's office records its assessment of the administration's answer."""
    _require_ombudsman(actor)
    recommendation = _locked(recommendation, expected_version)
    if assessment not in Recommendation.Assessment.values:
        raise ServiceError(_("Choose an assessment."))
    recommendation.assessment = assessment
    recommendation.assessment_note = note.strip()
    _save_new_version(recommendation, actor=actor)
    return recommendation


@transaction.atomic
def recommendation_link(
    *,
    recommendation: Recommendation,
    previous: Recommendation | None,
    link_kind: str,
    actor: User,
) -> Recommendation:
    """Link to an earlier recommendation this one repeats or continues (None unlinks)."""
    _require_registrar(actor)
    recommendation = _locked(recommendation, None)
    _check_link(recommendation, previous, link_kind)
    recommendation.previous = previous
    recommendation.link_kind = link_kind if previous else ""
    _save_new_version(recommendation, actor=actor)
    return recommendation


@transaction.atomic
def theme_update(*, theme: Theme, actor: User, name: str, description: str = "") -> Theme:
    _require_registrar(actor)
    clean = " ".join(name.split())
    if not clean:
        raise ServiceError(MSG_THEME_REQUIRED)
    if Theme.objects.named(clean).exclude(pk=theme.pk).exists():
        raise ServiceError(_("A theme named “%(name)s” already exists."), name=clean)
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    theme.name = clean
    theme.key = theme_key(clean)
    theme.description = description.strip()
    save_tracked(theme, actor=actor)
    return theme


MSG_RESTORE_NOT_FOUND = _("That version does not exist for this recommendation.")
# Restoring brings back the wording and answers; scope rows and links keep their own history.
RESTORABLE_FIELDS = [
    "theme_id",
    "kind",
    "text",
    "response",
    "response_reason",
    "assessment",
    "assessment_note",
]


@transaction.atomic
def recommendation_restore(
    *, recommendation: Recommendation, history_id: int, actor: User
) -> Recommendation:
    """Bring back an earlier version's text and answers as a new version."""
    _require_secretariat(actor)
    recommendation = _locked(recommendation, None)
    record = recommendation.history.filter(history_id=history_id).first()
    if record is None:
        raise ServiceError(MSG_RESTORE_NOT_FOUND)
    for name in RESTORABLE_FIELDS:
        setattr(recommendation, name, getattr(record, name))
    when = timezone.localtime(record.history_date).strftime("%Y-%m-%d %H:%M")
    _save_new_version(
        recommendation,
        actor=actor,
        reason=str(_("Restored the version of %(when)s")) % {"when": when},
    )
    return recommendation
