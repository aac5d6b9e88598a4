"""Archiving the report's PDF editions when a round is published.

Publishing (`followups.services.round_publish`) only records that an edition is due
(`edition_schedule`, registered as a publish hook in `ReportsConfig.ready`); after the
publication commits, the worker renders it (`render_edition`), retrying a failure a few
times. A failed edition is shown to the secretariat and never undoes the publication.
"""

from __future__ import annotations

import datetime
import hashlib
import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from core.errors import ServiceError
from core.history import save_tracked
from departments.access import access_for
from departments.models import Department
from followups.models import FollowUpRound
from reports import pdf
from reports.models import EditionRendering, ReportEdition
from reports.rendering import MSG_RENDER_FAILED, MSG_RENDER_TIMEOUT, render_pdf
from reports.tables import MARK_CHANGED, MARK_NEW, build_table

logger = logging.getLogger(__name__)

MSG_ROUND_NOT_PUBLISHED = _("Only a published round can get an archived edition.")
MSG_EDITION_NOT_FAILED = _("The edition is not failed, so there is nothing to try again.")
MSG_ONLY_SECRETARIAT = _("Only the secretariat can make an edition again.")
# A failed attempt is tried again after this many seconds (times the attempt number), on
# backends that can wait; the immediate backend tries again at once.
RETRY_DELAY_SECONDS = 60


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
    *, round: FollowUpRound, actor: User, department: Department | None = None
) -> ReportEdition:
    """Render and store the round's PDF edition, marking rows changed since the last one.

    Refused (ReportTooLarge) over the size limits; stopped (RenderTimeout) after
    REPORT_RENDER_TIMEOUT seconds."""
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
    rendered = render_pdf(table, edition_number=number)
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


def edition_schedule(*, round: FollowUpRound, actor: User) -> EditionRendering:
    """Record that the published round's edition is due; the worker renders it after commit.

    Runs inside the publishing transaction (a publish hook): one row, no rendering, so the
    publication commits at once, and the edition's state is there exactly when it is.
    """
    rendering, _created = EditionRendering.objects.update_or_create(
        round=round,
        defaults={
            "requested_by": actor,
            "state": EditionRendering.State.PENDING,
            "attempts": 0,
            "error": "",
        },
    )
    _enqueue_on_commit(rendering)
    return rendering


def _enqueue_on_commit(rendering: EditionRendering) -> None:
    # robust: a queue that cannot be reached must not turn a committed publication into an
    # error page; the edition stays pending and the secretariat can try again.
    # A named function, not functools.partial: Django logs a failed robust callback by its
    # __qualname__, which a partial lacks (the logging itself would then raise).
    def enqueue() -> None:
        render_edition.enqueue(rendering_id=rendering.pk)

    transaction.on_commit(enqueue, robust=True)


def _retry_later(rendering: EditionRendering) -> None:
    backend = render_edition.get_backend()
    queued = render_edition
    if backend.supports_defer:
        delay = datetime.timedelta(seconds=RETRY_DELAY_SECONDS * rendering.attempts)
        queued = render_edition.using(run_after=timezone.now() + delay)

    def enqueue() -> None:
        queued.enqueue(rendering_id=rendering.pk)

    transaction.on_commit(enqueue, robust=True)


def _failure_message(exc: Exception) -> str:
    if isinstance(exc, pdf.RenderTimeout):
        return str(MSG_RENDER_TIMEOUT) % {"seconds": settings.REPORT_RENDER_TIMEOUT}
    if isinstance(exc, ServiceError):
        return exc.message
    return f"{MSG_RENDER_FAILED} ({type(exc).__name__}: {str(exc)[:300]})"


def edition_render(*, rendering_id: int) -> EditionRendering:
    """One attempt at the edition; a failure is recorded and, while attempts remain (and
    trying again can help), tried again later."""
    with transaction.atomic():
        rendering = (
            EditionRendering.objects.select_for_update()
            .select_related("round__report", "requested_by")
            .get(pk=rendering_id)
        )
        if rendering.state in (EditionRendering.State.DONE, EditionRendering.State.FAILED):
            return rendering  # a duplicate task; a failed one waits for "try again"
        rendering.state = EditionRendering.State.RUNNING
        rendering.attempts += 1
        rendering.save()
    try:
        edition = edition_archive(round=rendering.round, actor=rendering.requested_by)
    except Exception as exc:
        logger.exception(
            "Edition of round %s failed (attempt %s)", rendering.round_id, rendering.attempts
        )
        rendering.error = _failure_message(exc)
        # The size limit and the round's state will not change by trying again.
        final = isinstance(exc, ServiceError)
        if final or rendering.attempts >= settings.REPORT_EDITION_MAX_ATTEMPTS:
            rendering.state = EditionRendering.State.FAILED
            rendering.save()
        else:
            rendering.state = EditionRendering.State.PENDING
            with transaction.atomic():
                rendering.save()
                _retry_later(rendering)
        return rendering
    rendering.state = EditionRendering.State.DONE
    rendering.edition = edition
    rendering.error = ""
    rendering.save()
    return rendering


@transaction.atomic
def edition_retry(*, rendering: EditionRendering, actor: User) -> EditionRendering:
    """The secretariat tries a failed (or lost) edition again, with fresh attempts."""
    if not access_for(actor).is_secretariat:
        raise PermissionDenied(MSG_ONLY_SECRETARIAT)
    rendering = EditionRendering.objects.select_for_update().get(pk=rendering.pk)
    if rendering.state != EditionRendering.State.FAILED and not rendering.is_stale:
        raise ServiceError(MSG_EDITION_NOT_FAILED)
    rendering.state = EditionRendering.State.PENDING
    rendering.attempts = 0
    rendering.save()
    _enqueue_on_commit(rendering)
    return rendering


@task()
def render_edition(rendering_id: int) -> dict:
    rendering = edition_render(rendering_id=rendering_id)
    return {"state": rendering.state, "edition": rendering.edition_id}
