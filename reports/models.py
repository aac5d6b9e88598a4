"""Archived editions of the council's report: the exact PDF presented for a published round."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from departments.access import access_for
from departments.models import Department
from followups.models import FollowUpRound
from recommendations.models import AnnualReport


class ReportEditionQuerySet(models.QuerySet["ReportEdition"]):
    def visible_to(self, user) -> ReportEditionQuerySet:
        """Editions of visible rounds; a whole-organisation edition needs sight of everything."""
        if not user.is_authenticated:
            return self.none()
        rounds = FollowUpRound.objects.visible_to(user)
        qs = self.filter(round__in=rounds)
        ids = access_for(user).visible_department_ids()
        return qs if ids is None else qs.filter(department_id__in=ids)

    def for_report(self, report: AnnualReport) -> ReportEditionQuerySet:
        return self.filter(report=report)


class ReportEdition(models.Model):
    """One frozen PDF of the report, archived when its round was published."""

    report = models.ForeignKey(
        AnnualReport,
        verbose_name=_("annual report"),
        on_delete=models.PROTECT,
        related_name="editions",
        help_text=_("The annual report the edition presents."),
    )
    round = models.ForeignKey(
        FollowUpRound,
        verbose_name=_("round"),
        on_delete=models.PROTECT,
        related_name="editions",
        help_text=_("The published round the edition was made for."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="report_editions",
        help_text=_("Empty for the whole organisation's edition."),
    )
    number = models.PositiveIntegerField(
        _("edition number"), help_text=_("1 for the report's first edition, then 2, 3 …")
    )
    file = models.FileField(
        _("file"), upload_to="editions/%Y/", help_text=_("The archived PDF, never changed.")
    )
    sha256 = models.CharField(
        _("SHA-256"), max_length=64, help_text=_("Checksum of the archived file.")
    )
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    data_version = models.CharField(
        _("data version"),
        max_length=64,
        help_text=_("Hash of the data and template the edition was rendered from."),
    )
    snapshot = models.JSONField(
        _("row snapshot"),
        default=dict,
        blank=True,
        help_text=_("A hash per row, to mark what the next edition changes."),
    )
    changes = models.TextField(
        _("changes"), blank=True, help_text=_("Summary of what changed since the last edition.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who published the round."),
    )
    history = HistoricalRecords()

    objects = ReportEditionQuerySet.as_manager()

    class Meta:
        verbose_name = _("report edition")
        verbose_name_plural = _("report editions")
        ordering = ["report", "department", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "number"],
                condition=Q(department__isnull=True),
                name="edition_unique_number_whole",
            ),
            models.UniqueConstraint(
                fields=["report", "department", "number"],
                condition=Q(department__isnull=False),
                name="edition_unique_number_department",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="edition_number_gte_1"),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="edition_sha256_hex"
            ),
        ]

    def __str__(self) -> str:
        scope = self.department.name if self.department else _("whole organisation")
        return f"{self.report.title} – {self.round.name} – {scope} ({self.number})"

    def get_absolute_url(self) -> str:
        return reverse("reports:edition", args=[self.pk])

    @property
    def filename(self) -> str:
        return f"rapport-{self.report.year}-udgave-{self.number}.pdf"


class RenderingState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("being made")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ReportRenderingQuerySet(models.QuerySet["ReportRendering"]):
    def active(self, now: datetime.datetime) -> ReportRenderingQuerySet:
        """Queued or running and not given up on (a worker that died leaves its row behind)."""
        timeout = datetime.timedelta(seconds=settings.REPORT_RENDER_TIMEOUT + RUNNING_GRACE)
        patience = datetime.timedelta(seconds=QUEUE_PATIENCE)
        return self.filter(
            Q(state=RenderingState.QUEUED, queued_at__gt=now - patience)
            | Q(state=RenderingState.RUNNING, started_at__gt=now - timeout)
        )

    def requested_by(self, user) -> ReportRenderingQuerySet:
        return self.filter(requested_by_id=user.pk)


# A running rendering is given up on this long after its timeout (the worker's own
# bookkeeping after the child is stopped), a queued one after this long in the queue.
RUNNING_GRACE = 60
QUEUE_PATIENCE = 15 * 60


class ReportRendering(models.Model):
    """A background rendering of the report's PDF, one per content key.

    Derived operational data, like the progress read model: no history. Users asking for
    the same content share one row (and one rendering); the file lives in the report cache.
    """

    State = RenderingState

    key = models.CharField(
        _("content key"),
        max_length=64,
        unique=True,
        help_text=_("Hash of everything the PDF shows, and of its template."),
    )
    year = models.PositiveIntegerField(_("year"), help_text=_("The annual report's year."))
    state = models.CharField(
        _("state"), max_length=10, choices=RenderingState.choices, default=RenderingState.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The user whose request queued the rendering."),
    )
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True, help_text=_("Why the rendering failed."))
    queued_at = models.DateTimeField(_("queued at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ReportRenderingQuerySet.as_manager()

    class Meta:
        verbose_name = _("report rendering")
        verbose_name_plural = _("report renderings")
        ordering = ["-queued_at"]
        indexes = [
            models.Index(fields=["requested_by", "state"], name="rendering_user_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=RenderingState.values), name="rendering_valid_state"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.key[:12]} ({self.get_state_display()})"

    def is_active(self, now: datetime.datetime) -> bool:
        return ReportRendering.objects.filter(pk=self.pk).active(now).exists()


class EditionState(models.TextChoices):
    PENDING = "pending", _("waiting")
    RUNNING = "running", _("being made")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class EditionRendering(models.Model):
    """The rendering of a published round's edition, done by the worker after publishing.

    Publishing commits without it; a failure is kept here (with the error) for the
    secretariat, retried a few times and never undoes the publication. Operational data:
    the edition it produces has the history.
    """

    State = EditionState

    round = models.OneToOneField(
        FollowUpRound,
        verbose_name=_("round"),
        on_delete=models.PROTECT,
        related_name="edition_rendering",
        help_text=_("The published round whose edition is made."),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who published the round; the edition is made with their access."),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=EditionState.choices, default=EditionState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(
        _("attempts"), default=0, help_text=_("How many times the worker has tried.")
    )
    error = models.TextField(_("error"), blank=True, help_text=_("Why the last attempt failed."))
    edition = models.OneToOneField(
        ReportEdition,
        verbose_name=_("edition"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("edition rendering")
        verbose_name_plural = _("edition renderings")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=EditionState.values), name="edition_rendering_valid_state"
            ),
            models.CheckConstraint(
                condition=~Q(state=EditionState.DONE) | Q(edition__isnull=False),
                name="edition_rendering_done_has_edition",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round} ({self.get_state_display()})"

    def get_absolute_url(self) -> str:
        return self.round.get_absolute_url()

    @property
    def is_stale(self) -> bool:
        """Pending or running long after any attempt should have ended (a lost task)."""
        if self.state not in (EditionState.PENDING, EditionState.RUNNING):
            return False
        limit = settings.REPORT_RENDER_TIMEOUT * max(settings.REPORT_EDITION_MAX_ATTEMPTS, 1)
        age = timezone.now() - self.updated_at
        return age > datetime.timedelta(seconds=limit + QUEUE_PATIENCE)


class ReportRefresh(models.Model):
    """A year's current reports, to be rendered again after its latest change (the debounce).

    Derived operational data: one row per annual report year, written after each committed
    change to the year's data (`reports.current`). `due_at` moves on with every change; the
    worker's task chain (`chain_token`) renders the year's current reports once it has passed.
    """

    year = models.PositiveIntegerField(
        _("year"), unique=True, help_text=_("The annual report's year.")
    )
    changed_at = models.DateTimeField(
        _("changed at"), help_text=_("When the latest change to the year's data was committed.")
    )
    due_at = models.DateTimeField(
        _("due at"),
        help_text=_("When the current reports are rendered: the latest change plus the delay."),
    )
    chain_token = models.CharField(
        _("task chain"),
        max_length=32,
        blank=True,
        help_text=_("The worker's task chain for the year; empty when none is waiting."),
    )
    chain_until = models.DateTimeField(
        _("chain expected until"),
        null=True,
        blank=True,
        help_text=_("After this, a chain that has not finished counts as lost."),
    )
    covered_at = models.DateTimeField(
        _("covered up to"),
        null=True,
        blank=True,
        help_text=_("The change the latest rendering pass started from."),
    )
    rendered_at = models.DateTimeField(
        _("rendered at"), null=True, blank=True, help_text=_("When the latest pass finished.")
    )

    class Meta:
        verbose_name = _("current report refresh")
        verbose_name_plural = _("current report refreshes")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)

    def chain_alive(self, now: datetime.datetime) -> bool:
        return bool(self.chain_token) and (self.chain_until is None or self.chain_until > now)


class LatestRendering(models.Model):
    """The newest stored PDF of one undated report (a year, round and department) as one
    audience sees it (`Access.audience`).

    While a newer version is being made, users of exactly this audience may download it as
    the previous version; never users of another audience. Derived operational data.
    """

    slot = models.CharField(
        _("variant"),
        max_length=100,
        unique=True,
        help_text=_("Year, round, department and audience, in one key."),
    )
    year = models.PositiveIntegerField(_("year"), help_text=_("The annual report's year."))
    round = models.ForeignKey(
        FollowUpRound,
        verbose_name=_("round"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Statuses as of this round; empty for the newest status."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for the whole organisation."),
    )
    audience = models.CharField(
        _("audience"),
        max_length=60,
        help_text=_("Who sees exactly this content: all, published, or a set of departments."),
    )
    key = models.CharField(
        _("content key"), max_length=64, help_text=_("The stored PDF's content key.")
    )
    file = models.CharField(_("file"), max_length=200, help_text=_("The PDF in the cache."))
    data_at = models.DateTimeField(
        _("data from"), help_text=_("The moment the data in the PDF was read.")
    )
    rendered_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        verbose_name = _("latest rendering")
        verbose_name_plural = _("latest renderings")
        ordering = ["-year", "slot"]

    def __str__(self) -> str:
        return self.slot

    @staticmethod
    def slot_for(
        *, year: int, round_id: int | None, department_id: int | None, audience: str
    ) -> str:
        return f"{year}:{round_id or '-'}:{department_id or '-'}:{audience}"
