"""The ombudsman's annual reports, their themes and recommendations."""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core import queries
from core.text import TEXT_MAX_LENGTH, max_length_check
from departments.access import access_for
from departments.models import Department


class AnnualReportQuerySet(models.QuerySet["AnnualReport"]):
    def latest_first(self) -> AnnualReportQuerySet:
        return self.order_by("-year")


class AnnualReport(models.Model):
    year = models.PositiveSmallIntegerField(
        _("year"), unique=True, help_text=_("The year the report covers, e.g. 2024.")
    )
    title = models.CharField(
        _("title"), max_length=300, help_text=_("E.g. 'Borgerrådgiverens årsberetning 2024'.")
    )
    published_on = models.DateField(
        _("published on"),
        null=True,
        blank=True,
        help_text=_("The date the ombudsman published the report."),
    )
    case_number = models.CharField(
        _("case number"),
        max_length=60,
        blank=True,
        help_text=_("Case number (sagsnr.) in the records system."),
    )
    document_number = models.CharField(
        _("document number"),
        max_length=60,
        blank=True,
        help_text=_("Document number (dokumentnr.) in the records system."),
    )
    introduction = models.TextField(
        _("introduction"),
        blank=True,
        max_length=TEXT_MAX_LENGTH,
        help_text=_(
            "Shown before the tables in the council's report. Lines starting "
            "with '- ' become bullet lists."
        ),
    )
    document = models.FileField(
        _("original document"),
        upload_to="annual_reports/%Y/",
        blank=True,
        help_text=_("The report as published (PDF or Word), kept for reference."),
    )
    history = HistoricalRecords()

    objects = AnnualReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=1990) & Q(year__lte=2200), name="annualreport_year_range"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="annualreport_title_not_empty"),
            max_length_check("annualreport", "introduction", _("introduction")),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("pages:report", args=[self.year])


def theme_key(name: str) -> str:
    """Themes match whatever their case or spacing: 'SVAR  tider' is 'Svar tider'."""
    return " ".join(name.split()).casefold()


class ThemeQuerySet(models.QuerySet["Theme"]):
    def named(self, name: str) -> ThemeQuerySet:
        return self.filter(key=theme_key(name))


class Theme(models.Model):
    name = models.CharField(
        _("name"),
        max_length=150,
        help_text=_("Theme heading shared across years and sections, e.g. 'Svartider'."),
    )
    key = models.CharField(
        _("matching key"),
        max_length=150,
        unique=True,
        editable=False,
        help_text=_("The name in lower case with single spaces; keeps themes from duplicating."),
    )
    description = models.TextField(
        _("description"),
        blank=True,
        max_length=TEXT_MAX_LENGTH,
        help_text=_("What recommendations under this theme cover."),
    )
    history = HistoricalRecords()

    objects = ThemeQuerySet.as_manager()

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="theme_name_not_empty"),
            max_length_check("theme", "description", _("description")),
        ]

    def __str__(self) -> str:
        return self.name


class RecommendationQuerySet(models.QuerySet["Recommendation"]):
    def organisation_wide(self) -> RecommendationQuerySet:
        return self.filter(scope=Recommendation.Scope.ORGANISATION)

    def for_departments(self, department_ids) -> RecommendationQuerySet:
        """Organisation-wide ones plus those naming one of the departments."""
        named = RecommendationDepartment.objects.filter(
            recommendation=OuterRef("pk"), department_id__in=department_ids
        )
        return self.filter(Q(scope=Recommendation.Scope.ORGANISATION) | Exists(named))

    def visible_to(self, user) -> RecommendationQuerySet:
        access = access_for(user)
        if not user.is_authenticated:
            return self.none()
        ids = access.visible_department_ids()
        return self if ids is None else self.for_departments(ids)

    def for_report(self, report: AnnualReport) -> RecommendationQuerySet:
        return self.filter(report=report)

    # --- Lists, filters and dashboards (issue 5) ---

    def search(self, text: str) -> RecommendationQuerySet:
        """Free text: PostgreSQL full-text search (danish, GIN-indexed); elsewhere every word,
        in any case (core.queries.search)."""
        return queries.search(self, "text", text)

    def with_followup_in(self, followups, *, via: str = "recommendation") -> RecommendationQuerySet:
        """Recommendations that have at least one follow-up in the `followups` queryset.

        `via`: the lookup from a follow-up to its recommendation the test is written with (a
        copy of the recommendation beside other criteria can be tested from one index)."""
        return self.filter(Exists(followups.filter(**{via: OuterRef("pk")})))

    def recurring_themes(self):
        """Per theme: recommendations and the number of distinct years (one query)."""
        from django.db.models import Count

        return (
            self.values("theme_id", "theme__name")
            .annotate(recommendations=Count("pk"), years=Count("report__year", distinct=True))
            .filter(years__gte=2)
        )


# The choices of Recommendation's columns (Recommendation.Kind, .Scope, ...), at module level so
# that the model's CHECK constraints can name their values.
class RecommendationKind(models.TextChoices):
    RECOMMENDATION = "recommendation", _("Recommendation")
    CRITICISM = "criticism", _("Point of criticism")


class RecommendationScope(models.TextChoices):
    ORGANISATION = "organisation", _("The whole organisation")
    DEPARTMENTS = "departments", _("Named departments")


class RecommendationResponse(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    PARTLY_ACCEPTED = "partly_accepted", _("Partly accepted")
    REJECTED = "rejected", _("Not accepted")


class RecommendationAssessment(models.TextChoices):
    SATISFACTORY = "satisfactory", _("Satisfactory")
    PARTLY_SATISFACTORY = "partly_satisfactory", _("Partly satisfactory")
    INSUFFICIENT = "insufficient", _("Insufficient")


class RecommendationLinkKind(models.TextChoices):
    REPEATS = "repeats", _("Repeats")
    CONTINUES = "continues", _("Continues")


class Recommendation(models.Model):
    # The fields an editor changes and the history page compares (report and number identify it).
    CONTENT_FIELDS = [
        "theme",
        "kind",
        "text",
        "scope",
        "response",
        "response_reason",
        "assessment",
        "assessment_note",
        "previous",
        "link_kind",
    ]

    Kind = RecommendationKind
    Scope = RecommendationScope
    Response = RecommendationResponse
    Assessment = RecommendationAssessment
    LinkKind = RecommendationLinkKind

    report = models.ForeignKey(
        AnnualReport,
        verbose_name=_("annual report"),
        on_delete=models.PROTECT,
        related_name="recommendations",
        help_text=_("The annual report the recommendation comes from."),
    )
    theme = models.ForeignKey(
        Theme,
        verbose_name=_("theme"),
        on_delete=models.PROTECT,
        related_name="recommendations",
        help_text=_("Theme heading the recommendation stands under."),
        db_index=False,  # recommendation_theme_newest starts with it
    )
    number = models.PositiveIntegerField(
        _("number"), help_text=_("Order of the recommendation within its report (1, 2, 3 …).")
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=Kind.choices,
        default=Kind.RECOMMENDATION,
        help_text=_("A recommendation or a point of criticism."),
    )
    text = models.TextField(
        _("text"),
        max_length=TEXT_MAX_LENGTH,
        help_text=_(
            "The recommendation as worded in the report. Lines starting with '- ' "
            "become bullet lists."
        ),
    )
    scope = models.CharField(
        _("scope"),
        max_length=20,
        choices=Scope.choices,
        default=Scope.ORGANISATION,
        help_text=_("Whether the recommendation concerns the whole organisation or named units."),
    )
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("departments"),
        through="RecommendationDepartment",
        related_name="recommendations",
        blank=True,
        help_text=_("The units the recommendation names (only when scope is named departments)."),
    )
    response = models.CharField(
        _("administration's response"),
        max_length=20,
        choices=Response.choices,
        blank=True,
        help_text=_("Whether the administration accepts the recommendation."),
    )
    response_reason = models.TextField(
        _("reason for the response"),
        blank=True,
        max_length=TEXT_MAX_LENGTH,
        help_text=_("Required when the recommendation is not accepted."),
    )
    assessment = models.CharField(
        _("ombudsman's assessment"),
        max_length=20,
        choices=Assessment.choices,
        blank=True,
        help_text=_("The ombudsman's assessment of the administration's answer."),
    )
    assessment_note = models.TextField(
        _("assessment note"),
        blank=True,
        max_length=TEXT_MAX_LENGTH,
        help_text=_("The ombudsman's comments on the answer."),
    )
    previous = models.ForeignKey(
        "self",
        verbose_name=_("earlier recommendation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="later",
        help_text=_("An earlier recommendation this one repeats or continues."),
    )
    link_kind = models.CharField(
        _("kind of link"),
        max_length=20,
        choices=LinkKind.choices,
        blank=True,
        help_text=_("How this recommendation relates to the earlier one."),
    )
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Raised by every change.")
    )
    history = HistoricalRecords(excluded_fields=["version"])

    objects = RecommendationQuerySet.as_manager()

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["report__year", "number"]
        indexes = [
            # A theme's recommendations newest first: follow-ups sorted by theme walk it.
            models.Index(fields=["theme", "-id"], name="recommendation_theme_newest"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "number"], name="recommendation_unique_number_per_report"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="recommendation_number_gte_1"),
            models.CheckConstraint(condition=~Q(text=""), name="recommendation_text_not_empty"),
            models.CheckConstraint(
                condition=~Q(response="rejected") | ~Q(response_reason=""),
                name="recommendation_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=(Q(previous__isnull=True) & Q(link_kind=""))
                | (Q(previous__isnull=False) & ~Q(link_kind="")),
                name="recommendation_link_has_kind",
            ),
            models.CheckConstraint(
                condition=~Q(previous=models.F("pk")), name="recommendation_not_linked_to_self"
            ),
            # Every choice column holds one of its choices (or "" where it may be empty).
            models.CheckConstraint(
                condition=Q(kind__in=RecommendationKind.values), name="recommendation_valid_kind"
            ),
            models.CheckConstraint(
                condition=Q(scope__in=RecommendationScope.values),
                name="recommendation_valid_scope",
            ),
            models.CheckConstraint(
                condition=Q(response__in=["", *RecommendationResponse.values]),
                name="recommendation_valid_response",
            ),
            models.CheckConstraint(
                condition=Q(assessment__in=["", *RecommendationAssessment.values]),
                name="recommendation_valid_assessment",
            ),
            models.CheckConstraint(
                condition=Q(link_kind__in=["", *RecommendationLinkKind.values]),
                name="recommendation_valid_link_kind",
            ),
            max_length_check("recommendation", "text", _("text")),
            max_length_check("recommendation", "response_reason", _("reason for the response")),
            max_length_check("recommendation", "assessment_note", _("assessment note")),
        ]

    def __str__(self) -> str:
        return f"{self.report.year}-{self.number}: {self.theme}"

    def get_absolute_url(self) -> str:
        return reverse("recommendations:detail", args=[self.pk])

    @property
    def is_organisation_wide(self) -> bool:
        return self.scope == self.Scope.ORGANISATION

    def responsible_departments(self) -> models.QuerySet[Department]:
        """Units expected to answer: the named ones, or every active top-level unit."""
        if self.is_organisation_wide:
            return Department.objects.active().top_level()
        return self.departments.filter(active=True)

    def chain(self) -> tuple[list[Recommendation], list[Recommendation]]:
        """Earlier recommendations (oldest first) and later ones (nearest first)."""
        earlier: list[Recommendation] = []
        node = self.previous
        seen = {self.pk}
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            earlier.insert(0, node)
            node = node.previous
        later: list[Recommendation] = []
        frontier = list(self.later.all())
        while frontier:
            node = frontier.pop(0)
            if node.pk in seen:
                continue
            seen.add(node.pk)
            later.append(node)
            frontier.extend(node.later.all())
        return earlier, later


class RecommendationDepartment(models.Model):
    """A unit named in a recommendation's scope."""

    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("recommendation"),
        on_delete=models.PROTECT,
        related_name="scope_entries",
        help_text=_("The recommendation."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("A unit the recommendation concerns."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("named department")
        verbose_name_plural = _("named departments")
        ordering = ["department__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "department"], name="recdept_unique_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recommendation} → {self.department}"
