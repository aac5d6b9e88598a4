"""What the import keeps: every original file imported into an annual report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from recommendations.models import AnnualReport


class ImportedDocument(models.Model):
    """An original Word, Excel or CSV file imported into an annual report, kept as received."""

    report = models.ForeignKey(
        AnnualReport,
        verbose_name=_("annual report"),
        on_delete=models.PROTECT,
        related_name="imported_documents",
        help_text=_("The annual report the file was imported into."),
    )
    file = models.FileField(
        _("file"),
        upload_to="imports/%Y/",
        help_text=_("The imported file exactly as it was uploaded."),
    )
    original_name = models.CharField(
        _("original file name"), max_length=255, help_text=_("The file's name when uploaded.")
    )
    sha256 = models.CharField(
        _("SHA-256"), max_length=64, help_text=_("Checksum of the file, identifying its content.")
    )
    size = models.PositiveIntegerField(_("size"), help_text=_("The file's size in bytes."))
    summary = models.JSONField(
        _("summary"),
        default=dict,
        blank=True,
        help_text=_("Counts and warnings of the import, as shown after importing."),
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Who imported the file."),
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    # The tables keep the names they had when the model lived in `recommendations`.
    history = HistoricalRecords(table_name="recommendations_historicalimporteddocument")

    class Meta:
        db_table = "recommendations_importeddocument"
        verbose_name = _("imported document")
        verbose_name_plural = _("imported documents")
        ordering = ["report__year", "imported_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(original_name=""), name="importeddocument_name_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.report.year})"
