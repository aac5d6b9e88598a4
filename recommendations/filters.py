"""Filters for the recommendation list (django-filter)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from followups.filters import (
    BaseListFilter,
    apply_followup_criteria,
    has_followup_criteria,
)
from followups.models import FollowUp
from recommendations.models import Recommendation


class RecommendationFilter(BaseListFilter):
    """Recommendation fields directly; follow-up fields mean "has a visible follow-up that …"."""

    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=[], method="_unused", empty_label=_("Newest report first")
    )
    SORT_CHOICES = [("theme", _("Theme (A–Å)")), ("oldest", _("Oldest report first"))]

    class Meta:
        model = Recommendation
        fields: list[str] = []

    def filter_queryset(self, queryset):
        if not self.form.is_valid():
            self.matching = queryset.none()
            return self.matching
        data = self.form.cleaned_data
        queryset = queryset.search(data.get("q") or "")
        if data.get("year"):
            queryset = queryset.filter(report__year=data["year"])
        if data.get("round"):
            queryset = queryset.filter(report_id=self.rounds[int(data["round"])].report_id)
        if data.get("theme"):
            queryset = queryset.filter(theme_id=int(data["theme"]))
        if has_followup_criteria(data):
            followups = FollowUp.objects.visible_to(self.request.user)
            criteria = apply_followup_criteria(
                followups, data, self.children, published_only=self.published_only
            )
            queryset = queryset.with_followup_in(criteria)
        self.matching = queryset
        sort = data.get("sort")
        if sort == "theme":
            return self.by_theme(queryset, "theme_id", ("-report__year", "number"))
        # Text searches keep these orders too (newest report first by default): at 10,000
        # recommendations per year, that finds a page of matches faster than ranking them.
        order = ("report__year", "number") if sort == "oldest" else ("-report__year", "number")
        if data.get("q"):
            return self.search_results(queryset, order)
        return queryset.order_by(*order)
