"""The start page: what each role needs first; the error pages that need more than a template."""

import sys
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import defaults

from config.middleware import database_unavailable, database_unavailable_response
from departments.access import access_for
from followups.models import FollowUp, FollowUpRound, has_status_in
from recommendations.models import AnnualReport, Recommendation


def _my_tasks(user, rounds):
    """Per open round: the user's department tasks and how far they are, the ones assigned
    to the user first (`is_mine`)."""
    result = []
    for round in rounds:
        tasks = (
            FollowUp.objects.editable_by(user)
            .for_report(round.report)
            .select_related("recommendation__theme", "department", "assignee")
            .order_by("recommendation__number", "department__name")
        )
        if round.kind == FollowUpRound.Kind.STATUS:
            tasks = tasks.filter(state=FollowUp.State.APPROVED).annotate(done=has_status_in(round))
        overdue = set(tasks.overdue().values_list("pk", flat=True))
        rows: list[Any] = list(tasks)
        for task in rows:
            # Target date passed and not finished (a draft too: its action is late already).
            task.is_overdue = task.pk in overdue
            task.is_mine = task.assignee_id == user.pk
        rows.sort(key=lambda task: not task.is_mine)  # stable: the order above within each
        if not rows:
            continue
        if round.kind == FollowUpRound.Kind.PLAN:
            done = sum(1 for t in rows if t.state in ("submitted", "approved"))
        else:
            done = sum(1 for t in rows if t.done)
        result.append({"round": round, "tasks": rows, "done": done, "total": len(rows)})
    return result


# The start page lists this many follow-ups awaiting placement (and says how many there are).
UNPLACED_SHOWN = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    access = access_for(user)
    rounds = list(
        FollowUpRound.objects.visible_to(user).select_related("report").order_by("deadline")
    )
    open_rounds = [r for r in rounds if r.is_open]
    context = {
        "access": access,
        "open_rounds": open_rounds,
        "reports": AnnualReport.objects.latest_first(),
    }
    if access.member_of:
        context["my_rounds"] = _my_tasks(user, open_rounds)
    if access.manager_of:
        context["awaiting"] = list(
            FollowUp.objects.awaiting_approval()
            .for_department(access.manager_of)
            .select_related("recommendation__report", "recommendation__theme", "department")
        )
    if access.manager_of or access.is_secretariat:
        context["round_progress"] = [
            {
                "round": r,
                "progress": FollowUp.objects.visible_to(user)
                .for_report(r.report)
                .answers_by_department(r),
            }
            for r in open_rounds
        ]
    if access.is_council or access.is_read_only:
        context["published_rounds"] = [r for r in rounds if r.state == "published"]
    if access.is_secretariat:
        # Imported action lines no department has been given yet ("Til placering").
        unplaced = FollowUp.objects.awaiting_placement().select_related(
            "recommendation__report", "recommendation__theme"
        )
        context["unplaced"] = list(
            unplaced.order_by("-recommendation__report__year", "recommendation__number", "pk")[
                :UNPLACED_SHOWN
            ]
        )
        context["unplaced_count"] = unplaced.count()
    if access.is_ombudsman:
        context["unassessed"] = list(
            Recommendation.objects.filter(assessment="")
            .select_related("report", "theme")
            .order_by("-report__year", "number")[:20]
        )
    return render(request, "home.html", context)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it for an exception raised anywhere, in a view or in any
    middleware layer; a database that cannot be reached answers 503, not 500."""
    exc = sys.exc_info()[1]
    if database_unavailable(exc):
        return database_unavailable_response(request, exc)
    return defaults.server_error(request)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: a view that turns a database error into Http404 (`raise Http404 from
    exc`) still answers 503 when the database is down."""
    cause = exception.__cause__ or exception.__context__
    if database_unavailable(cause):
        return database_unavailable_response(request, cause)
    return defaults.page_not_found(request, exception)
