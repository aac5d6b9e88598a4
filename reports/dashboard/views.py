"""The managers' and the secretariat's dashboard (/oversigt/).

Who sees what: the secretariat and the ombudsman's office see every department; managers see
the departments they manage (with their sub-departments); everyone else (case officers who
manage nothing, council members) gets 403 and uses the lists instead. Every figure links to
the follow-up or recommendation list filtered to exactly the items it counts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import quote_plus, urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.text import danish_key
from departments.access import access_for
from departments.models import children_map, descendant_ids
from followups.models import ActionStatus, FollowUpRound
from reports.dashboard import stats
from reports.dashboard.charts import Cell, Chart, Row, Series

STATUS_KEYS = [*ActionStatus.values, stats.NO_STATUS]


@dataclass
class Unit:
    """A row of the per-department figures: a department with its subtree, or only itself."""

    pk: int
    label: str
    ids: set[int]
    only_this: bool = False

    def params(self) -> dict[str, str]:
        params = {"department": str(self.pk)}
        if self.only_this:
            params["only_this"] = "true"
        return params


class Links:
    """Query strings for the lists. Built by hand: a page has ~1,000 links, and every value
    is an id, a year or a fixed ASCII word, so urlencode's quoting is not needed."""

    def __init__(self, base: dict[str, str]):
        self.base = base
        self.followups = reverse("dashboard:followups")
        self.recommendations = reverse("dashboard:recommendations")

    def _query(self, params: dict) -> str:
        merged = {**self.base, **params}
        return "&".join(f"{k}={_safe(v)}" for k, v in merged.items() if v not in (None, ""))

    def f(self, **params) -> str:
        return f"{self.followups}?{self._query(params)}"

    def r(self, **params) -> str:
        return f"{self.recommendations}?{self._query(params)}"


def _safe(value) -> str:
    text = str(value)
    return text if text.replace("_", "").isalnum() and text.isascii() else quote_plus(text)


def _clean(params: dict) -> dict[str, str]:
    return {k: str(v) for k, v in params.items() if v not in (None, "")}


def _status_labels() -> dict[str, str]:
    labels = {value: str(label) for value, label in ActionStatus.choices}
    return {**labels, stats.NO_STATUS: _("No status yet")}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = access_for(user).dashboard_department_ids()
    today = timezone.localdate()
    version = stats.data_version()
    figures, stale_since = stats.cached_figures(version, today)

    departments = figures.departments
    names = {pk: name for pk, name, _parent in departments}
    children = children_map((pk, parent) for pk, _name, parent in departments)
    by_name = lambda ids: sorted(ids, key=lambda pk: danish_key(names[pk]))  # noqa: E731

    selected = _selected_department(request, names, scope)
    if selected is not None:
        scope_ids: set[int] | None = descendant_ids({selected}, children)
        units = [
            Unit(selected, _("%(name)s (itself)") % {"name": names[selected]}, {selected}, True)
        ]
        units += [
            Unit(pk, names[pk], descendant_ids({pk}, children))
            for pk in by_name(children.get(selected, []))
        ]
        base = {"department": str(selected)}
    else:
        if scope is None:
            scope_ids = None
            roots = children.get(None, [])
        else:
            scope_ids = set(scope)
            roots = [pk for pk, _n, parent in departments if pk in scope and parent not in scope]
        units = [Unit(pk, names[pk], descendant_ids({pk}, children)) for pk in by_name(roots)]
        # One root (a typical manager): links carry it, so the lists count the same items.
        base = {"department": str(roots[0])} if len(roots) == 1 and scope is not None else {}
    links = Links(base)

    rounds = list(
        FollowUpRound.objects.visible_to(user).open().select_related("report").order_by("-deadline")
    )
    round = _selected_round(request, rounds)
    theme_names = figures.theme_names
    charts = []
    if round is not None:
        progress, progress_since = stats.cached_round_progress(round, version, today)
        stale_since = min(filter(None, [stale_since, progress_since]), default=None)
        charts.append(_progress_chart(round, progress, units, links))
    charts.append(_status_by_department_chart(figures, units, links))
    charts.append(_status_by_chart(figures, scope_ids, "status_by_theme", theme_names, links))
    charts.append(_status_by_chart(figures, scope_ids, "status_by_year", None, links))
    charts.append(_open_by_year_chart(figures, scope_ids, links, today))
    charts.append(_age_by_department_chart(figures, units, links, today))
    charts.append(_recurring_themes_chart(figures, scope_ids, theme_names, links))
    charts.append(_slippage_chart(figures, units, links))
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "charts": [c.layout() for c in charts],
            "rounds": rounds,
            "round": round,
            "selected": selected,
            "selected_name": names.get(selected) if selected is not None else None,
            "parent_of_selected": next(
                (
                    p
                    for pk, _n, p in departments
                    if pk == selected and (scope is None or p in scope)
                ),
                None,
            ),
            "scope_all": scope is None,
            "drill": [(u.pk, u.label) for u in units if not u.only_this and children.get(u.pk)],
            "today": today,
            "stale_since": stale_since,
        },
    )


def _selected_department(request, names, scope) -> int | None:
    raw = request.GET.get("department", "")
    if not raw:
        return None
    try:
        pk = int(raw)
    except ValueError as exc:
        raise Http404 from exc
    if pk not in names or (scope is not None and pk not in scope):
        raise Http404
    return pk


def _selected_round(request, rounds) -> FollowUpRound | None:
    raw = request.GET.get("round", "")
    for r in rounds:
        if str(r.pk) == raw:
            return r
    if raw:
        raise Http404
    return rounds[0] if rounds else None


def _progress_chart(round, progress, units, links) -> Chart:
    """The open round's progress per department: an action-plan round counts workflow
    states, a status round counts statuses reported, of the approved follow-ups."""
    status_round = round.kind == FollowUpRound.Kind.STATUS
    rows = []
    for unit in units:
        p = stats.sum_dicts(progress[d] for d in unit.ids if d in progress)
        if not p.get("required"):
            continue
        common = {"round": round.pk, **unit.params()}
        overdue = (str(p["overdue"]), links.f(**common, overdue="true"))
        extra: list[tuple[str, str] | list[tuple[str, str]]]
        if status_round:
            cells = [
                Cell(p["reported"], links.f(**common, reported="yes")),
                Cell(p["required"] - p["reported"], links.f(**common, reported="no")),
            ]
            extra = [overdue]
        else:
            approved, submitted = p["approved"], p["submitted"]
            cells = [
                Cell(approved, links.f(**common, state="approved")),
                Cell(submitted, links.f(**common, state="submitted")),
                Cell(p["required"] - approved - submitted, _state_link(links, common)),
            ]
            extra = [(str(p["written"]), links.f(**common, written="true")), overdue]
        url = links.f(**common)
        rows.append(Row(label=unit.label, url=url, total_url=url, cells=cells, extra=extra))
    if status_round:
        series = [
            Series("reported", _("Status reported")),
            Series("rest", _("Not yet reported")),
        ]
        headings = [_("Overdue")]
        note = _("Total = approved follow-ups that need a status")
    else:
        series = [
            Series("approved", _("Approved")),
            Series("submitted", _("Submitted")),
            Series("rest", _("Not yet submitted")),
        ]
        headings = [_("Written"), _("Overdue")]
        note = _("Total = required answers")
    return Chart(
        id="progress",
        title=_("Progress in %(round)s (%(year)s)")
        % {"round": round.name, "year": round.report.year},
        row_heading=_("Department"),
        series=series,
        rows=rows,
        extra_headings=headings,
        note=note,
    )


def _state_link(links, common) -> str:
    query = urlencode({**links.base, **_clean(common)})
    return f"{links.followups}?{query}&state=draft&state=returned"


def _status_cells(counts: dict, links, **params) -> list[Cell]:
    return [Cell(counts.get(s, 0), links.f(**params, status=s)) for s in STATUS_KEYS]


def _status_series() -> list[Series]:
    labels = _status_labels()
    return [Series(s, labels[s]) for s in STATUS_KEYS]


def _status_by_department_chart(figures, units, links) -> Chart:
    rows = []
    for unit in units:
        by_year = figures.summed("status_by_year", unit.ids)
        counts: dict[str, int] = {}
        for (_year, status), n in by_year.items():
            counts[status] = counts.get(status, 0) + n
        if counts:
            rows.append(
                Row(
                    unit.label,
                    _status_cells(counts, links, **unit.params()),
                    url=links.f(**unit.params()),
                    total_url=links.f(**unit.params()),
                )
            )
    return Chart(
        id="status-department",
        title=_("Latest status per department"),
        row_heading=_("Department"),
        series=_status_series(),
        rows=rows,
    )


def _status_by_chart(figures, scope_ids, name, theme_names, links) -> Chart:
    """Latest status per theme (with `theme_names`, in Danish order) or per year (newest
    first); each row links to the list filtered the same way."""
    summed = figures.summed(name, scope_ids)
    per_key: dict[int, dict[str, int]] = {}
    for (key, status), n in summed.items():
        per_key.setdefault(key, {})[status] = n
    if theme_names is not None:
        keys = sorted(per_key, key=lambda pk: danish_key(theme_names.get(pk, "")))
        label, param = (lambda pk: theme_names.get(pk, "?")), "theme"
        chart_id, title, heading = "status-theme", _("Latest status per theme"), _("Theme")
    else:
        keys = sorted(per_key, reverse=True)
        label, param = str, "year"
        chart_id, heading = "status-year", _("Year")
        title = _("Latest status per year of the annual report")
    rows = [
        Row(
            label(key),
            _status_cells(per_key[key], links, **{param: key}),
            url=links.f(**{param: key}),
            total_url=links.f(**{param: key}),
        )
        for key in keys
    ]
    return Chart(id=chart_id, title=title, row_heading=heading, series=_status_series(), rows=rows)


def _open_by_year_chart(figures, scope_ids, links, today: datetime.date) -> Chart:
    by_year = figures.summed("open_by_year", scope_ids)
    rows = [
        Row(
            str(year),
            [Cell(by_year[year], links.f(year=year, completion="open"))],
            extra=[(str(today.year - year), "")],
        )
        for year in sorted(by_year)
    ]
    return Chart(
        id="open-age",
        title=_("Unfinished follow-ups by year of the annual report"),
        row_heading=_("Year"),
        series=[Series("open", _("Unfinished"))],
        rows=rows,
        extra_headings=[_("Age in years")],
        note=_("unfinished: no status says done, ongoing practice or not carried out"),
    )


def _age_by_department_chart(figures, units, links, today: datetime.date) -> Chart:
    rows = []
    for unit in units:
        by_year = figures.summed("open_by_year", unit.ids)
        completion = figures.summed("completion_months", unit.ids)
        open_count = sum(by_year.values())
        if not open_count and not completion:
            continue
        ages = {today.year - year: n for year, n in by_year.items()}
        median_age = stats.median_from_histogram(ages)
        median_done = stats.median_from_histogram(completion)
        rows.append(
            Row(
                unit.label,
                [Cell(open_count, links.f(**unit.params(), completion="open"))],
                extra=[
                    ("–" if median_age is None else str(median_age), ""),
                    (
                        "–" if median_done is None else str(median_done),
                        links.f(**unit.params(), completion="finished"),
                    ),
                ],
            )
        )
    return Chart(
        id="age-department",
        title=_("Unfinished follow-ups and time to completion per department"),
        row_heading=_("Department"),
        series=[Series("open", _("Unfinished"))],
        rows=rows,
        extra_headings=[
            _("Median age of unfinished (years)"),
            _("Median time to completion (months)"),
        ],
    )


def _recurring_themes_chart(figures, scope_ids, theme_names, links) -> Chart:
    if scope_ids is None:
        pairs = figures.all["theme_years"]
    else:
        pairs = set().union(*(figures.theme_years.get(d, set()) for d in scope_ids))
    years: dict[int, set[int]] = {}
    for theme, year in pairs:
        years.setdefault(theme, set()).add(year)
    recurring = sorted(
        ((t, ys) for t, ys in years.items() if len(ys) >= 2),
        key=lambda item: (-len(item[1]), danish_key(theme_names.get(item[0], ""))),
    )
    # The number of years is not a count of list items, so it has no link; each year links
    # to the theme's recommendations of that year, the theme to all of them.
    rows = [
        Row(
            theme_names.get(theme, "?"),
            [Cell(len(ys))],
            url=links.r(theme=theme),
            extra=[[(str(y), links.r(theme=theme, year=y)) for y in sorted(ys)]],
        )
        for theme, ys in recurring
    ]
    return Chart(
        id="recurring-themes",
        title=_("Themes that recur across years"),
        row_heading=_("Theme"),
        series=[Series("years", _("Years with recommendations"))],
        rows=rows,
        extra_headings=[_("Years")],
    )


def _slippage_chart(figures, units, links) -> Chart:
    rows = []
    for unit in units:
        s = figures.summed("slippage", unit.ids)
        if not s.get("with_date"):
            continue
        share = round(100 * s["moved"] / s["with_date"])
        rows.append(
            Row(
                unit.label,
                [Cell(s["moved"], links.f(**unit.params(), moved="true"))],
                extra=[
                    (str(s["with_date"]), ""),
                    (f"{share} %", ""),
                    (str(s["changes"]), ""),
                ],
            )
        )
    return Chart(
        id="slippage",
        title=_("Deadline slippage: follow-ups whose target date moved"),
        row_heading=_("Department"),
        series=[Series("moved", _("Target date moved"))],
        rows=rows,
        extra_headings=[_("With a target date"), _("Share moved"), _("Date changes")],
    )
