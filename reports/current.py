"""Current reports: the undated PDFs many users download, rendered again by the worker soon
after their data changes, so a download is served from the stored file.

**Which are current** (`current_variants`): for every annual report with a published or an
open round, the whole organisation's PDF without a date (`?pr=`) and without a department,
with the newest statuses (no round) and as of each of those rounds, for the two audiences
whose tables are shared by many users (`Access.audience`):

- "all": the secretariat, the ombudsman's office and superusers (every round the year has
  that is open or published);
- "published": council members (the published rounds only, and only once one is published).

A department's users, and every other choice (a department, a closed round, a date), take
the ordinary path: rendered when asked for, once per content (`reports.rendering`).

**Change detection** (`history_recorded`): every write of a domain model leaves a
django-simple-history row, through every path (services, the admin, the import, restores),
so simple-history's `post_create_historical_record` signal is the one place where a change
cannot slip past. Its receiver only notes, in memory, which report the row belongs to
(`ReportChanges`); one callback per transaction, after the commit, turns the notes into
years (a few queries) and marks them changed (`report_refresh_mark`). A rolled-back write
marks nothing, and a 1,000-row import marks its year once.

**Debounce** (`ReportRefresh`, one row per year): a mark sets `due_at` to the change plus
REPORT_REFRESH_DELAY seconds and, unless the year's task chain is waiting already, queues
`refresh_current_reports` to run after `due_at`. A task that runs before `due_at` (later
changes moved it) queues itself again for `due_at`; a due one renders each current variant
whose content has no stored file (`render_to_cache` keys by content, so one rendering per
data version) and records it as the variant's latest rendering (`LatestRendering`), then
ends the chain or, if changes came in meanwhile, queues itself for the new `due_at`. Two
workers never render one content twice: a variant's rendering is claimed on its
`ReportRendering` row (`rendering_claim`), which users' own requests share.

Only a task backend that can defer (production's database queue) runs the chain; with the
immediate backend of development, the demo and most tests the marks are kept but nothing
is rendered in the background (a save would wait for the renderings): a download renders
what it asks for, as before. `manage.py refresh_current_reports` renders the current
reports of the years due (or all) at once, on any backend.
"""

from __future__ import annotations

import datetime
import functools
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from collaboration.models import Attachment, Comment
from departments.access import council_reader, system_user
from departments.models import Department
from followups.models import FollowUp, FollowUpRound, StatusUpdate
from recommendations.models import AnnualReport, Recommendation, RecommendationDepartment, Theme
from reports import pdf
from reports.models import QUEUE_PATIENCE, RUNNING_GRACE, ReportRefresh
from reports.rendering import (
    ReportTooLarge,
    cached_pdf,
    content_key,
    latest_rendering_record,
    render_to_cache,
    rendering_claim,
    rendering_finish,
)
from reports.tables import build_table

logger = logging.getLogger(__name__)

ALL = "all"
PUBLISHED = "published"
CURRENT_ROUND_STATES = (FollowUpRound.State.OPEN, FollowUpRound.State.PUBLISHED)


def _now() -> datetime.datetime:
    return timezone.now()


# --- which reports are current --------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One current report: a year's whole-organisation PDF, as of a round or not, for an
    audience."""

    report: AnnualReport
    round: FollowUpRound | None
    audience: str

    def reader(self):
        return council_reader() if self.audience == PUBLISHED else system_user()

    def __str__(self) -> str:
        return f"{self.report.year}/{self.round.pk if self.round else '-'}/{self.audience}"


def current_variants(year: int) -> list[Variant]:
    """The current reports of `year` (none unless a round is open or published)."""
    report = AnnualReport.objects.filter(year=year).first()
    if report is None:
        return []
    rounds = list(
        FollowUpRound.objects.filter(report=report, state__in=CURRENT_ROUND_STATES).order_by(
            "-deadline", "-pk"
        )
    )
    if not rounds:
        return []
    variants = [Variant(report, None, ALL)] + [Variant(report, r, ALL) for r in rounds]
    published = [r for r in rounds if r.state == FollowUpRound.State.PUBLISHED]
    if published:
        variants.append(Variant(report, None, PUBLISHED))
        variants.extend(Variant(report, r, PUBLISHED) for r in published)
    return variants


# --- change detection -----------------------------------------------------------------------


@dataclass
class ReportChanges:
    """What one transaction's history rows touched of the council's report, as ids; turned
    into years after the commit (`flush`), in a few queries whatever the number of rows."""

    reports: set[int] = field(default_factory=set)
    recommendations: set[int] = field(default_factory=set)
    followups: set[int] = field(default_factory=set)
    rounds: set[int] = field(default_factory=set)
    themes: set[int] = field(default_factory=set)
    authors: set[int] = field(default_factory=set)
    every_year: bool = False

    def note(self, model: type, row: Any) -> None:
        """`row`: the history row (it holds the tracked fields, also of a deleted object)."""
        if model is AnnualReport:
            self.reports.add(row.id)
        elif model is Recommendation or model is FollowUpRound:
            self.reports.add(row.report_id)
        elif model is RecommendationDepartment or model is FollowUp:
            self.recommendations.add(row.recommendation_id)
        elif model is StatusUpdate:
            self.rounds.add(row.round_id)
        elif model is Attachment:
            self.followups.add(row.followup_id)
        elif model is Comment:
            if row.followup_id:
                self.followups.add(row.followup_id)
            if row.recommendation_id:
                self.recommendations.add(row.recommendation_id)
        elif model is Theme:
            self.themes.add(row.id)
        elif model is Department:  # names and headings of every year
            self.every_year = True
        elif model is get_user_model():  # the author's name under a comment for the council
            self.authors.add(row.id)

    def years(self) -> set[int]:
        """The years whose report these changes may alter, of those with current reports."""
        reports = set(self.reports)
        recommendations = set(self.recommendations)
        if self.followups:
            recommendations |= set(
                FollowUp.objects.filter(pk__in=self.followups).values_list(
                    "recommendation_id", flat=True
                )
            )
        if self.rounds:
            reports |= set(
                FollowUpRound.objects.filter(pk__in=self.rounds).values_list("report_id", flat=True)
            )
        if recommendations:
            reports |= set(
                Recommendation.objects.filter(pk__in=recommendations).values_list(
                    "report_id", flat=True
                )
            )
        if self.themes:
            reports |= set(
                Recommendation.objects.filter(theme_id__in=self.themes)
                .values_list("report_id", flat=True)
                .distinct()
            )
        if self.authors:
            for via_followup, via_recommendation in Comment.objects.filter(
                author_id__in=self.authors, for_council=True
            ).values_list("followup__recommendation__report_id", "recommendation__report_id"):
                reports.add(via_followup or via_recommendation)
        if not reports and not self.every_year:
            return set()
        years = AnnualReport.objects.filter(rounds__state__in=CURRENT_ROUND_STATES)
        if not self.every_year:
            years = years.filter(pk__in=reports)
        return set(years.values_list("year", flat=True).distinct())

    def flush(self) -> None:
        """After the commit: mark the years changed."""
        years = self.years()
        if years:
            report_refresh_mark(years=years)


def _pending_changes() -> ReportChanges | None:
    """This transaction's notes: the ReportChanges whose flush is still registered to run
    after the commit (a rolled-back savepoint discards its callback, and its notes with it)."""
    connection = transaction.get_connection()
    for _savepoints, callback, _robust in connection.run_on_commit:
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, ReportChanges):
            return owner
    return None


@functools.cache
def _traced() -> frozenset[type]:
    """The models whose rows the council's report shows (or names, as a comment's author)."""
    return frozenset(
        {
            AnnualReport,
            Recommendation,
            RecommendationDepartment,
            Theme,
            FollowUpRound,
            FollowUp,
            StatusUpdate,
            Comment,
            Attachment,
            Department,
            get_user_model(),
        }
    )


def history_recorded(sender, instance, history_instance, **kwargs) -> None:
    """simple-history's post_create_historical_record: note what the row touched; the
    years are marked once, after the commit. Nothing is written here."""
    model = type(instance)._meta.concrete_model
    if model not in _traced():
        return  # memberships, date moves, editions, imported files: not in the report
    changes = _pending_changes()
    if changes is None:
        changes = ReportChanges()
        # robust: a mark that fails (logged) must not turn a committed save into an error.
        transaction.on_commit(changes.flush, robust=True)
    changes.note(model, history_instance)


# --- the debounce and the worker's task chain -----------------------------------------------


def _chain_can_defer() -> bool:
    return refresh_current_reports.get_backend().supports_defer


def _locked_refresh(year: int, now: datetime.datetime) -> ReportRefresh:
    """The year's row, locked (created if missing); inside a transaction."""
    try:
        with transaction.atomic():
            ReportRefresh.objects.get_or_create(
                year=year, defaults={"changed_at": now, "due_at": now}
            )
    except IntegrityError:  # created by a concurrent mark meanwhile
        pass
    return ReportRefresh.objects.select_for_update().get(year=year)


def _queue(refresh: ReportRefresh) -> None:
    """The chain's next task, to run after `due_at` (in the caller's transaction: the
    database queue holds it exactly when the row says the chain waits)."""
    refresh.chain_until = refresh.due_at + datetime.timedelta(seconds=QUEUE_PATIENCE)
    refresh_current_reports.using(run_after=refresh.due_at).enqueue(
        year=refresh.year, token=refresh.chain_token
    )


def report_refresh_mark(*, years: set[int], now: datetime.datetime | None = None) -> None:
    """The years' data changed at `now`: render their current reports again
    REPORT_REFRESH_DELAY seconds after the latest change, in one chain of tasks per year."""
    now = now or _now()
    delay = datetime.timedelta(seconds=settings.REPORT_REFRESH_DELAY)
    can_defer = _chain_can_defer()
    for year in sorted(years):
        with transaction.atomic():
            refresh = _locked_refresh(year, now)
            refresh.changed_at = max(refresh.changed_at, now)
            refresh.due_at = refresh.changed_at + delay
            if can_defer and not refresh.chain_alive(now):
                # No chain waits (or the last one was lost): start one; a lost one that
                # still runs finds another token and stops.
                refresh.chain_token = uuid.uuid4().hex
                _queue(refresh)
            refresh.save()


@dataclass
class RefreshResult:
    state: str  # "superseded", "deferred" or "rendered"
    rendered: list[str] = field(default_factory=list)  # variants rendered now
    stored: list[str] = field(default_factory=list)  # variants whose content was stored
    skipped: list[str] = field(default_factory=list)  # rendered by someone else, or refused

    def as_dict(self) -> dict:
        return {
            "state": self.state,
            "rendered": self.rendered,
            "stored": self.stored,
            "skipped": self.skipped,
        }


def report_refresh_run(
    *, year: int, token: str, now: datetime.datetime | None = None
) -> RefreshResult:
    """One task of the year's chain: wait for `due_at`, or render the current reports."""
    now = now or _now()
    with transaction.atomic():
        refresh = ReportRefresh.objects.select_for_update().filter(year=year).first()
        if refresh is None or refresh.chain_token != token:
            return RefreshResult("superseded")  # a duplicate, or a chain given up for lost
        if now < refresh.due_at:
            _queue(refresh)  # changes came in since it was queued: wait for the last
            refresh.save()
            return RefreshResult("deferred")
        covers = refresh.changed_at
        variants = current_variants(year)
        budget = len(variants) * (settings.REPORT_RENDER_TIMEOUT + RUNNING_GRACE) + QUEUE_PATIENCE
        refresh.chain_until = now + datetime.timedelta(seconds=budget)
        refresh.save()
    result = render_variants(variants, owner=f"refresh:{token}")
    with transaction.atomic():
        refresh = ReportRefresh.objects.select_for_update().get(year=year)
        refresh.covered_at = covers
        refresh.rendered_at = _now()
        if refresh.chain_token == token:
            if refresh.changed_at > covers:
                _queue(refresh)  # changed while rendering: once more, after the new due_at
            else:
                refresh.chain_token = ""
                refresh.chain_until = None
        refresh.save()
    return result


def render_variants(variants: list[Variant], *, owner: str) -> RefreshResult:
    """Render each variant whose content has no stored file, and record each as its
    variant's latest rendering. A failure is logged and leaves the others to go on."""
    result = RefreshResult("rendered")
    for variant in variants:
        data_at = _now()  # the data is read after this moment
        try:
            table = build_table(report=variant.report, user=variant.reader(), round=variant.round)
            key = content_key(table)
            name = cached_pdf(key)
            if name is None:
                if not rendering_claim(key=key, year=variant.report.year, owner=owner):
                    result.skipped.append(str(variant))
                    continue
                try:
                    name = render_to_cache(table)
                except (ReportTooLarge, pdf.RenderTimeout) as exc:
                    # A report over the limits stays so; a timeout is left to the next change.
                    rendering_finish(key, error=str(exc) or type(exc).__name__)
                    logger.warning("Current report %s not rendered: %s", variant, exc)
                    result.skipped.append(str(variant))
                    continue
                except Exception as exc:
                    rendering_finish(key, error=f"{type(exc).__name__}: {str(exc)[:300]}")
                    raise
                rendering_finish(key)
                result.rendered.append(str(variant))
            latest_rendering_record(
                table=table, audience=variant.audience, key=key, file=name, data_at=data_at
            )
            result.stored.append(str(variant))
        except Exception:
            logger.exception("Current report %s failed", variant)
            result.skipped.append(str(variant))
    return result


def current_reports_render(*, years: set[int] | None = None, changed_only: bool = False) -> dict:
    """Render the current reports of `years` (all years with current reports when None) now,
    in this process, outside any chain (`manage.py refresh_current_reports`); with
    `changed_only`, only those of years changed since their last pass."""
    now = _now()
    if years is None:
        years = set(
            AnnualReport.objects.filter(rounds__state__in=CURRENT_ROUND_STATES)
            .values_list("year", flat=True)
            .distinct()
        )
    if changed_only:
        years &= set(
            ReportRefresh.objects.filter(
                Q(covered_at__isnull=True) | Q(covered_at__lt=F("changed_at"))
            ).values_list("year", flat=True)
        )
    done = {}
    for year in sorted(years):
        done[year] = render_variants(current_variants(year), owner="command").as_dict()
        ReportRefresh.objects.filter(year=year, changed_at__lte=now).update(
            covered_at=F("changed_at"), rendered_at=_now()
        )
    return done


@task()
def refresh_current_reports(year: int, token: str) -> dict:
    """The worker's task chain of one year (see the module's docstring)."""
    return report_refresh_run(year=year, token=token).as_dict()
