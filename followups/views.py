"""Pages for writing, approving and following up. Thin: forms in, services do the work."""

from functools import partial
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import F, Model, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from core import pageparts
from core.errors import ConflictError, ServiceError
from core.text import danish_key
from core.viewhelpers import call_service, history_page, render_conflict, render_partial_or_page
from departments.access import access_for
from departments.models import Department, descendant_ids
from followups import services
from followups.forms import (
    AssignForm,
    FollowUpForm,
    MoveDateForm,
    ReturnForm,
    RoundEditForm,
    RoundForm,
    StatusForm,
)
from followups.history import followup_history_entries, restore_message
from followups.models import ActionStatus, FollowUp, FollowUpRound, StatusUpdate
from followups.permissions import FollowUpPermissions
from recommendations.models import Recommendation


def _followup_or_404(request: HttpRequest, pk: int) -> FollowUp:
    """Another department's follow-up does not exist for this user (404)."""
    return get_object_or_404(
        FollowUp.objects.visible_to(request.user).select_related(
            "recommendation__report", "recommendation__theme", "department", "assignee"
        ),
        pk=pk,
    )


def _detail_context(request: HttpRequest, followup: FollowUp) -> dict:
    rounds = list(
        FollowUpRound.objects.visible_to(request.user)
        .filter(report_id=followup.recommendation.report_id)
        .order_by("deadline")
    )
    open_plan = next((r for r in rounds if r.is_open and r.kind == FollowUpRound.Kind.PLAN), None)
    open_status = next(
        (r for r in rounds if r.is_open and r.kind == FollowUpRound.Kind.STATUS), None
    )
    visible_round_ids = {r.pk for r in rounds}
    statuses = [
        s
        for s in followup.status_updates.select_related("round", "author").order_by(
            "round__deadline"
        )
        if s.round_id in visible_round_ids
    ]
    permissions = FollowUpPermissions.of(request.user, followup, rounds=rounds)
    returned = None
    if followup.return_comment:
        # Who returned it and when: the newest version in the returned state.
        returned = (
            followup.history.filter(state=FollowUp.State.RETURNED)
            .select_related("history_user")
            .first()
        )
    current_status = next(
        (s for s in statuses if open_status and s.round_id == open_status.pk), None
    )
    return {
        "followup": followup,
        "recommendation": followup.recommendation,
        "statuses": statuses,
        "date_changes": followup.date_changes.select_related("changed_by"),
        "open_plan": open_plan,
        "open_status": open_status,
        "current_status": current_status,
        "permissions": permissions,
        "returned_by": returned.history_user if returned else None,
        "returned_at": returned.history_date if returned else None,
        "return_form": ReturnForm(initial={"version": followup.version}),
        "assign_form": AssignForm(
            followup=followup,
            initial={"version": followup.version, "assignee": followup.assignee_id},
        )
        if permissions.can_assign and not permissions.can_edit
        else None,
        "move_form": MoveDateForm(
            initial={"version": followup.version, "new_date": followup.target_date}
        ),
        # Sections of the apps above (comments, attachments: core.pageparts).
        "parts": pageparts.parts_for("followup", request, followup),
    }


@login_required
def followup_detail(request: HttpRequest, pk: int) -> HttpResponse:
    followup = _followup_or_404(request, pk)
    return render(request, "followups/followup_detail.html", _detail_context(request, followup))


def _key(value: Any) -> Any:
    """A field's value as the merge compares it: a related object (the assignee) by its id,
    as the history rows hold it."""
    return value.pk if isinstance(value, Model) else value


def _merge(
    followup: FollowUp, current: FollowUp, expected_version: int, mine: dict
) -> tuple[dict, tuple[str, ...]]:
    """Three-way merge of the follow-up's fields: the version the form was loaded from
    (its history row), mine and the saved one. A field only I changed takes mine, a field
    only they changed keeps theirs; a field both changed differently is a clash."""
    # Every versioned save writes one history row, so row n is version n; if the rows do not
    # line up with the versions (an unversioned save), there is no base and every field the
    # two versions differ in is a choice for the user.
    rows = list(followup.history.order_by("history_id").values(*FollowUp.ANSWER_FIELDS))
    base = rows[expected_version - 1] if len(rows) == current.version > expected_version else None
    merged, clashes = {}, []
    for name in FollowUp.ANSWER_FIELDS:
        theirs = getattr(current, name)
        if base is None:
            merged[name] = mine[name]
            if _key(mine[name]) != _key(theirs):
                clashes.append(name)
            continue
        original = base[name]
        if _key(mine[name]) == original:
            merged[name] = theirs
        elif _key(theirs) in (original, _key(mine[name])):
            merged[name] = mine[name]
        else:
            merged[name] = mine[name]
            clashes.append(name)
    return merged, tuple(clashes)


def _shown(value: Any) -> Any:
    """A value on the conflict page: a user by name."""
    if isinstance(value, User):
        return value.get_full_name() or value.get_username()
    return value


def _conflict(
    request: HttpRequest,
    followup: FollowUp,
    current: FollowUp,
    form: FollowUpForm,
    merged: dict,
    clashes: tuple[str, ...],
) -> HttpResponse:
    latest = current.history.select_related("history_user").first()
    mine = form.values()
    return render_conflict(
        request,
        title=_("The follow-up was changed while you were editing it"),
        rows=[
            (form.fields[name].label, _shown(mine[name]), _shown(getattr(current, name)))
            for name in FollowUp.ANSWER_FIELDS
        ]
        + [(_("State"), "", current.get_state_display())],
        changed_by=latest.history_user if latest else None,
        changed_at=latest.history_date if latest else None,
        back_url=followup.get_absolute_url(),
        retry_form=FollowUpForm.initial_for(current, clashes=clashes, **merged)
        if current.is_editable
        else None,
        retry_url=reverse("followups:edit", args=[followup.pk]),
        clashes=[form.fields[name].label for name in clashes],
    )


def _save_answer(request: HttpRequest, followup: FollowUp, form: FollowUpForm):
    """Save the form; after a conflict, merge per field and save what does not clash.
    Returns (the saved follow-up or None, the conflict page or None, whether it merged)."""
    changes = form.changes()
    for name in form.kept_theirs():
        changes[name] = getattr(followup, name)
    expected = form.cleaned_data["version"]
    save = partial(
        call_service, form, services.followup_update, followup=followup, actor=request.user
    )
    try:
        return save(expected_version=expected, **changes), None, False
    except ConflictError as exc:
        current: FollowUp = exc.current  # type: ignore[assignment]
        merged, clashes = _merge(followup, current, expected, form.values())
        if clashes or not current.is_editable:
            return None, _conflict(request, followup, current, form, merged, clashes), False
        # Nothing clashes: both changes are kept, on top of the saved version.
        try:
            saved = save(expected_version=current.version, **{**changes, **merged})
        except ConflictError as again:
            current = again.current  # type: ignore[assignment]
            merged, clashes = _merge(followup, current, expected, form.values())
            return None, _conflict(request, followup, current, form, merged, clashes), False
        return saved, None, True


@login_required
@require_http_methods(["GET", "POST"])
def followup_edit(request: HttpRequest, pk: int) -> HttpResponse:
    followup = _followup_or_404(request, pk)
    FollowUpPermissions.of(request.user, followup).require_editor()
    context = {"followup": followup}
    if request.method == "POST":
        form = FollowUpForm(
            request.POST,
            followup=followup,
            clashes=FollowUpForm.clashes_in(request.POST),
        )
        if form.is_valid():
            saved, conflict, merged = _save_answer(request, followup, form)
            if conflict is not None:
                return conflict
            if saved is not None:
                said = MSG_MERGED if merged else MSG_SAVED
                if getattr(request, "htmx", False):
                    return render(
                        request,
                        "followups/_followup_saved.html",
                        {**_detail_context(request, saved), "saved": said},
                    )
                messages.success(request, said)
                return redirect(saved)
        return render_partial_or_page(
            request,
            "followups/_followup_form.html",
            "followups/followup_edit.html",
            {**context, "form": form},
            status=422,
        )
    form = FollowUpForm.initial_for(followup)
    return render_partial_or_page(
        request,
        "followups/_followup_form.html",
        "followups/followup_edit.html",
        {**context, "form": form},
    )


MSG_SAVED = gettext_lazy("The follow-up is saved.")
MSG_ROUND_SAVED = gettext_lazy("The round is saved.")
MSG_MERGED = gettext_lazy(
    "Someone else changed the follow-up while you were editing it. Your changes are saved "
    "together with theirs: only the fields you changed were written."
)
MSG_DONE = {
    "followup_submit": gettext_lazy("The follow-up is submitted for approval."),
    "followup_approve": gettext_lazy("The follow-up is approved."),
    "followup_return": gettext_lazy("The follow-up is returned to the case officer."),
    "followup_move_target_date": gettext_lazy("The target date is moved."),
    "followup_assign": gettext_lazy("The follow-up is assigned."),
    "status_update_save": gettext_lazy("The status is saved."),
    "round_close": gettext_lazy("The round is closed."),
    "round_reopen": gettext_lazy("The round is open again."),
    "round_publish": gettext_lazy("The round is published."),
}


def _workflow_post(request: HttpRequest, pk: int, service, form_class=None, **extra):
    """Submit/approve/return: run the transition, then back to the follow-up."""
    followup = _followup_or_404(request, pk)
    version_raw = request.POST.get("version", "")
    # A post without the version it was made from matches none (versions start at 1): it is
    # refused as a conflict rather than applied to whatever the follow-up has become.
    expected = int(version_raw) if version_raw.isdigit() else 0
    kwargs = dict(extra)
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            context = _detail_context(request, followup)
            context["return_form"] = form
            return render(request, "followups/followup_detail.html", context, status=422)
        kwargs.update(form.changes())
    try:
        service(followup=followup, actor=request.user, expected_version=expected, **kwargs)
    except ConflictError:
        context = _detail_context(request, FollowUp.objects.get(pk=followup.pk))
        context["error"] = _(
            "The follow-up was changed by someone else meanwhile. Check it and try again."
        )
        return render(request, "followups/followup_detail.html", context, status=409)
    except ServiceError as exc:
        context = _detail_context(request, followup)
        context["error"] = exc.message
        return render(request, "followups/followup_detail.html", context, status=422)
    messages.success(request, MSG_DONE[service.__name__])
    return redirect(followup)


@login_required
@require_POST
def followup_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _workflow_post(request, pk, services.followup_submit)


@login_required
@require_POST
def followup_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _workflow_post(request, pk, services.followup_approve)


@login_required
@require_POST
def followup_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _workflow_post(request, pk, services.followup_return, ReturnForm)


def _detail_form_post(
    request: HttpRequest, followup: FollowUp, form: forms.Form, service, *, form_name: str
) -> HttpResponse:
    """A small form of the follow-up page posted to `service` with its version: the page
    again on success (and a message), the page with the form's errors (422) or the conflict
    (409) otherwise."""
    status = 422
    if form.is_valid():
        try:
            saved = call_service(
                form,
                service,
                followup=followup,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                **form.changes(),  # type: ignore[attr-defined]
            )
        except ConflictError:
            form.add_error(None, _("The follow-up was changed by someone else meanwhile."))
            saved, status = None, 409
        if saved is not None:
            messages.success(request, MSG_DONE[service.__name__])
            return redirect(saved)
    context = _detail_context(request, followup)
    context[form_name] = form
    return render(request, "followups/followup_detail.html", context, status=status)


@login_required
@require_POST
def followup_move_date(request: HttpRequest, pk: int) -> HttpResponse:
    followup = _followup_or_404(request, pk)
    form = MoveDateForm(request.POST)
    return _detail_form_post(
        request, followup, form, services.followup_move_target_date, form_name="move_form"
    )


@login_required
@require_POST
def followup_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the follow-up to a member of its department, also after approval."""
    followup = _followup_or_404(request, pk)
    FollowUpPermissions.of(request.user, followup).require_assigner()
    form = AssignForm(request.POST, followup=followup)
    return _detail_form_post(
        request, followup, form, services.followup_assign, form_name="assign_form"
    )


@login_required
@require_http_methods(["GET", "POST"])
def status_edit(request: HttpRequest, pk: int, round_pk: int) -> HttpResponse:
    followup = _followup_or_404(request, pk)
    round = get_object_or_404(
        FollowUpRound.objects.visible_to(request.user).filter(
            report_id=followup.recommendation.report_id
        ),
        pk=round_pk,
    )
    FollowUpPermissions.of(request.user, followup).require_editor()
    current = StatusUpdate.objects.filter(followup=followup, round=round).first()
    context = {"followup": followup, "round": round, "current": current}
    if request.method == "POST":
        form = StatusForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = call_service(
                    form,
                    services.status_update_save,
                    followup=followup,
                    round=round,
                    actor=request.user,
                    expected_version=data["version"],
                    **form.changes(),
                )
            except ConflictError as exc:
                theirs: StatusUpdate = exc.current  # type: ignore[assignment]
                return render_conflict(
                    request,
                    title=_("The status was changed while you were editing it"),
                    rows=[
                        (
                            _("Status"),
                            dict(ActionStatus.choices).get(data["status"]),
                            theirs.get_status_display(),
                        ),
                        (_("Status text"), data["text"], theirs.text),
                    ],
                    changed_by=theirs.author,
                    changed_at=theirs.history.first().history_date,
                    back_url=followup.get_absolute_url(),
                    retry_form=StatusForm(initial={**data, "version": theirs.version}),
                    retry_url=reverse("followups:status_edit", args=[followup.pk, round.pk]),
                )
            if saved is not None:
                messages.success(request, MSG_DONE["status_update_save"])
                if getattr(request, "htmx", False):
                    # The whole follow-up page again (its status list changed), not that page
                    # inside the form's place.
                    response = HttpResponse(status=200)
                    response["HX-Redirect"] = followup.get_absolute_url()
                    return response
                return redirect(followup)
        return render_partial_or_page(
            request,
            "followups/_status_form.html",
            "followups/status_edit.html",
            {**context, "form": form},
            status=422,
        )
    initial = (
        {"status": current.status, "text": current.text, "version": current.version}
        if current
        else {"version": services.NO_STATUS_VERSION}
    )
    return render_partial_or_page(
        request,
        "followups/_status_form.html",
        "followups/status_edit.html",
        {**context, "form": StatusForm(initial=initial)},
    )


def _history_page(request: HttpRequest, pk: int, **restore: Any) -> HttpResponse:
    followup = _followup_or_404(request, pk)
    return history_page(
        request,
        template="followups/followup_history.html",
        name="followup",
        obj=followup,
        can_restore=FollowUpPermissions.of(request.user, followup).can_restore,
        entries=partial(followup_history_entries, user=request.user),
        **restore,
    )


@login_required
def followup_history(request: HttpRequest, pk: int) -> HttpResponse:
    return _history_page(request, pk)


def _restore_and_say_so(
    request: HttpRequest, *, followup: FollowUp, history_id: int, actor
) -> FollowUp:
    record = followup.history.filter(history_id=history_id).first()
    restored = services.followup_restore(followup=followup, history_id=history_id, actor=actor)
    if record is not None:
        messages.success(request, restore_message(record, followup))
    return restored


@login_required
@require_POST
def followup_restore(request: HttpRequest, pk: int, history_id: int) -> HttpResponse:
    return _history_page(
        request,
        pk,
        restore=partial(_restore_and_say_so, request),
        history_id=history_id,
        done_url=reverse("followups:history", args=[pk]),
    )


# --- rounds -----------------------------------------------------------------------------


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    rounds = (
        FollowUpRound.objects.visible_to(request.user)
        .select_related("report")
        .order_by("-report__year", "-deadline")
    )
    return render(
        request,
        "followups/round_list.html",
        {"rounds": rounds, "can_manage": access_for(request.user).is_secretariat},
    )


def _unanswered(round: FollowUpRound, user) -> list[tuple[str, list[FollowUp]]]:
    """What the round waits for, per department (Danish order), each follow-up a link."""
    waiting = (
        FollowUp.objects.visible_to(user)
        .for_report(round.report)
        .unanswered_in(round)
        .select_related("department", "recommendation__theme")
        .order_by("recommendation__number", "pk")
    )
    by_department: dict[str, list[FollowUp]] = {}
    for followup in waiting:
        by_department.setdefault(followup.department_label, []).append(followup)
    return sorted(by_department.items(), key=lambda item: danish_key(item[0]))


def _round_page(request: HttpRequest, round: FollowUpRound, **extra) -> dict:
    return {
        "round": round,
        "progress": FollowUp.objects.visible_to(request.user)
        .for_report(round.report)
        .answers_by_department(round),
        "unanswered": _unanswered(round, request.user),
        "can_manage": access_for(request.user).is_secretariat,
        # Sections of the apps above (reminders sent: core.pageparts).
        "parts": pageparts.parts_for("round", request, round),
        **extra,
    }


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    round = get_object_or_404(
        FollowUpRound.objects.visible_to(request.user).select_related("report"), pk=pk
    )
    return render(request, "followups/round_detail.html", _round_page(request, round))


def _require_secretariat(request: HttpRequest) -> None:
    if not access_for(request.user).is_secretariat:
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def round_new(request: HttpRequest) -> HttpResponse:
    _require_secretariat(request)
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        round = call_service(form, services.round_open, actor=request.user, **form.service_kwargs())
        if round is not None:
            return redirect(round)
    status = 422 if request.method == "POST" else 200
    return render(request, "followups/round_form.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename or re-date a round that is not published (the edition's cover prints them)."""
    round = get_object_or_404(FollowUpRound.objects.visible_to(request.user), pk=pk)
    _require_secretariat(request)
    if round.state == FollowUpRound.State.PUBLISHED:
        raise PermissionDenied(_("A published round is not changed."))
    initial = {"name": round.name, "deadline": round.deadline, "meeting_date": round.meeting_date}
    form = RoundEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            form, services.round_update, round=round, actor=request.user, **form.service_kwargs()
        )
        if saved is not None:
            messages.success(request, MSG_ROUND_SAVED)
            return redirect(saved)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "followups/round_edit.html", {"form": form, "round": round}, status=status
    )


def _round_action(request: HttpRequest, pk: int, service, confirm_template: str) -> HttpResponse:
    """GET: what the action means and what the round still waits for (links), with the
    button; POST: the action."""
    round = get_object_or_404(
        FollowUpRound.objects.visible_to(request.user).select_related("report"), pk=pk
    )
    _require_secretariat(request)
    if request.method == "GET":
        return render(request, confirm_template, _round_page(request, round))
    try:
        service(round=round, actor=request.user)
    except ServiceError as exc:
        return render(
            request,
            "followups/round_detail.html",
            _round_page(request, round, error=exc.message),
            status=422,
        )
    messages.success(request, MSG_DONE[service.__name__])
    return redirect(round)


@login_required
@require_http_methods(["GET", "POST"])
def round_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _round_action(request, pk, services.round_close, "followups/round_close.html")


@login_required
@require_POST
def round_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _round_action(request, pk, services.round_reopen, "")


@login_required
@require_http_methods(["GET", "POST"])
def round_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _round_action(request, pk, services.round_publish, "followups/round_publish.html")


# --- placing a follow-up awaiting placement (issue 20) --------------------------------------


class PlaceForm(forms.Form):
    """The department an imported action line goes to."""

    department = forms.ModelChoiceField(
        label=_lazy("Department"),
        queryset=Department.objects.none(),
        help_text=_lazy("The department that answers this action from now on."),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, recommendation, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.active().order_by("name")
        if recommendation.scope == recommendation.Scope.DEPARTMENTS:
            named = set(recommendation.scope_entries.values_list("department_id", flat=True))
            departments = departments.filter(pk__in=descendant_ids(named))
        field = cast(forms.ModelChoiceField, self.fields["department"])
        field.queryset = departments


@login_required
@require_http_methods(["GET", "POST"])
def followup_place(request: HttpRequest, pk: int) -> HttpResponse:
    """The secretariat chooses the department of a follow-up awaiting placement."""
    followup = _followup_or_404(request, pk)
    FollowUpPermissions.of(request.user, followup).require_placer()
    if followup.department_id is not None:
        return redirect(followup)
    recommendation = followup.recommendation
    form = PlaceForm(
        request.POST or None,
        recommendation=recommendation,
        initial={"version": followup.version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            placed = call_service(
                form,
                services.followup_place,
                followup=followup,
                department=form.cleaned_data["department"],
                actor=request.user,
                expected_version=form.cleaned_data["version"],
            )
        except ConflictError:
            form.add_error(None, _("Someone else placed or changed it meanwhile."))
            placed = None
            status = 409
        else:
            status = 422
        if placed is not None:
            messages.success(
                request,
                _("The action now belongs to %(department)s.")
                % {"department": form.cleaned_data["department"].name},
            )
            return redirect(placed)
    else:
        status = 422 if request.method == "POST" else 200
    return render(
        request,
        "followups/followup_place.html",
        {"followup": followup, "recommendation": recommendation, "form": form},
        status=status,
    )


def recommendation_followups(
    request: HttpRequest, recommendation: Recommendation
) -> pageparts.PagePart:
    """The recommendation page's section of each department's follow-up and its statuses
    (registered in FollowupsConfig.ready: the page lives in `recommendations`, below us)."""
    followups = list(
        FollowUp.objects.visible_to(request.user)
        .filter(recommendation=recommendation)
        .select_related("department")
        .with_statuses_for(request.user)
        .prefetch_related("date_changes")
        .order_by("department__name")
    )
    return pageparts.PagePart("followups/_recommendation_followups.html", {"followups": followups})


# --- the managers' overview of their people's work (issue 21.6) ------------------------------

# Follow-ups listed by name per person on the overview (all are counted).
TEAM_SHOWN = 50


def _team_departments(request: HttpRequest) -> frozenset[int] | None:
    """Whose work the overview shows: a manager's managed departments (with the units below
    them), every department for the secretariat (None); others are refused."""
    access = access_for(request.user)
    if access.is_secretariat:
        return None
    if access.manager_of:
        return access.manager_of
    raise PermissionDenied


@login_required
def team_overview(request: HttpRequest) -> HttpResponse:
    """Per assigned member (and "not assigned") the tasks of the open rounds in the
    manager's departments: how many are drafts, returned, submitted, approved and overdue,
    and a link to each (the first TEAM_SHOWN). A constant number of queries."""
    departments = _team_departments(request)
    today = timezone.localdate()
    tasks = (
        FollowUp.objects.visible_to(request.user, departments=departments)
        .in_open_rounds()
        .exclude(department__isnull=True)
    )
    counts = list(tasks.by_assignee(today))
    people = User.objects.in_bulk([row["assignee_id"] for row in counts if row["assignee_id"]])
    listed: dict[int | None, list[FollowUp]] = {}
    shown = (
        tasks.with_overdue(today)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("assignee_id")],
                order_by=[
                    F("recommendation__report__year").desc(),
                    F("recommendation__number").asc(),
                    F("department__name").asc(),
                    F("pk").asc(),
                ],
            )
        )
        .filter(rank__lte=TEAM_SHOWN)
        .select_related("recommendation__report", "recommendation__theme", "department")
        .order_by("rank")
    )
    for followup in shown:
        listed.setdefault(followup.assignee_id, []).append(followup)
    rows = []
    for row in counts:
        person = people.get(row["assignee_id"])
        name = (person.get_full_name() or person.get_username()) if person else ""
        rows.append(
            {**row, "person": person, "name": name, "followups": listed.get(row["assignee_id"], [])}
        )
    # By name in Danish order; "not assigned" last.
    rows.sort(key=lambda r: (r["person"] is None, danish_key(r["name"])))
    return render(
        request,
        "followups/team_overview.html",
        {"rows": rows, "shown": TEAM_SHOWN, "all_departments": departments is None},
    )
