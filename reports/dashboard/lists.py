"""Filtered lists of recommendations and follow-ups, with bounded pagination."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from followups.filters import FollowUpFilter
from followups.models import ActionStatus, FollowUp
from recommendations.filters import RecommendationFilter
from recommendations.models import Recommendation

PAGE_SIZE = 50
# Counting stops here: no COUNT(*) over the whole table on every request.
COUNT_LIMIT = 1000
MAX_PAGE = COUNT_LIMIT // PAGE_SIZE


@dataclass
class Page:
    rows: list[Any]
    number: int
    count: int
    count_capped: bool  # True: there are more than `count` rows
    first: int
    last: int
    previous_query: str | None
    next_query: str | None


def _page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    return max(1, min(number, MAX_PAGE))


def _query_with_page(request: HttpRequest, number: int) -> str:
    params = request.GET.copy()
    params["page"] = str(number)
    return params.urlencode()


def bounded_count(queryset) -> tuple[int, bool]:
    """The number of rows, counting at most COUNT_LIMIT + 1 (one cheap query)."""
    n = queryset.order_by()[: COUNT_LIMIT + 1].count()
    return min(n, COUNT_LIMIT), n > COUNT_LIMIT


def paginate(request: HttpRequest, queryset, decorate=None) -> Page:
    """One page of PAGE_SIZE rows; the count is bounded; `decorate` adds display annotations."""
    number = _page_number(request)
    start = (number - 1) * PAGE_SIZE
    shown = decorate(queryset) if decorate else queryset
    rows = list(shown[start : start + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE and number < MAX_PAGE
    rows = rows[:PAGE_SIZE]
    # Always one bounded count query, so the number of queries never depends on the data.
    count, capped = bounded_count(queryset)
    return Page(
        rows=rows,
        number=number,
        count=count,
        count_capped=capped,
        first=start + 1 if rows else 0,
        last=start + len(rows),
        previous_query=_query_with_page(request, number - 1) if number > 1 else None,
        next_query=_query_with_page(request, number + 1) if has_next else None,
    )


@login_required
def recommendation_list(request: HttpRequest) -> HttpResponse:
    filterset = RecommendationFilter(
        request.GET,
        queryset=Recommendation.objects.visible_to(request.user),
        request=request,
    )
    queryset = filterset.qs
    page = paginate(request, queryset, lambda qs: qs.select_related("report", "theme"))
    return render(
        request,
        "dashboard/recommendation_list.html",
        {"filter": filterset, "page": page, "form": filterset.form},
    )


@login_required
def followup_list(request: HttpRequest) -> HttpResponse:
    filterset = FollowUpFilter(
        request.GET,
        queryset=FollowUp.objects.visible_to(request.user),
        request=request,
    )
    queryset = filterset.qs
    page = paginate(
        request,
        queryset,
        lambda qs: qs.select_related(
            "recommendation__report", "recommendation__theme", "department"
        ).with_latest_status(),
    )
    labels = dict(ActionStatus.choices)
    for followup in page.rows:
        followup.latest_status_label = labels.get(followup.latest_status, "")
    return render(
        request,
        "dashboard/followup_list.html",
        {"filter": filterset, "page": page, "form": filterset.form},
    )
