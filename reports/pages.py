"""The annual report page: every section, theme and recommendation of one year with each
department's follow-up and statuses beside them, so it reads across the apps below."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from core.text import danish_key
from departments.access import access_for
from departments.models import Department
from followups.models import FollowUp, FollowUpRound
from recommendations.models import AnnualReport, Recommendation, RecommendationDepartment


@dataclass
class Row:
    recommendation: Recommendation
    followups: list[FollowUp]


@dataclass
class Section:
    department: Department | None  # None: the whole organisation
    themes: list[tuple[str, list[Row]]] = field(default_factory=list)


def report_sections(report: AnnualReport, user) -> list[Section]:
    """Whole organisation first, then each named department; themes within; fixed queries."""
    recommendations = list(
        Recommendation.objects.visible_to(user)
        .for_report(report)
        .select_related("theme")
        .prefetch_related(
            Prefetch(
                "scope_entries",
                queryset=RecommendationDepartment.objects.select_related("department"),
            )
        )
        .order_by("number")
    )
    followups_by_rec: dict[int, list[FollowUp]] = defaultdict(list)
    for followup in (
        FollowUp.objects.visible_to(user)
        .for_report(report)
        .select_related("department")
        .with_statuses_for(user)
        .order_by("department__name")
    ):
        followups_by_rec[followup.recommendation_id].append(followup)

    def grouped(rows: list[Row]) -> list[tuple[str, list[Row]]]:
        rows.sort(key=lambda r: (danish_key(r.recommendation.theme.name), r.recommendation.number))
        return [
            (theme, list(items))
            for theme, items in groupby(rows, key=lambda r: r.recommendation.theme.name)
        ]

    organisation = Section(None)
    by_department: dict[int, tuple[Department, list[Row]]] = {}
    org_rows: list[Row] = []
    visible = access_for(user).visible_department_ids()
    for rec in recommendations:
        followups = followups_by_rec.get(rec.pk, [])
        if rec.is_organisation_wide:
            org_rows.append(Row(rec, followups))
            continue
        for entry in rec.scope_entries.all():
            department = entry.department
            if visible is not None and department.pk not in visible:
                continue
            own = [f for f in followups if f.department_id == department.pk]
            by_department.setdefault(department.pk, (department, []))[1].append(Row(rec, own))
    organisation.themes = grouped(org_rows)
    sections = [organisation] if org_rows else []
    for department, rows in sorted(by_department.values(), key=lambda v: danish_key(v[0].name)):
        sections.append(Section(department, grouped(rows)))
    return sections


@login_required
def report_detail(request: HttpRequest, year: int) -> HttpResponse:
    report = get_object_or_404(AnnualReport, year=year)
    rounds = list(FollowUpRound.objects.visible_to(request.user).filter(report=report))
    access = access_for(request.user)
    return render(
        request,
        "reports/pages/report_detail.html",
        {
            "report": report,
            "sections": report_sections(report, request.user),
            "rounds": rounds,
            "can_register": access.is_secretariat or access.is_ombudsman,
        },
    )
