"""The lists of recommendations and follow-ups: filtered, with bounded pagination."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from followups.models import ActionStatus, FollowUp
from recommendations.models import Recommendation
from reports.lists.filters import FollowUpFilter, RecommendationFilter

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


def bounded_count(queryset) -> tuple[int, bool]:
    """The number of rows, counting at most COUNT_LIMIT + 1 (one cheap query).

    They are counted in the queryset's own order, if it has one (the filters give the list's
    order, newest first): PostgreSQL then stops at the cap after about the rows the list's
    twentieth page reads. Unordered, it often reads from the oldest rows, and criteria that
    mostly the newest rows meet (no status yet, a draft) cost a scan of nearly every row
    before the first match (follow-ups with status=none: 161 ms against 4 ms at national
    scale)."""
    n = queryset[: COUNT_LIMIT + 1].count()
    return min(n, COUNT_LIMIT), n > COUNT_LIMIT


def paginate(request: HttpRequest, queryset, decorate=None, count_queryset=None) -> Page:
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


@dataclass
class FilterField:
    """A filter field with its control pre-rendered (selects with hundreds of options are
    much faster built here than through Django's per-option widget templates)."""

    id: str
    label: str
    help_text: str
    errors: list[str]
    checkbox: bool
    control: SafeString
    hint_id: str = ""
    group: bool = False  # a fieldset with its own legend


def _options(choices, selected: set[str], empty_label: str | None) -> SafeString:
    """<option>s for a select; plain escaping and join (format_html per option is slow).
    The standard library's html.escape, which Django's escape() calls after its lazy-string
    wrapper (the same output, a third of the time for the ~200 options of a list page)."""
    parts = [f'<option value="">{html.escape(str(empty_label))}</option>'] if empty_label else []
    for value, label in choices:
        if value in ("", None):
            continue
        value = str(value)
        mark = " selected" if value in selected else ""
        parts.append(
            f'<option value="{html.escape(value)}"{mark}>{html.escape(str(label))}</option>'
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value and label is escaped)


def filter_fields(form) -> list[FilterField]:
    fields = []
    for bound in form.visible_fields():
        field = bound.field
        widget = field.widget
        html_id = bound.id_for_label or f"id_{bound.html_name}"
        name = bound.html_name
        value = bound.value()
        hint = f"hint-{name}" if field.help_text else ""
        described = format_html(' aria-describedby="{}"', hint) if hint else ""
        checkbox = isinstance(widget, forms.CheckboxInput)
        if checkbox:
            checked = mark_safe(" checked") if value in (True, "true", "on", "True") else ""
            control = format_html(
                '<input type="checkbox" class="form-checkbox" name="{}" id="{}" value="true"{}>',
                name,
                html_id,
                checked,
            )
        elif isinstance(widget, forms.CheckboxSelectMultiple):
            selected = {str(v) for v in (value or [])}
            items = [
                format_html(
                    '<div class="form-group-checkbox"><input type="checkbox" class="form-checkbox"'
                    ' name="{}" id="{}_{}" value="{}"{}><label class="form-label" for="{}_{}">'
                    "{}</label></div>",
                    name,
                    html_id,
                    i,
                    v,
                    mark_safe(" checked") if str(v) in selected else "",
                    html_id,
                    i,
                    label,
                )
                for i, (v, label) in enumerate(field.choices)
            ]
            control = format_html(
                '<fieldset id="{}"><legend class="form-label">{}</legend>{}</fieldset>',
                html_id,
                bound.label,
                mark_safe("".join(items)),  # noqa: S308 (format_html-escaped above)
            )
        elif isinstance(widget, forms.Select):
            selected = {str(value)} if value not in (None, "") else set()
            control = format_html(
                '<select class="form-select" name="{}" id="{}"{}>{}</select>',
                name,
                html_id,
                described,
                _options(field.choices, selected, "–"),
            )
        else:
            control = format_html(
                '<input type="search" class="form-input" name="{}" id="{}" value="{}"{}>',
                name,
                html_id,
                value or "",
                described,
            )
        fields.append(
            FilterField(
                id=html_id,
                label=str(bound.label),
                help_text=str(field.help_text or ""),
                errors=list(bound.errors),
                checkbox=checkbox,
                control=control,
                hint_id=hint,
                group=isinstance(widget, forms.CheckboxSelectMultiple),
            )
        )
    return fields


def _url_maker(name: str):
    """pk → URL of a detail page, reversing once per page instead of once per row."""
    marker = 987654321
    pattern = reverse(name, args=[marker])
    return lambda pk: pattern.replace(str(marker), str(pk))


def _list_page(request, filterset, *, load, row_url: str, template: str, each=None):
    """A filtered, paginated list: `load` adds the related data to the page's rows only,
    `each` decorates a row; every row gets the URL of its detail page."""
    rows = filterset.qs
    page = paginate(request, rows, load, count_queryset=filterset.matching)
    url = _url_maker(row_url)
    for row in page.rows:
        row.url = url(row.pk)
        if each is not None:
            each(row)
    return render(
        request,
        template,
        {"page": page, "form": filterset.form, "fields": filter_fields(filterset.form)},
    )


@login_required
def recommendation_list(request: HttpRequest) -> HttpResponse:
    filterset = RecommendationFilter(
        request.GET,
        # The filter restricts it to what the user may see (RecommendationFilter.restrict).
        queryset=Recommendation.objects.all(),
        request=request,
        window=_window(request),
    )
    return _list_page(
        request,
        filterset,
        # The columns the rows show: the related reports' and recommendations' long texts
        # stay in the database (fewer columns read, compiled and turned into objects).
        load=lambda qs: qs.select_related("report", "theme").only(
            "number", "text", "kind", "report__year", "theme__name"
        ),
        row_url="pages:recommendation",
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

    def label(followup) -> None:
        followup.latest_status_label = labels.get(followup.latest_status, "")

    return _list_page(
        request,
        filterset,
        load=lambda qs: (
            qs.select_related("recommendation__report", "recommendation__theme", "department")
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
        ),
        row_url="followups:detail",
        template="lists/followup_list.html",
        each=label,
    )
