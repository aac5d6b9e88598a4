"""Archived editions of the council's report: the exact PDF presented for a published round."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
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
