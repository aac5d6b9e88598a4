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
import functools
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Max, Q, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django_tasks import task
from simple_history.utils import get_history_model_for_model

from departments.models import Department
from followups.models import (
    FollowUp,
    FollowUpRound,
    StatusUpdate,
    TargetDateChange,
)
from recommendations.models import AnnualReport, Recommendation, RecommendationDepartment, Theme

# The newest figures are kept this long (and replaced by newer ones): after a quiet week
# the first request still gets figures at once while the worker computes new ones.
KEEP_SECONDS = 7 * 24 * 60 * 60
# Figures replaced by newer ones stay this long for requests that just read their key.
SUPERSEDED_SECONDS = 5 * 60
# A refresh that has not arrived after this long (a failed task) is queued again.
QUEUED_SECONDS = 5 * 60
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
    sql, params = _data_version_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = dict(cursor.fetchall())
    return "-".join(str(found.get(i) or 0) for i in range(len(TRACKED)))


@functools.cache
def _data_version_sql(vendor: str) -> tuple[str, tuple]:
    """The ORM's SQL for data_version, compiled once (compiling the nine-part union takes
    longer than running it: bench/FINDINGS.md, "data_version")."""
    newest = [
        get_history_model_for_model(model)
        .objects.annotate(table=Value(i))
        .values("table")
        .annotate(newest=Max("history_id"))
        .order_by()
        for i, model in enumerate(TRACKED)
    ]
    union = newest[0].union(*newest[1:], all=True).values_list("table", "newest")
    return union.query.sql_with_params()


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
    all: dict[str, Any] = field(default_factory=dict)
    computed_at: datetime.datetime = field(default_factory=timezone.now)

    def summed(self, name: str, ids: set[int] | None) -> dict:
        """Figure `name` summed over departments `ids` (None: all departments)."""
        if ids is None:
            return self.all[name]
        per_department = getattr(self, name)
        return sum_dicts(per_department[d] for d in ids if d in per_department)


def _months_between(start: datetime.date, end: datetime.date) -> int:
    return max(0, (end.year - start.year) * 12 + end.month - start.month)


def _rows():
    """Status counts and completion/slippage rows: GROUP BY queries over the follow-ups,
    with the latest status and the completion date from the progress read model
    (FollowUpProgress), so no query looks into the status updates row by row."""
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
    # Open items by year and time to completion in one query: the completion month is
    # empty exactly for unfinished follow-ups (FollowUpQuerySet.unfinished()).
    moved = Q(original_target_date__isnull=False) & ~Q(target_date=F("original_target_date"))
    rows = (
        followups.values(
            "department_id",
            "recommendation__report__year",
            "recommendation__report__published_on",
            done_month=TruncMonth("progress__finished_on"),
        )
        .annotate(
            n=Count("pk"),
            # Deadline slippage rides along in the same query (counts add up across groups).
            with_date=Count("pk", filter=Q(target_date__isnull=False)),
            moved=Count("pk", filter=moved),
        )
        .order_by()
    )
    changes = dict(
        TargetDateChange.objects.values_list("followup__department_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return status_rows, list(rows), changes


def compute_figures() -> Figures:
    """A fixed number of GROUP BY queries over all follow-ups, and the tree."""
    figures = Figures()
    followups = FollowUp.objects.all()
    figures.departments = list(Department.objects.values_list("pk", "name", "parent_id"))
    status_rows, done_rows, changes = _rows()
    for dept, theme, theme_name, year, status, n in status_rows:
        status = status or NO_STATUS
        if year is None:
            figures.theme_names[theme] = theme_name
            figures.status_by_theme.setdefault(dept, {})[(theme, status)] = n
        else:
            figures.status_by_year.setdefault(dept, {})[(year, status)] = n
    for row in done_rows:
        dept = row["department_id"]
        slip = figures.slippage.setdefault(
            dept, {"with_date": 0, "moved": 0, "changes": changes.get(dept, 0)}
        )
        for name in ("with_date", "moved"):
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
    """Per exact department: required, written, submitted, approved, overdue and, in a
    status round, reported (one query)."""
    rows = FollowUp.objects.in_round(round).round_progress_by_department(today, round)
    return {
        row["department_id"]: {k: v for k, v in row.items() if k != "department_id"} for row in rows
    }


# The newest value of each kind this process has read, by prefix: (cache key, value). Saves
# unpickling ~100,000 dict entries of figures from the cache on every request. Same key,
# same data, so it is never stale.
_in_process: dict[str, tuple[str, tuple]] = {}
# When this process queued the refresh of a key (time.monotonic()).
_queued: dict[str, float] = {}
# Cache keys start with "dashboard:v3": a cached value is (value, computed_at), and a
# database cache outlives a deployment.
FIGURES = "dashboard:v3:figures"


def forget_in_process() -> None:
    """Drop what this process holds (as a new web process starts; tests and benchmarks)."""
    _in_process.clear()
    _queued.clear()


def _key(prefix: str, version: str, today: datetime.date) -> str:
    return f"{prefix}:{version}:{today.isoformat()}"


def _progress_prefix(round_id: int) -> str:
    return f"dashboard:v3:progress:{round_id}"


def _store(prefix: str, key: str, value, computed_at: datetime.datetime) -> None:
    """Keep `value` as the newest of its kind; the one it replaces expires soon after."""
    pointer = f"{prefix}:latest"
    replaced = cache.get(pointer)
    cache.set(key, (value, computed_at), KEEP_SECONDS)
    cache.set(pointer, key, KEEP_SECONDS)
    if replaced is not None and replaced != key:
        cache.touch(replaced, SUPERSEDED_SECONDS)


def _read(prefix: str, key: str) -> tuple | None:
    """(value, computed_at) stored under `key`, from this process if it has read it."""
    held = _in_process.get(prefix)
    if held is not None and held[0] == key:
        return held[1]
    stored = cache.get(key)
    if stored is not None:
        _in_process[prefix] = (key, stored)
    return stored


def _queue_once(key: str, enqueue, **kwargs):
    """`enqueue(**kwargs)` unless this process queued the refresh of `key` lately; returns
    the task result, or None. Other web processes may queue the same refresh: the task
    then finds the value cached and does nothing (see refresh_dashboard_figures)."""
    now = time.monotonic()
    queued = _queued.get(key)
    if queued is not None and now - queued < QUEUED_SECONDS:
        return None
    _queued[key] = now
    return enqueue(**kwargs)


def _served_while_refreshing(prefix: str, version: str, today: datetime.date, compute, enqueue):
    """The value cached for `version` and `today`, or, while it is being computed in the
    background, the newest earlier value with the time it was computed.

    Returns (value, None) when the value is current, (value, computed_at) when it is an
    earlier one. Computing takes from a tenth of a second to seconds at national scale and
    every write changes the version, so requests after a change get the previous value at
    once and `enqueue(version=, today=)` queues a task to compute the new one (with the
    immediate task backend of the demo and the tests, it runs at once and its value is
    returned). Only when there is no earlier value at all is it computed in the request,
    by `compute`. At most three cache reads (one each for the value and the pointer to the
    newest, together, and for the earlier value) and one queued task.
    """
    key = _key(prefix, version, today)
    held = _in_process.get(prefix)
    if held is not None and held[0] == key:
        return held[1][0], None
    pointer = f"{prefix}:latest"
    found = cache.get_many([key, pointer])
    if key in found:
        _in_process[prefix] = (key, found[key])
        return found[key][0], None
    latest = found.get(pointer)
    if latest is not None:
        result = _queue_once(key, enqueue, version=version, today=today.isoformat())
        if result is not None and result.is_finished:
            stored = _read(prefix, key)  # the immediate backend has computed it
            if stored is not None:
                return stored[0], None
        earlier = _read(prefix, latest)
        if earlier is not None:
            return earlier[0], earlier[1]
    stored = (compute(), timezone.now())
    _store(prefix, key, *stored)
    _in_process[prefix] = (key, stored)
    return stored[0], None


@task()
def refresh_dashboard_figures(version: str, today: str) -> str:
    """Compute the figures in the background (the tasks worker).

    `version` is the data version that asked for them; they are computed and stored for the
    data as it is when the task runs, so a burst of changes gives one computation, and
    refreshes queued for earlier versions find the figures cached."""
    key = _key(FIGURES, data_version(), datetime.date.fromisoformat(today))
    if cache.get(key) is None:
        figures = compute_figures()
        _store(FIGURES, key, figures, figures.computed_at)
    return key


def cached_figures(version: str, today: datetime.date) -> tuple[Figures, datetime.datetime | None]:
    """The figures for `version` (or, while they are computed, the newest earlier ones with
    their time; see _served_while_refreshing)."""
    return _served_while_refreshing(
        FIGURES, version, today, compute_figures, refresh_dashboard_figures.enqueue
    )


@task()
def refresh_round_progress(round_id: int, version: str, today: str) -> str:
    """Compute an open round's progress in the background, for the data as it is when the
    task runs (as refresh_dashboard_figures)."""
    day = datetime.date.fromisoformat(today)
    prefix = _progress_prefix(round_id)
    key = _key(prefix, data_version(), day)
    if cache.get(key) is None:
        round = FollowUpRound.objects.filter(pk=round_id).first()
        if round is not None:
            _store(prefix, key, round_progress(round, day), timezone.now())
    return key


def cached_round_progress(
    round: FollowUpRound, version: str, today: datetime.date
) -> tuple[dict[int, dict[str, int]], datetime.datetime | None]:
    """Round progress for `version` (or, while it is computed, the newest earlier progress
    with its time; see _served_while_refreshing)."""
    return _served_while_refreshing(
        _progress_prefix(round.pk),
        version,
        today,
        lambda: round_progress(round, today),
        functools.partial(refresh_round_progress.enqueue, round_id=round.pk),
    )


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
