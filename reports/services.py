"""Archiving the report's PDF editions when a round is published."""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from config.errors import ServiceError
from config.history import save_tracked
from departments.models import Department
from followups.models import FollowUpRound
from reports.models import ReportEdition
from reports.pdf import report_pdf
from reports.tables import MARK_CHANGED, MARK_NEW, build_table

MSG_ROUND_NOT_PUBLISHED = _("Only a published round can get an archived edition.")


def _changes_summary(table, has_previous: bool) -> str:
    if not has_previous:
        return "Første udgave."
    marks = [row.marker for *_x, row in table.recommendation_rows()] + [
        cell.marker for *_x, row in table.recommendation_rows() for cell in row.followups
    ]
    new, changed = marks.count(MARK_NEW), marks.count(MARK_CHANGED)
    if not new and not changed:
        return "Ingen ændringer siden forrige udgave."
    return f"{new} nye og {changed} ændrede rækker siden forrige udgave."


@transaction.atomic
def edition_archive(
    *, round: FollowUpRound, actor, department: Department | None = None
) -> ReportEdition:
    """Render and store the round's PDF edition, marking rows changed since the last one."""
    if round.state != FollowUpRound.State.PUBLISHED:
        raise ServiceError(MSG_ROUND_NOT_PUBLISHED)
    report = round.report
    editions = ReportEdition.objects.select_for_update().filter(
        report=report, department=department
    )
    previous = editions.order_by("-number").first()
    table = build_table(report=report, user=actor, round=round, department=department)
    snapshot = table.row_hashes()
    table.apply_markers(previous.snapshot if previous else None)
    number = previous.number + 1 if previous else 1
    rendered = report_pdf(table, edition_number=number)
    edition = ReportEdition(
        report=report,
        round=round,
        department=department,
        number=number,
        sha256=hashlib.sha256(rendered.content).hexdigest(),
        size=len(rendered.content),
        data_version=table.data_version(),
        snapshot=snapshot,
        changes=_changes_summary(table, previous is not None),
        created_by=actor,
    )
    edition.file.save(
        f"rapport-{report.year}-udgave-{number}.pdf", ContentFile(rendered.content), save=False
    )
    save_tracked(edition, actor=actor)
    return edition
