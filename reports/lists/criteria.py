"""The follow-up criteria both lists share, said on follow-ups or on the progress read model
(on the recommendation list they mean: has a visible follow-up matching all of them)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from django.db import connections

from core import queries
from departments.models import descendant_ids
from followups.models import FollowUpProgressQuerySet, FollowUpQuerySet

# A list's cleaned form data.
Data = Mapping[str, Any]

# Either queryset: they share the names of the criteria's methods (progress_criteria).
FollowUpsOrProgress = TypeVar("FollowUpsOrProgress", FollowUpQuerySet, FollowUpProgressQuerySet)

FOLLOWUP_CRITERIA = (
    "department",
    "status",
    "state",
    "completion",
    "overdue",
    "written",
    "moved",
)

# The follow-up criteria the progress read model answers by itself (progress_criteria).
PROGRESS_CRITERIA = {"status", "completion", "overdue"}

# A follow-up criterion that PostgreSQL expects at most this many follow-ups to meet is
# resolved to their recommendations first (see few_recommendation_ids).
FEW_FOLLOWUPS = 5_000


def has_followup_criteria(data: Data) -> bool:
    return any(data.get(name) for name in FOLLOWUP_CRITERIA)


def on_read_model(data: Data) -> bool:
    """Whether the follow-up criteria asked for are a status, "finished or not" and/or
    overdue (and perhaps a department) only: the progress read model answers those by
    itself."""
    asked = {name for name in FOLLOWUP_CRITERIA if data.get(name)}
    return bool(asked & PROGRESS_CRITERIA) and asked <= PROGRESS_CRITERIA | {"department"}


def filtered_departments(
    data: Data, children: Mapping[int | None, Sequence[int]]
) -> set[int] | None:
    """The departments a department filter asks for: the one chosen and its sub-departments
    (or only it); None without a department filter."""
    if not data.get("department"):
        return None
    root = int(data["department"])
    return {root} if data.get("only_this") else descendant_ids({root}, children)


def apply_followup_criteria(
    queryset: FollowUpQuerySet,
    data: Data,
    today: datetime.date | None = None,
    *,
    published_only: bool = False,
    plan_reports: list[int] | None = None,
    overdue_on_progress: bool = False,
) -> FollowUpQuerySet:
    """Narrow a FollowUp queryset by the follow-up criteria in cleaned form data, except the
    department (BaseListFilter.visible_followups says it with the access rule).

    `published_only`: statuses count only from published rounds (read-only roles).
    `plan_reports`: for read-only roles, the reports whose action plan is published.
    `overdue_on_progress`: overdue is said on the read model's copy of the target date
    (see BaseListFilter.overdue_on_progress)."""
    queryset = progress_criteria(queryset, data, published_only=published_only)
    if data.get("status") and plan_reports is not None:
        # Read-only roles see published plans' follow-ups only (visible_to): said again on
        # the read model's copy of the report, as a list of ids, the (status, report,
        # recommendation) index skips the rest (the newest report's, without a status).
        queryset = queryset.filter(progress__report_id__in=plan_reports)
    if data.get("state"):
        queryset = queryset.filter(state__in=data["state"])
    if data.get("overdue"):
        queryset = queryset.overdue(
            today, published_only=published_only, on_progress=overdue_on_progress
        )
    if data.get("written"):
        queryset = queryset.written()
    if data.get("moved"):
        queryset = queryset.date_moved()
    return queryset


def progress_criteria(
    queryset: FollowUpsOrProgress, data: Data, *, published_only: bool = False
) -> FollowUpsOrProgress:
    """Narrow a FollowUp or FollowUpProgress queryset (their querysets share the method
    names) by the status and completion in cleaned form data."""
    if data.get("status"):
        queryset = queryset.with_latest_status_in([data["status"]], published_only=published_only)
    if data.get("completion") == "open":
        queryset = queryset.unfinished(published_only=published_only)
    elif data.get("completion") == "finished":
        queryset = queryset.finished(published_only=published_only)
    return queryset


def few_recommendation_ids(
    criteria: FollowUpQuerySet | FollowUpProgressQuerySet,
) -> set[int] | None:
    """The recommendations of the follow-ups meeting `criteria` when they are few, else None.

    The recommendation list otherwise tests each recommendation, in its order, for a
    matching follow-up until a page is full, and its count does so again: with a rare
    criterion (overdue in one department) that tests most of 120,000 recommendations
    (150-210 ms). Few matching follow-ups are found faster from their own side (an index on
    the department, say). On PostgreSQL's estimate (one EXPLAIN); at most FEW_FOLLOWUPS + 1
    rows are read, and None is returned if there are more after all.
    """
    if connections[criteria.db].vendor != "postgresql":
        return None
    if queries.estimated_rows(criteria) > FEW_FOLLOWUPS:
        return None
    ids = list(criteria.order_by().values_list("recommendation_id", flat=True)[: FEW_FOLLOWUPS + 1])
    return set(ids) if len(ids) <= FEW_FOLLOWUPS else None
