"""Filters for the recommendation list (django-filter). It lives with the dashboard's lists in
`reports`, the layer that reads across apps: its follow-up criteria come from `followups`."""

from __future__ import annotations

import django_filters
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from core.queries import AnyOf, order_by_groups
from followups.filters import (
    BaseListFilter,
    apply_followup_criteria,
    few_recommendation_ids,
    filtered_departments,
    has_followup_criteria,
    on_read_model,
    progress_criteria,
)
from followups.models import FollowUp, FollowUpProgress
from recommendations.models import Recommendation


class RecommendationFilter(BaseListFilter):
    """Recommendation fields directly; follow-up fields mean "has a visible follow-up that …"."""

    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=[], method="_unused", empty_label=_("Newest report first")
    )
    SORT_CHOICES = [("theme", _("Theme (A–Å)")), ("oldest", _("Oldest report first"))]
    # A manager's recommendations with a finished follow-up: 235 -> 79 ms at national scale.
    DEPARTMENT_ON_PROGRESS = ("status", "completion")

    class Meta:
        model = Recommendation
        fields: list[str] = []

    def filter_queryset(self, queryset):
        if not self.form.is_valid():
            self.matching = queryset.none()
            return self.matching
        data = self.form.cleaned_data
        queryset = queryset.search(data.get("q") or "")
        reports = self.reports_newest_first
        if data.get("year"):
            report = self.report_of_year[data["year"]]
            queryset = queryset.filter(report_id=report)
            reports = [report]
        if data.get("round"):
            report = self.rounds[int(data["round"])].report_id
            queryset = queryset.filter(report_id=report)
            reports = [pk for pk in reports if pk == report]
        if data.get("theme"):
            queryset = queryset.filter(theme_id=int(data["theme"]))
        if has_followup_criteria(data):
            plan_reports = self.published_plan_reports()
            if plan_reports is not None:
                # Read-only roles see the follow-ups of published action plans only: the
                # other reports' recommendations (the newest's, 10,000) need no testing.
                queryset = queryset.filter(report_id__in=plan_reports)
                reports = [pk for pk in reports if pk in plan_reports]
            # Overdue as the follow-up list reads it (BaseListFilter.overdue_on_progress):
            # on the read model within some departments or a year, whose open rows its
            # indexes hold; without them the follow-ups' own target-date test was faster
            # (the secretariat's overdue recommendations, interleaved: 19-22 ms of SQL on
            # the follow-ups, 23-24 ms on the read model).
            if on_read_model(data) and (not data.get("overdue") or self.overdue_on_progress(data)):
                # A status, "finished or not" or overdue alone (and a department): the read
                # model answers it by itself, without the follow-ups (a manager's
                # recommendations with a follow-up done: 186 -> 96 ms of SQL at national
                # scale; overdue in a department, with its copy of the target date: 64 ->
                # 30 ms).
                criteria = progress_criteria(
                    FollowUpProgress.objects.visible_to(
                        self.request.user,
                        departments=filtered_departments(data, self.children),
                    ),
                    data,
                    published_only=self.published_only,
                )
                if data.get("overdue"):
                    criteria = criteria.overdue(published_only=self.published_only)
                report, via = "report_id", "recommendation"
            else:
                criteria = apply_followup_criteria(
                    self.visible_followups(FollowUp.objects.all(), data),
                    data,
                    published_only=self.published_only,
                    plan_reports=plan_reports,
                )
                # With a status, on the read model's (status, report, recommendation) index.
                status = data.get("status")
                report = "progress__report_id" if status else "recommendation__report_id"
                # A status or completion is tested on the read model's (status,
                # recommendation) or finished / open indexes: one lookup per recommendation,
                # not one per follow-up of it (not read-only roles' completion: see
                # FollowUpFilter).
                on_progress = status or (data.get("completion") and not self.published_only)
                via = "progress__recommendation" if on_progress else "recommendation"
            # Narrowed as the recommendations are, so that finding few follow-ups reads
            # only their report's or theme's.
            if len(reports) < len(self.reports_newest_first):
                criteria = criteria.filter(**{f"{report}__in": reports})
            if data.get("theme"):
                criteria = criteria.filter(recommendation__theme_id=int(data["theme"]))
            few = few_recommendation_ids(criteria)
            if few is None:
                queryset = queryset.with_followup_in(criteria, via=via)
            else:
                queryset = queryset.filter(AnyOf(F("pk"), sorted(few))) if few else queryset.none()
        # Counted newest first, as shown (recommendations' ids grow with their reports), but
        # for a text search (from the GIN index) and a status other than "no status yet":
        # PostgreSQL then counts up to the cap from the read model's (department, status) or
        # (status, recommendation) index as it finds them, instead of sorting every match
        # first. Measured at national scale: a manager's "done" 84 -> 42 ms, a council
        # member's "paused" 108 -> 21 ms; "no status yet" (the newest report's) 14 ms
        # ordered against 26 ms unordered.
        # A member's follow-up criteria too (a few departments of many), as on the follow-up
        # list: a manager's recommendations with a moved target date 138 -> 39 ms, with a
        # follow-up in a sub-department 63 -> 21 ms.
        unordered = (
            data.get("q")
            or data.get("status") not in (None, "", "none")
            or (self.visible is not None and has_followup_criteria(data))
        )
        self.matching = queryset.order_by() if unordered else queryset.order_by("-pk")
        sort = data.get("sort")
        if sort == "theme":
            return self.by_theme(queryset, "theme_id", ("-report__year", "number"))
        # Text searches keep these orders too (newest report first by default): at 10,000
        # recommendations per year, that finds a page of matches faster than ranking them.
        oldest = sort == "oldest"
        walk_text = bool(data.get("q")) and self.text_search_walks(queryset)
        if data.get("q") and not walk_text:
            order = ("report__year", "number") if oldest else ("-report__year", "number")
            return self.search_results(queryset, order, self.queryset)
        # The reports in year order are groups walked on the (report, number) index: sorting
        # by the report's year otherwise sorts every matching recommendation before the first
        # page (45 ms for 120,000 with a follow-up filter, which keeps PostgreSQL from a
        # top-N sort).
        return order_by_groups(
            queryset,
            key="report_id",
            groups=reports[::-1] if oldest else reports,
            within=("number",),
            window=self.window if walk_text else self._walk_window(),
        )
