"""The lists of recommendations and follow-ups: filtered, with bounded pagination."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from followups.models import ActionStatus, FollowUp, FollowUpQuerySet
from recommendations.models import Recommendation, RecommendationQuerySet
from reports.lists.filters import BaseListFilter, FollowUpFilter, RecommendationFilter, Rows

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


def _window(request: HttpRequest) -> int:
    """The rows a list must read to show the requested page and know whether one follows."""
    return _page_number(request) * PAGE_SIZE + 1


def _query_with_page(request: HttpRequest, number: int) -> str:
    params = request.GET.copy()
    params["page"] = str(number)
    return params.urlencode()


def bounded_count(queryset: QuerySet[Any]) -> tuple[int, bool]:
    """The number of rows, counting at most COUNT_LIMIT + 1 (one cheap query).

    They are counted in the queryset's own order, if it has one (the filters give the list's
    order, newest first): PostgreSQL then stops at the cap after about the rows the list's
    twentieth page reads. Unordered, it often reads from the oldest rows, and criteria that
    mostly the newest rows meet (no status yet, a draft) cost a scan of nearly every row
    before the first match (follow-ups with status=none: 161 ms against 4 ms at national
    scale)."""
    n = queryset[: COUNT_LIMIT + 1].count()
    return min(n, COUNT_LIMIT), n > COUNT_LIMIT


def paginate(
    request: HttpRequest,
    queryset: QuerySet[Any],
    decorate: Callable[[Any], QuerySet[Any]] | None = None,
    count_queryset: QuerySet[Any] | None = None,
) -> Page:
    """One page of PAGE_SIZE rows; the count is bounded; `decorate` adds display annotations.

    `count_queryset`: the same rows, cheaper to count (e.g. without the sort); without it,
    the rows are counted unordered."""
    number = _page_number(request)
    start = (number - 1) * PAGE_SIZE
    shown = decorate(queryset) if decorate else queryset
    rows = list(shown[start : start + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE and number < MAX_PAGE
    if len(rows) <= PAGE_SIZE and (rows or number == 1):
        # The last page: the rows before it and on it are all there is. Rare matches cost a
        # scan of every candidate row; this spares the count doing it a second time.
        count, capped = start + len(rows), False
    else:
        # One bounded count query (at most one per page, whatever the data).
        count, capped = bounded_count(
            queryset.order_by() if count_queryset is None else count_queryset
        )
    rows = rows[:PAGE_SIZE]
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


def _url_maker(name: str) -> Callable[[int], str]:
    """pk → URL of a detail page, reversing once per page instead of once per row."""
    marker = 987654321
    pattern = reverse(name, args=[marker])
    return lambda pk: pattern.replace(str(marker), str(pk))


def _list_page(
    request: HttpRequest,
    filterset: BaseListFilter[Rows],
    *,
    load: Callable[[Rows], QuerySet[Any]],
    row_url: str,
    template: str,
    each: Callable[[Any], None] | None = None,
) -> HttpResponse:
    """A filtered, paginated list: `load` adds the related data to the page's rows only,
    `each` decorates a row; every row gets the URL of its detail page."""
    # django-filter's `qs` is what filter_queryset returned: the list's own queryset.
    rows = cast(Rows, filterset.qs)
    page = paginate(request, rows, load, count_queryset=filterset.matching)
    url = _url_maker(row_url)
    for row in page.rows:
        row.url = url(row.pk)
        if each is not None:
            each(row)
    # The filter form is rendered by {% filter_form form %} (reports/templatetags).
    return render(request, template, {"page": page, "form": filterset.form})


@login_required
def recommendation_list(request: HttpRequest) -> HttpResponse:
    filterset = RecommendationFilter(
        request.GET,
        # The filter restricts it to what the user may see (RecommendationFilter.restrict).
        queryset=Recommendation.objects.all(),
        request=request,
        window=_window(request),
    )

    def load(rows: RecommendationQuerySet) -> RecommendationQuerySet:
        # The columns the rows show: the related reports' and recommendations' long texts
        # stay in the database (fewer columns read, compiled and turned into objects).
        return rows.select_related("report", "theme").only(
            "number", "text", "kind", "report__year", "theme__name"
        )

    return _list_page(
        request,
        filterset,
        load=load,
        row_url="recommendations:detail",
        template="lists/recommendation_list.html",
    )


@login_required
def followup_list(request: HttpRequest) -> HttpResponse:
    filterset = FollowUpFilter(
        request.GET,
        # The filter restricts it to what the user may see (FollowUpQuerySet.visible_to),
        # with the department filter in the same condition.
        queryset=FollowUp.objects.all(),
        request=request,
        window=_window(request),
    )
    labels = dict(ActionStatus.choices)

    def load(rows: FollowUpQuerySet) -> FollowUpQuerySet:
        return (
            rows.select_related("recommendation__report", "recommendation__theme", "department")
            .only(
                "action",
                "state",
                "target_date",
                "recommendation__number",
                "recommendation__report__year",
                "recommendation__theme__name",
                "department__name",
            )
            .with_latest_status(published_only=filterset.published_only)
        )

    def label(followup: Any) -> None:  # a FollowUp annotated with its latest status
        followup.latest_status_label = labels.get(followup.latest_status, "")

    return _list_page(
        request,
        filterset,
        load=load,
        row_url="followups:detail",
        template="lists/followup_list.html",
        each=label,
    )
