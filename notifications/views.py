"""The profile page of e-mail choices, and the reminders' section of the round page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ServiceError
from core.pageparts import PagePart
from core.viewhelpers import AuthenticatedHttpRequest, call_service
from departments.access import access_for
from followups.models import FollowUpRound
from notifications import services
from notifications.forms import PreferencesForm, ReminderPlanForm
from notifications.models import Kind, RoundReminderPlan

MSG_PREFERENCES_SAVED = _("Your e-mail choices are saved.")
MSG_PLAN_SAVED = _("The reminder plan is saved.")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PreferencesForm(
        request.POST or None,
        initial={"enabled_kinds": sorted(services.enabled_kinds(request.user))},
    )
    if request.method == "POST":
        if form.is_valid():
            services.preferences_set(
                user=request.user, enabled_kinds=form.cleaned_data["enabled_kinds"]
            )
            messages.success(request, MSG_PREFERENCES_SAVED)
            return redirect("notifications:preferences")
        return render(request, "notifications/preferences.html", {"form": form}, status=422)
    return render(request, "notifications/preferences.html", {"form": form})


def _secretariat_round(request: HttpRequest, pk: int) -> FollowUpRound:
    if not access_for(request.user).is_secretariat:
        raise PermissionDenied
    return get_object_or_404(FollowUpRound.objects.visible_to(request.user), pk=pk)


@login_required
@require_POST
def round_remind(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """ "Send reminder now": the departments the round waits for, at most once a day."""
    round = _secretariat_round(request, pk)
    try:
        people = services.round_remind_now(round=round, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(round)
    if people:
        messages.success(
            request,
            ngettext(
                "A reminder is on its way to %(count)d person.",
                "A reminder is on its way to %(count)d people.",
                people,
            )
            % {"count": people},
        )
    else:
        messages.info(request, _("Nobody new to remind: today's reminders are already sent."))
    return redirect(round)


@login_required
@require_POST
def round_plan(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The secretariat changes when the round's reminders go out."""
    round = _secretariat_round(request, pk)
    form = ReminderPlanForm.of(services.reminder_plan_for(round), request.POST)
    if form.is_valid():
        saved = call_service(
            form,
            services.reminder_plan_update,
            round=round,
            actor=request.user,
            **form.service_kwargs(),
        )
        if saved is not None:
            messages.success(request, MSG_PLAN_SAVED)
            return redirect(round)
    return render(
        request, "notifications/round_plan.html", {"round": round, "form": form}, status=422
    )


def round_section(request: HttpRequest, round: FollowUpRound) -> PagePart | None:
    """The round page's reminders: for the secretariat only."""
    if not access_for(request.user).is_secretariat:
        return None
    return PagePart(
        template="notifications/_round_reminders.html",
        context={
            "round": round,
            "rows": services.reminder_record(round),
            # Read only: a GET writes nothing (the plan is made when it is first needed).
            "plan_form": ReminderPlanForm.of(
                RoundReminderPlan.objects.filter(round=round).first()
                or RoundReminderPlan(round=round)
            ),
            "kinds": dict(Kind.choices),
        },
    )
