"""Web import for the secretariat: upload → preview with every warning → commit."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tasks import TaskResultStatus

from core.errors import ServiceError
from core.viewhelpers import AuthenticatedHttpRequest
from departments.access import access_for
from followups.models import ActionStatus
from importing import staging
from importing.forms import CommitForm, UploadForm
from importing.security import check_size
from importing.services import file_sha256, import_preview
from importing.tasks import import_staged_document

security_log = logging.getLogger("opfoelgning.security")

SESSION_KEY = "importing_staged"
JOBS_KEY = "importing_jobs"  # task id -> staged token, for the user's own imports
MAX_STAGED_PER_SESSION = 5


def _require_secretariat(request: HttpRequest) -> None:
    if not access_for(request.user).is_secretariat:
        raise PermissionDenied


def _staged(request: HttpRequest, token: str) -> tuple[dict, bytes]:
    """The session's staged upload, checked against the checksum taken at upload."""
    entry = request.session.get(SESSION_KEY, {}).get(token)
    data = staging.load(token) if entry else None
    if entry is None or data is None or file_sha256(data) != entry["sha256"]:
        raise Http404
    return entry, data


@login_required
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    _require_secretariat(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            check_size(upload.name, upload.size)  # before reading a byte of it
            data = upload.read()
            plan = import_preview(
                name=upload.name,
                data=data,
                year=form.cleaned_data["year"],
                create_departments=form.cleaned_data["create_departments"],
            )
        except ServiceError as exc:
            security_log.warning(
                "import_refused user_id=%s file=%r reason=%r",
                request.user.pk,
                upload.name,
                exc.message,
            )
            form.add_error("file", exc.message)
        else:
            token = staging.stage(data)
            staged = request.session.get(SESSION_KEY, {})
            for old in list(staged)[: max(0, len(staged) - MAX_STAGED_PER_SESSION + 1)]:
                staging.discard(old)
                del staged[old]
            staged[token] = {
                "name": plan.document.name,
                "sha256": file_sha256(data),
                "year": plan.year,
                "create_departments": plan.create_departments,
            }
            request.session[SESSION_KEY] = staged
            return redirect("importing:preview", token=token)
    return render(
        request,
        "importing/upload.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


def _free_status(value) -> str:
    """A status the user chose for free-text status cells ("" for the default)."""
    return value if value in ActionStatus.values else ""


def _preview_page(
    request, token, entry, data, *, error: str = "", status: int = 200, free_status: str = ""
):
    try:
        plan = import_preview(
            name=entry["name"],
            data=data,
            year=entry["year"],
            create_departments=entry["create_departments"],
            free_status=free_status,
        )
    except ServiceError as exc:
        return render(
            request,
            "importing/upload.html",
            {"form": UploadForm(), "error": exc.message},
            status=422,
        )
    form = CommitForm(
        initial={
            "sha256": entry["sha256"],
            "fingerprint": plan.fingerprint(),
            "free_status": plan.free_status,
        }
    )
    return render(
        request,
        "importing/preview.html",
        {
            "plan": plan,
            "summary": plan.summary(),
            "details": plan.details(),
            "form": form,
            "token": token,
            "entry": entry,
            "error": error,
            "free_status_choices": ActionStatus.choices,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def preview(request: HttpRequest, token: str) -> HttpResponse:
    _require_secretariat(request)
    entry, data = _staged(request, token)
    return _preview_page(
        request, token, entry, data, free_status=_free_status(request.GET.get("free_status"))
    )


@login_required
@require_POST
def commit(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    _require_secretariat(request)
    entry, data = _staged(request, token)
    form = CommitForm(request.POST)
    if not form.is_valid() or form.cleaned_data["sha256"] != entry["sha256"]:
        return _preview_page(
            request, token, entry, data, error=_("The form was incomplete."), status=422
        )
    result = import_staged_document.enqueue(
        token=token,
        user_id=request.user.pk,
        name=entry["name"],
        sha256=entry["sha256"],
        year=entry["year"],
        create_departments=entry["create_departments"],
        free_status=form.cleaned_data["free_status"],
        fingerprint=form.cleaned_data["fingerprint"],
    )
    jobs = request.session.get(JOBS_KEY, {})
    jobs[result.id] = token
    request.session[JOBS_KEY] = dict(list(jobs.items())[-MAX_STAGED_PER_SESSION:])
    if result.is_finished:  # the immediate backend (dev, demo, tests)
        return _finished(request, result, token)
    return redirect("importing:job", task_id=result.id)


@login_required
@require_GET
def job(request: AuthenticatedHttpRequest, task_id: str) -> HttpResponse:
    """Progress of the user's own import; polled by htmx, refreshed without JavaScript."""
    _require_secretariat(request)
    token = request.session.get(JOBS_KEY, {}).get(task_id)
    if token is None:
        raise Http404
    try:
        result = import_staged_document.get_result(task_id)
    except Exception as exc:  # unknown id, or a backend that keeps no results
        raise Http404 from exc
    if result.is_finished:
        if request.htmx:  # leave the polled fragment for a full page
            response = HttpResponse(status=204)
            response["HX-Redirect"] = request.get_full_path()
            return response
        return _finished(request, result, token)
    template = "importing/_job.html" if request.htmx else "importing/job.html"
    return render(request, template, {"result": result, "status_url": request.get_full_path()})


def _finished(request: HttpRequest, result, token: str) -> HttpResponse:
    """The import's outcome: the report with a summary, or the preview with the reason."""
    outcome = result.return_value if result.status == TaskResultStatus.SUCCESSFUL else None
    if outcome is None:
        outcome = {"ok": False, "error": _("The import failed. Nothing was imported; try again.")}
    staged = request.session.get(SESSION_KEY, {})
    entry = staged.get(token)
    if not outcome["ok"]:
        data = staging.load(token) if entry else None
        if entry is None or data is None:
            messages.error(request, outcome["error"])
            return redirect("importing:upload")
        status = 409 if outcome.get("conflict") else 422
        return _preview_page(request, token, entry, data, error=outcome["error"], status=status)
    if entry is not None:
        staged.pop(token)
        request.session[SESSION_KEY] = staged
    messages.success(
        request,
        _(
            "%(file)s was imported: %(recommendations)s recommendations, %(followups)s "
            "follow-ups (%(unplaced)s awaiting placement) and %(warnings)s warnings."
        )
        % {
            "file": entry["name"] if entry else "",
            "recommendations": outcome["recommendations"],
            "followups": outcome["followups"],
            "unplaced": outcome.get("unplaced", 0),
            "warnings": outcome["warnings"],
        },
    )
    return redirect("pages:report", year=outcome["year"])
