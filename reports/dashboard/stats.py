"""The dashboard's figures: aggregated in SQL per department, cached, rolled up in Python.

Every figure is computed once for all departments (a fixed number of GROUP BY queries) and
cached under a key made of the data's version: the highest history id of every tracked table
the dashboard reads (one cheap query on their primary keys; every write in this project goes
through simple-history, also deletions) and today's date (overdue depends on it). Any change
therefore gives a new key; stale entries simply expire. Per request, the rows of the user's
departments are summed up their subtrees in Python.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth

from departments.models import Department
from followups.models import (
    FINISHED_STATUSES,
    FollowUp,
    FollowUpRound,
    StatusUpdate,
    TargetDateChange,
)
from recommendations.models import AnnualReport, Recommendation, RecommendationDepartment, Theme

CACHE_SECONDS = 60 * 60
TRACKED = [
    Department,
    Theme,
    AnnualReport,
    Recommendation,
    RecommendationDepartment,
    FollowUpRound,
    FollowUp,
    StatusUpdate,
    TargetDateChange,
]
NO_STATUS = "none"


def data_version() -> str:
    """One query: the newest history id of every table the dashboard reads."""
    parts = ", ".join(
        f"(SELECT MAX(history_id) FROM"  # noqa: S608 (table names come from the models)
        f" {connection.ops.quote_name(m.history.model._meta.db_table)})"
        for m in TRACKED
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {parts}")
        return "-".join(str(v or 0) for v in cursor.fetchone())


@dataclass
class Figures:
    """Per exact department id (follow-ups belong to exactly one department)."""

    status_by_theme: dict[int, dict[tuple[int, str], int]] = field(default_factory=dict)
    status_by_year: dict[int, dict[tuple[int, str], int]] = field(default_factory=dict)
    open_by_year: dict[int, dict[int, int]] = field(default_factory=dict)
    completion_months: dict[int, dict[int, int]] = field(default_factory=dict)
    slippage: dict[int, dict[str, int]] = field(default_factory=dict)
    theme_years: dict[int, set[tuple[int, int]]] = field(default_factory=dict)
    departments: list[tuple[int, str, int | None]] = field(default_factory=list)
    theme_names: dict[int, str] = field(default_factory=dict)
    # The same summed over all departments (the secretariat's default view).
    all: dict[str, dict] = field(default_factory=dict)

    def summed(self, name: str, ids: set[int] | None) -> dict:
        """Figure `name` summed over departments `ids` (None: all departments)."""
        if ids is None:
            return self.all[name]
        per_department = getattr(self, name)
        return sum_dicts(per_department[d] for d in ids if d in per_department)


def _months_between(start: datetime.date, end: datetime.date) -> int:
    return max(0, (end.year - start.year) * 12 + end.month - start.month)


def _rows_orm():
    """Status counts and completion/slippage rows through the ORM (any database)."""
    followups = FollowUp.objects.all()
    status_rows = [
        (
            r["department_id"],
            r["recommendation__theme_id"],
            r["recommendation__theme__name"],
            None,
            r["latest_status"],
            r["n"],
        )
        for r in followups.latest_status_counts(
            "department_id", "recommendation__theme_id", "recommendation__theme__name"
        )
    ]
    status_rows += [
        (
            r["department_id"],
            None,
            None,
            r["recommendation__report__year"],
            r["latest_status"],
            r["n"],
        )
        for r in followups.latest_status_counts("department_id", "recommendation__report__year")
    ]
    # Open items by year and time to completion, in one query: the first finished status's
    # month is empty exactly for unfinished follow-ups (FollowUpQuerySet.unfinished()).
    first_done = (
        StatusUpdate.objects.filter(followup=OuterRef("pk"), status__in=FINISHED_STATUSES)
        .order_by("reported_on")
        .values("reported_on")[:1]
    )
    changes = (
        TargetDateChange.objects.filter(followup=OuterRef("pk"))
        .order_by()
        .values("followup")
        .annotate(n=Count("pk"))
        .values("n")
    )
    moved = Q(original_target_date__isnull=False) & ~Q(target_date=F("original_target_date"))
    rows = (
        followups.annotate(
            done_month=TruncMonth(Subquery(first_done)),
            date_changes_n=Coalesce(Subquery(changes), 0),
        )
        .values(
            "department_id",
            "recommendation__report__year",
            "recommendation__report__published_on",
            "done_month",
        )
        .annotate(
            n=Count("pk"),
            # Deadline slippage rides along in the same query (counts add up across groups).
            with_date=Count("pk", filter=Q(target_date__isnull=False)),
            moved=Count("pk", filter=moved),
            changes=Sum("date_changes_n"),
        )
        .order_by()
    )
    return status_rows, list(rows)


def _rows_postgres():
    """The same rows in two PostgreSQL queries that read each big table once.

    The ORM's correlated subqueries (latest status, first finished status) run once per
    follow-up: ~30 s at 600,000 follow-ups. DISTINCT ON and GROUP BY over the status table,
    and GROUPING SETS for the two status breakdowns, take a few seconds.
    """
    t = {m: connection.ops.quote_name(m._meta.db_table) for m in TRACKED}
    status_sql = f"""
        WITH latest AS (
            SELECT DISTINCT ON (su.followup_id) su.followup_id, su.status
            FROM {t[StatusUpdate]} su JOIN {t[FollowUpRound]} r ON r.id = su.round_id
            ORDER BY su.followup_id, r.deadline DESC, su.id DESC
        )
        SELECT f.department_id, rec.theme_id, th.name, ar.year, l.status, COUNT(*)
        FROM {t[FollowUp]} f
        JOIN {t[Recommendation]} rec ON rec.id = f.recommendation_id
        JOIN {t[Theme]} th ON th.id = rec.theme_id
        JOIN {t[AnnualReport]} ar ON ar.id = rec.report_id
        LEFT JOIN latest l ON l.followup_id = f.id
        GROUP BY GROUPING SETS (
            (f.department_id, rec.theme_id, th.name, l.status),
            (f.department_id, ar.year, l.status)
        )
    """  # noqa: S608 (table names come from the models)
    done_sql = f"""
        WITH first_done AS (
            SELECT followup_id, MIN(reported_on) AS done_on FROM {t[StatusUpdate]}
            WHERE status = ANY(%s) GROUP BY followup_id
        ), changes AS (
            SELECT followup_id, COUNT(*) AS n FROM {t[TargetDateChange]} GROUP BY followup_id
        )
        SELECT f.department_id, ar.year, ar.published_on,
               date_trunc('month', fd.done_on)::date AS done_month,
               COUNT(*) AS n,
               COUNT(*) FILTER (WHERE f.target_date IS NOT NULL) AS with_date,
               COUNT(*) FILTER (WHERE f.original_target_date IS NOT NULL
                                AND f.target_date IS DISTINCT FROM f.original_target_date)
                   AS moved,
               COALESCE(SUM(c.n), 0) AS changes
        FROM {t[FollowUp]} f
        JOIN {t[Recommendation]} rec ON rec.id = f.recommendation_id
        JOIN {t[AnnualReport]} ar ON ar.id = rec.report_id
        LEFT JOIN first_done fd ON fd.followup_id = f.id
        LEFT JOIN changes c ON c.followup_id = f.id
        GROUP BY 1, 2, 3, 4
    """  # noqa: S608 (table names come from the models)
    keys = [
        "department_id",
        "recommendation__report__year",
        "recommendation__report__published_on",
        "done_month",
        "n",
        "with_date",
        "moved",
        "changes",
    ]
    with connection.cursor() as cursor:
        cursor.execute(status_sql)
        status_rows = cursor.fetchall()
        cursor.execute(done_sql, [[str(s) for s in FINISHED_STATUSES]])
        done_rows = [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]
    return status_rows, done_rows


def compute_figures() -> Figures:
    """GROUP BY queries over all follow-ups (4 on PostgreSQL, 5 elsewhere) and the tree."""
    figures = Figures()
    followups = FollowUp.objects.all()
    figures.departments = list(Department.objects.values_list("pk", "name", "parent_id"))
    if connection.vendor == "postgresql":
        status_rows, done_rows = _rows_postgres()
    else:
        status_rows, done_rows = _rows_orm()
    for dept, theme, theme_name, year, status, n in status_rows:
        status = status or NO_STATUS
        if year is None:
            figures.theme_names[theme] = theme_name
            figures.status_by_theme.setdefault(dept, {})[(theme, status)] = n
        else:
            figures.status_by_year.setdefault(dept, {})[(year, status)] = n
    for row in done_rows:
        dept = row["department_id"]
        slip = figures.slippage.setdefault(dept, {"with_date": 0, "moved": 0, "changes": 0})
        for name in ("with_date", "moved", "changes"):
            slip[name] += row[name] or 0
        if row["done_month"] is None:
            year = row["recommendation__report__year"]
            by_year = figures.open_by_year.setdefault(dept, {})
            by_year[year] = by_year.get(year, 0) + row["n"]
        else:
            start = row["recommendation__report__published_on"] or datetime.date(
                row["recommendation__report__year"] + 1, 1, 1
            )
            months = _months_between(start, row["done_month"])
            hist = figures.completion_months.setdefault(dept, {})
            hist[months] = hist.get(months, 0) + row["n"]
    for dept, theme, year in (
        followups.values_list(
            "department_id", "recommendation__theme_id", "recommendation__report__year"
        )
        .distinct()
        .order_by()
    ):
        figures.theme_years.setdefault(dept, set()).add((theme, year))
    for name in ("status_by_theme", "status_by_year", "open_by_year", "completion_months"):
        figures.all[name] = sum_dicts(getattr(figures, name).values())
    figures.all["slippage"] = sum_dicts(figures.slippage.values())
    figures.all["theme_years"] = set().union(*figures.theme_years.values())
    return figures


def round_progress(round: FollowUpRound, today: datetime.date) -> dict[int, dict[str, int]]:
    """Per exact department: required, written, submitted, approved, overdue (one query)."""
    return {
        row["department_id"]: {k: v for k, v in row.items() if k != "department_id"}
        for row in FollowUp.objects.in_round(round).round_progress_by_department(today)
    }


# The newest figures this process has seen, by cache key: saves unpickling ~100,000 dict
# entries from the cache on every request. Same key, same data, so it is never stale.
_in_process: dict[str, Figures] = {}


def cached_figures(version: str, today: datetime.date) -> Figures:
    key = f"dashboard:figures:{version}:{today.isoformat()}"
    figures = _in_process.get(key)
    if figures is not None:
        return figures
    figures = cache.get(key)
    if figures is None:
        figures = compute_figures()
        cache.set(key, figures, CACHE_SECONDS)
    _in_process.clear()
    _in_process[key] = figures
    return figures


def cached_round_progress(
    round: FollowUpRound, version: str, today: datetime.date
) -> dict[int, dict[str, int]]:
    key = f"dashboard:progress:{round.pk}:{version}:{today.isoformat()}"
    progress = cache.get(key)
    if progress is None:
        progress = round_progress(round, today)
        cache.set(key, progress, CACHE_SECONDS)
    return progress


def sum_dicts(dicts) -> dict:
    total: dict = defaultdict(int)
    for d in dicts:
        for k, v in d.items():
            total[k] += v
    return dict(total)


def median_from_histogram(hist: dict[int, int]) -> int | None:
    n = sum(hist.values())
    if not n:
        return None
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen * 2 >= n:
            return value
    return None  # pragma: no cover
