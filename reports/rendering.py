"""Background PDF rendering: bounded in size and time, one rendering per content, a pruned cache.

The task runs on the configured Django tasks backend: immediately in dev, demo and tests,
in a database-backed worker (`manage.py db_worker`) in production.

- A report larger than REPORT_MAX_CELLS rows and follow-ups or REPORT_MAX_CHARS characters
  is refused before anything is queued (`check_size`).
- Renderings are keyed by what the document shows (`content_key`), not by the request: the
  table as of fifteen dates with the same content is one rendering, shared by every user who
  sees that content. A document asked for "as of" a date therefore does not print the date
  (the file name carries it): the same content is the same file.
- WeasyPrint runs in a child process stopped after REPORT_RENDER_TIMEOUT seconds; a large
  report in REPORT_PDF_PROCESSES of them, merged (`render_pdf`, reports/pdf_parallel.py).
- Each user may have REPORT_MAX_QUEUED_PER_USER renderings queued (`RenderQueueFull`).
- The cache (`MEDIA_ROOT/report-cache/`) is pruned to REPORT_CACHE_MAX_AGE seconds and
  REPORT_CACHE_MAX_BYTES after every rendering and by `manage.py prune_report_cache`.
- Every rendering of an undated report is recorded as the latest of its variant (year,
  round, department) for its audience (`LatestRendering`); while a newer version is being
  made, users of exactly that audience may download it as the previous version.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from core.errors import ServiceError
from departments.access import access_for, system_user, visible_departments
from followups.models import FollowUpRound
from recommendations.models import AnnualReport
from reports import pdf, pdf_parallel
from reports.documents import document_html, document_parts
from reports.models import LatestRendering, ReportRendering
from reports.tables import ReportTable, build_table

logger = logging.getLogger(__name__)

CACHE_DIR = "report-cache"
# What a user over the queue limit is told to wait before asking again.
RETRY_AFTER_SECONDS = 30

MSG_TOO_LARGE = _(
    "The report is too large to be made as a PDF: %(cells)s recommendations and follow-ups "
    "with %(chars)s characters of text (at most %(max_cells)s and %(max_chars)s). Choose a "
    "department, or download it as XLSX or CSV."
)
MSG_QUEUE_FULL = _(
    "You already have %(count)s PDFs waiting to be made. Wait until one of them is ready, "
    "and try again."
)
MSG_RENDER_TIMEOUT = _(
    "Making the PDF took longer than %(seconds)s seconds and was stopped. Try again later, "
    "choose a department, or download the report as XLSX or CSV."
)
MSG_RENDER_FAILED = _("The PDF could not be made. Try again, or contact the secretariat.")
MSG_RENDER_STALLED = _(
    "The PDF was not finished in time; the background worker may be down. Try again, or "
    "contact the secretariat."
)


class ReportTooLarge(ServiceError):
    """The report exceeds the documented size limits; it is not rendered."""


class RenderQueueFull(ServiceError):
    """The user has as many renderings queued as allowed."""

    status_code = 429
    retry_after = RETRY_AFTER_SECONDS


@dataclass(frozen=True)
class ReportSize:
    cells: int  # recommendation rows plus follow-up cells, in every section
    chars: int  # characters of text in them


def report_size(table: ReportTable) -> ReportSize:
    cells, chars = 0, len(table.report.introduction or "")
    for _section, _group, row in table.recommendation_rows():
        cells += 1 + len(row.followups)
        chars += len(row.text) + len(row.theme)
        for cell in row.followups:
            chars += len(cell.department_name) + len(cell.action) + len(cell.status_text)
    return ReportSize(cells, chars)


def check_size(table: ReportTable) -> ReportSize:
    """Refuse (ReportTooLarge) a report larger than REPORT_MAX_CELLS / REPORT_MAX_CHARS."""
    size = report_size(table)
    max_cells, max_chars = settings.REPORT_MAX_CELLS, settings.REPORT_MAX_CHARS
    if size.cells > max_cells or size.chars > max_chars:
        raise ReportTooLarge(
            MSG_TOO_LARGE,
            cells=size.cells,
            chars=size.chars,
            max_cells=max_cells,
            max_chars=max_chars,
        )
    return size


def shared_table(table: ReportTable) -> ReportTable:
    """The table as the shared rendering shows it: without the date it was asked for."""
    return dataclasses.replace(table, as_of=None) if table.as_of else table


def content_key(table: ReportTable) -> str:
    """What the rendered document shows (and its template), whatever was asked for."""
    return shared_table(table).data_version()


@dataclass(frozen=True)
class ReportRequest:
    """What to render, in JSON-friendly terms a task can carry."""

    year: int
    round_id: int | None = None
    department_id: int | None = None
    as_of: str | None = None  # ISO datetime
    user_id: int | None = None  # None: the system reader

    def user(self):
        if self.user_id is None:
            return system_user()
        return get_user_model().objects.get(pk=self.user_id)

    def table(self, user=None) -> ReportTable:
        report = AnnualReport.objects.get(year=self.year)
        user = user or self.user()
        round = (
            FollowUpRound.objects.visible_to(user).get(report=report, pk=self.round_id)
            if self.round_id
            else None
        )
        department = (
            visible_departments(user).get(pk=self.department_id) if self.department_id else None
        )
        as_of = datetime.datetime.fromisoformat(self.as_of) if self.as_of else None
        return build_table(
            report=report, user=user, round=round, department=department, as_of=as_of
        )

    def as_kwargs(self) -> dict:
        return {
            "year": self.year,
            "round_id": self.round_id,
            "department_id": self.department_id,
            "as_of": self.as_of,
            "user_id": self.user_id,
        }


# --- the cache -----------------------------------------------------------------------------


def cache_name(key: str) -> str:
    return f"{CACHE_DIR}/{key}.pdf"


def cached_pdf(key: str) -> str | None:
    name = cache_name(key)
    return name if default_storage.exists(name) else None


def renders_in_parts(table: ReportTable, size: ReportSize) -> int:
    """How many processes lay out the table's sections: REPORT_PDF_PROCESSES for a report of
    at least REPORT_PDF_PARALLEL_MIN_CELLS rows and follow-ups in more than one section, else
    1 (one process: for a small report the processes and the merge cost more than they save)."""
    processes = settings.REPORT_PDF_PROCESSES
    if processes < 2 or len(table.sections) < 2:
        return 1
    return processes if size.cells >= settings.REPORT_PDF_PARALLEL_MIN_CELLS else 1


def render_pdf(table: ReportTable, **kwargs) -> pdf.RenderedPDF:
    """The table's PDF, refused when too large, stopped after REPORT_RENDER_TIMEOUT.

    A large report is laid out in parallel parts and merged (reports/pdf_parallel.py); should
    the parts disagree on their page numbers, it is rendered in one process instead, within
    the same time limit.
    """
    size = check_size(table)
    deadline = time.monotonic() + settings.REPORT_RENDER_TIMEOUT
    processes = renders_in_parts(table, size)
    if processes > 1:
        parts = document_parts(table, parts=processes, **kwargs)
        try:
            return pdf_parallel.parts_to_pdf(
                parts.front, parts.sections, timeout=settings.REPORT_RENDER_TIMEOUT
            )
        except pdf_parallel.PagesMismatch as exc:
            logger.warning("Report PDF rendered in one process: the parts' pages moved (%s)", exc)
    return pdf.html_to_pdf_bounded(
        document_html(table, **kwargs), timeout=max(deadline - time.monotonic(), 1)
    )


def render_to_cache(table: ReportTable) -> str:
    """Render the table's PDF unless the cache holds its content; return the file's name."""
    key = content_key(table)
    existing = cached_pdf(key)
    if existing:
        return existing
    rendered = render_pdf(shared_table(table))
    name = default_storage.save(cache_name(key), ContentFile(rendered.content))
    if name != cache_name(key):  # another rendering of the same content finished first
        default_storage.delete(name)
        name = cache_name(key)
    prune_cache(keep={name})
    return name


# --- the latest rendering of each variant ------------------------------------------------


def latest_rendering_record(
    *, table: ReportTable, audience: str, key: str, file: str, data_at: datetime.datetime
) -> None:
    """Record `file` as the latest stored PDF of the table's variant for `audience`, unless a
    rendering of newer data is recorded already (renderings may finish out of order)."""
    if table.as_of is not None:
        return  # a dated report does not go stale: it is not a variant with a latest one
    round_id = table.round.pk if table.round else None
    department_id = table.department.pk if table.department else None
    slot = LatestRendering.slot_for(
        year=table.report.year, round_id=round_id, department_id=department_id, audience=audience
    )
    values = {"key": key, "file": file, "data_at": data_at}
    with transaction.atomic():
        try:
            with transaction.atomic():
                latest, created = LatestRendering.objects.get_or_create(
                    slot=slot,
                    defaults={
                        "year": table.report.year,
                        "round_id": round_id,
                        "department_id": department_id,
                        "audience": audience,
                        **values,
                    },
                )
        except IntegrityError:  # recorded by a concurrent rendering meanwhile
            created = False
        if created:
            return
        latest = LatestRendering.objects.select_for_update().get(slot=slot)
        if latest.data_at > data_at:
            return
        for name, value in values.items():
            setattr(latest, name, value)
        latest.save()


def previous_rendering(
    *, year: int, round_id: int | None, department_id: int | None, audience: str, key: str
) -> LatestRendering | None:
    """The stored PDF of the same variant for exactly this audience, if it is not the one
    of content `key` (the current one) and its file is still in the cache."""
    slot = LatestRendering.slot_for(
        year=year, round_id=round_id, department_id=department_id, audience=audience
    )
    latest = LatestRendering.objects.filter(slot=slot).first()
    if latest is None or latest.key == key or not default_storage.exists(latest.file):
        return None
    return latest


@dataclass(frozen=True)
class PruneResult:
    deleted: int
    kept: int
    kept_bytes: int


def prune_cache(
    *, now: datetime.datetime | None = None, keep: frozenset[str] | set[str] = frozenset()
) -> PruneResult:
    """Delete cached PDFs older than REPORT_CACHE_MAX_AGE, then the oldest ones until the
    rest fit in REPORT_CACHE_MAX_BYTES (never those in `keep`); forget renderings queued
    before that age."""
    now = now or timezone.now()
    oldest_allowed = now - datetime.timedelta(seconds=settings.REPORT_CACHE_MAX_AGE)
    try:
        _dirs, files = default_storage.listdir(CACHE_DIR)
    except FileNotFoundError:
        files = []
    entries = []
    for filename in files:
        name = f"{CACHE_DIR}/{filename}"
        try:
            entries.append(
                (default_storage.get_modified_time(name), default_storage.size(name), name)
            )
        except FileNotFoundError:  # pruned meanwhile by another process
            continue
    entries.sort()  # oldest first
    deleted = 0
    total = sum(size for _m, size, _n in entries)
    remaining = []
    for modified, size, name in entries:
        too_old = modified < oldest_allowed
        too_much = total > settings.REPORT_CACHE_MAX_BYTES
        if name not in keep and (too_old or too_much):
            default_storage.delete(name)
            total -= size
            deleted += 1
        else:
            remaining.append(name)
    # Renderings queued before the oldest file may be kept are over (or lost) either way.
    ReportRendering.objects.filter(queued_at__lt=oldest_allowed).delete()
    return PruneResult(deleted=deleted, kept=len(remaining), kept_bytes=total)


# --- queueing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfOutcome:
    key: str
    file: str | None  # the cached PDF, when it is ready


def pdf_request(*, table: ReportTable, params: ReportRequest, user) -> PdfOutcome:
    """The cached PDF for this content, or a rendering queued (or joined) for it.

    Raises ReportTooLarge or RenderQueueFull; nothing is queued then.
    """
    key = content_key(table)
    name = cached_pdf(key)
    if name:
        return PdfOutcome(key, name)
    check_size(table)
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                rendering, _created = ReportRendering.objects.get_or_create(
                    key=key,
                    defaults={"year": params.year, "requested_by": user, "queued_at": now},
                )
        except IntegrityError:  # created by a concurrent request meanwhile
            pass
        rendering = ReportRendering.objects.select_for_update().get(key=key)
        if rendering.task_id and rendering.is_active(now):
            return PdfOutcome(key, cached_pdf(key))  # someone else's rendering: join it
        queued = ReportRendering.objects.requested_by(user).active(now).exclude(pk=rendering.pk)
        count = queued.count()
        if count >= settings.REPORT_MAX_QUEUED_PER_USER:
            raise RenderQueueFull(MSG_QUEUE_FULL, count=count)
        rendering.state = ReportRendering.State.QUEUED
        rendering.year = params.year
        rendering.requested_by = user
        rendering.queued_at = now
        rendering.started_at = rendering.finished_at = None
        rendering.error = ""
        rendering.task_id = "pending"
        rendering.save()
        # In the same transaction: the database queue holds the task exactly when the row
        # says it is queued. The immediate backend renders here and now.
        result = render_report_pdf.enqueue(key=key, **params.as_kwargs())
        ReportRendering.objects.filter(pk=rendering.pk).update(task_id=result.id)
    return PdfOutcome(key, cached_pdf(key))


def rendering_claim(*, key: str, year: int, owner: str) -> bool:
    """Take the rendering of content `key` for a background job (`owner`, e.g. a refresh
    chain), unless a rendering of it is queued or running already: then False, and the job
    leaves it to that one (a user waiting for it sees it on the progress page)."""
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                ReportRendering.objects.get_or_create(
                    key=key, defaults={"year": year, "queued_at": now}
                )
        except IntegrityError:  # created by a concurrent request meanwhile
            pass
        rendering = ReportRendering.objects.select_for_update().get(key=key)
        if rendering.task_id and rendering.is_active(now):
            return False
        rendering.state = ReportRendering.State.RUNNING
        rendering.year = year
        rendering.requested_by = None
        rendering.queued_at = rendering.started_at = now
        rendering.finished_at = None
        rendering.error = ""
        rendering.task_id = owner[:64]
        rendering.save()
    return True


def rendering_finish(key: str, *, error: str = "") -> None:
    """Record that the rendering of `key` ended: done, or failed with `error`."""
    state = ReportRendering.State.FAILED if error else ReportRendering.State.DONE
    _finish(key, state, error)


def _finish(key: str, state: str, error: str = "") -> None:
    ReportRendering.objects.filter(key=key).update(
        state=state, error=error, finished_at=timezone.now()
    )


@task()
def render_report_pdf(
    key: str,
    year: int,
    round_id: int | None = None,
    department_id: int | None = None,
    as_of: str | None = None,
    user_id: int | None = None,
) -> dict:
    """Render the asked-for table into the cache; `key` is the rendering row it reports to.

    The data may have changed since it was queued: the table is rendered as it is now (under
    its own content key), and the waiting users' next request finds it.
    """
    ReportRendering.objects.filter(key=key).update(
        state=ReportRendering.State.RUNNING, started_at=timezone.now()
    )
    try:
        request = ReportRequest(year, round_id, department_id, as_of, user_id)
        reader = request.user()
        data_at = timezone.now()  # the data is read after this moment
        table = request.table(reader)
        name = render_to_cache(table)
    except ServiceError as exc:
        _finish(key, ReportRendering.State.FAILED, exc.message)
        raise
    except pdf.RenderTimeout:
        message = str(MSG_RENDER_TIMEOUT) % {"seconds": settings.REPORT_RENDER_TIMEOUT}
        logger.warning("Report PDF %s stopped after %s s", key, settings.REPORT_RENDER_TIMEOUT)
        _finish(key, ReportRendering.State.FAILED, message)
        raise
    except Exception:
        logger.exception("Report PDF %s failed", key)
        _finish(key, ReportRendering.State.FAILED, str(MSG_RENDER_FAILED))
        raise
    _finish(key, ReportRendering.State.DONE)
    rendered_key = content_key(table)
    latest_rendering_record(
        table=table,
        audience=access_for(reader).audience,
        key=rendered_key,
        file=name,
        data_at=data_at,
    )
    return {"key": rendered_key, "file": name}
