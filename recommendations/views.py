"""The recommendation page; registering annual reports and recommendations; the ombudsman's
assessment; history."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core import pageparts
from core.errors import ConflictError, ServiceError
from core.historydiff import history_entries
from core.viewhelpers import call_service, history_page
from departments.access import access_for
from recommendations import services
from recommendations.forms import (
    AssessmentForm,
    LinkForm,
    RecommendationForm,
    ReportForm,
    ResponseForm,
)
from recommendations.models import AnnualReport, Recommendation, RecommendationDepartment

HISTORY_FIELDS = Recommendation.CONTENT_FIELDS


def _require_registrar(request: HttpRequest) -> None:
    access = access_for(request.user)
    if not (access.is_secretariat or access.is_ombudsman):
        raise PermissionDenied


def _recommendation_or_404(request: HttpRequest, pk: int) -> Recommendation:
    return get_object_or_404(
        Recommendation.objects.visible_to(request.user).select_related("report", "theme"), pk=pk
    )


@login_required
def recommendation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    recommendation = get_object_or_404(
        Recommendation.objects.visible_to(request.user).select_related(
            "report", "theme", "previous__report", "previous__theme"
        ),
        pk=pk,
    )
    earlier, later = recommendation.chain()
    access = access_for(request.user)
    return render(
        request,
        "recommendations/recommendation_detail.html",
        {
            "recommendation": recommendation,
            "departments": [
                e.department for e in recommendation.scope_entries.select_related("department")
            ],
            "earlier": earlier,
            "later": later,
            # Each department's follow-up and statuses (followups), comments (collaboration).
            "parts": pageparts.parts_for("recommendation", request, recommendation),
            "can_register": access.is_secretariat or access.is_ombudsman,
            "assessment_form": AssessmentForm.initial_for(recommendation)
            if access.is_ombudsman
            else None,
            "response_form": ResponseForm.initial_for(recommendation)
            if access.is_secretariat
            else None,
        },
    )


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    return render(
        request,
        "recommendations/report_list.html",
        {
            "reports": AnnualReport.objects.latest_first(),
            "can_register": access.is_secretariat or access.is_ombudsman,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    _require_registrar(request)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        report = call_service(form, services.report_create, actor=request.user, **form.cleaned_data)
        if report is not None:
            return redirect(report)
    return render(
        request,
        "recommendations/report_form.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request: HttpRequest, year: int) -> HttpResponse:
    _require_registrar(request)
    report = get_object_or_404(AnnualReport, year=year)
    initial = {f: getattr(report, f) for f in ReportForm.base_fields}
    form = ReportForm(request.POST or None, initial=initial)
    form.fields["year"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "year"}
        saved = call_service(
            form, services.report_update, report=report, actor=request.user, **data
        )
        if saved is not None:
            return redirect(saved)
    return render(
        request,
        "recommendations/report_form.html",
        {"form": form, "report": report},
        status=422 if request.method == "POST" else 200,
    )


def _recommendation_form_save(request, form, *, report=None, recommendation=None):
    data = form.cleaned_data
    departments = list(data["departments"])
    try:
        theme = services.theme_get_or_create(actor=request.user, name=data["theme"])
        if recommendation is None:
            return services.recommendation_create(
                actor=request.user,
                report=report,
                theme=theme,
                text=data["text"],
                kind=data["kind"],
                scope=data["scope"],
                departments=departments,
            )
        return services.recommendation_update(
            recommendation=recommendation,
            actor=request.user,
            expected_version=data["version"],
            theme=theme,
            text=data["text"],
            kind=data["kind"],
            scope=data["scope"],
            departments=departments,
        )
    except ConflictError:
        form.add_error(
            None,
            _(
                "The recommendation was changed by someone else meanwhile. "
                "Reload the page to see the saved version."
            ),
        )
    except ServiceError as exc:
        form.add_error(None, exc.message)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def recommendation_new(request: HttpRequest, year: int) -> HttpResponse:
    _require_registrar(request)
    report = get_object_or_404(AnnualReport, year=year)
    form = RecommendationForm(request.POST or None, initial={"scope": "organisation"})
    if request.method == "POST" and form.is_valid():
        saved = _recommendation_form_save(request, form, report=report)
        if saved is not None:
            return redirect(saved)
    return render(
        request,
        "recommendations/recommendation_form.html",
        {"form": form, "report": report},
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def recommendation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_registrar(request)
    recommendation = _recommendation_or_404(request, pk)
    initial = {
        "version": recommendation.version,
        "theme": recommendation.theme.name,
        "kind": recommendation.kind,
        "text": recommendation.text,
        "scope": recommendation.scope,
        "departments": list(recommendation.departments.all()),
    }
    form = RecommendationForm(request.POST or None, initial=initial)
    link_form = LinkForm(
        initial={"previous": recommendation.previous_id, "link_kind": recommendation.link_kind},
        recommendation=recommendation,
    )
    if request.method == "POST" and form.is_valid():
        saved = _recommendation_form_save(request, form, recommendation=recommendation)
        if saved is not None:
            return redirect(saved)
    return render(
        request,
        "recommendations/recommendation_form.html",
        {
            "form": form,
            "report": recommendation.report,
            "recommendation": recommendation,
            "link_form": link_form,
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def recommendation_link(request: HttpRequest, pk: int) -> HttpResponse:
    _require_registrar(request)
    recommendation = _recommendation_or_404(request, pk)
    form = LinkForm(request.POST, recommendation=recommendation)
    if form.is_valid():
        saved = call_service(
            form,
            services.recommendation_link,
            recommendation=recommendation,
            previous=form.cleaned_data["previous"],
            link_kind=form.cleaned_data["link_kind"],
            actor=request.user,
        )
        if saved is not None:
            return redirect(saved)
    return render(
        request,
        "recommendations/recommendation_form.html",
        {
            "form": RecommendationForm(initial={"theme": recommendation.theme.name}),
            "report": recommendation.report,
            "recommendation": recommendation,
            "link_form": form,
        },
        status=422,
    )


def _answer_post(request, pk, form_class, service):
    recommendation = _recommendation_or_404(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            saved = call_service(
                form,
                service,
                recommendation=recommendation,
                actor=request.user,
                expected_version=form.cleaned_data.get("version"),
                **form.service_kwargs(),
            )
        except ConflictError:
            form.add_error(
                None,
                _(
                    "The recommendation was changed by someone else meanwhile. "
                    "Reload the page to see the saved version."
                ),
            )
            saved = None
        if saved is not None:
            return redirect(saved)
    return render(
        request,
        "recommendations/answer_form.html",
        {"form": form, "recommendation": recommendation},
        status=422,
    )


@login_required
@require_POST
def recommendation_assess(request: HttpRequest, pk: int) -> HttpResponse:
    if not access_for(request.user).is_ombudsman:
        raise PermissionDenied
    return _answer_post(request, pk, AssessmentForm, services.recommendation_assess)


@login_required
@require_POST
def recommendation_respond(request: HttpRequest, pk: int) -> HttpResponse:
    if not access_for(request.user).is_secretariat:
        raise PermissionDenied
    return _answer_post(request, pk, ResponseForm, services.recommendation_set_response)


def recommendation_history_entries(recommendation: Recommendation):
    entries = history_entries(
        list(recommendation.history.select_related("history_user")),
        model=Recommendation,
        fields=HISTORY_FIELDS,
        subject=_("Recommendation"),
        restorable=True,
    )
    for row in RecommendationDepartment.history.filter(
        recommendation_id=recommendation.pk
    ).select_related("history_user", "department"):
        entries += history_entries(
            [row],
            model=RecommendationDepartment,
            fields=["department"],
            subject=_("Named department"),
        )
    return sorted(entries, key=lambda e: (e.date, e.record.history_id), reverse=True)


@login_required
def recommendation_history(request: HttpRequest, pk: int) -> HttpResponse:
    return history_page(
        request,
        template="recommendations/recommendation_history.html",
        name="recommendation",
        obj=_recommendation_or_404(request, pk),
        can_restore=access_for(request.user).is_secretariat,
        entries=recommendation_history_entries,
    )


@login_required
@require_POST
def recommendation_restore(request: HttpRequest, pk: int, history_id: int) -> HttpResponse:
    return history_page(
        request,
        template="recommendations/recommendation_history.html",
        name="recommendation",
        obj=_recommendation_or_404(request, pk),
        can_restore=access_for(request.user).is_secretariat,
        entries=recommendation_history_entries,
        restore=services.recommendation_restore,
        history_id=history_id,
        done_url=reverse("recommendations:history", args=[pk]),
    )
