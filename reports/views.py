"""The council's report: preview, PDF (rendered in the background), XLSX, CSV and editions."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ServiceError
from core.viewhelpers import AuthenticatedHttpRequest
from departments.access import access_for, visible_departments
from departments.models import Department
from followups.models import FollowUpRound
from recommendations.models import AnnualReport
from reports import rendering, services, spreadsheets
from reports.documents import document_context
from reports.models import EditionRendering, LatestRendering, ReportEdition, ReportRendering
from reports.rendering import ReportRequest
from reports.tables import ReportTable, build_table

MSG_PREVIOUS_TODAY = _("Download the previous version (being updated – data from %(time)s)")
MSG_PREVIOUS_EARLIER = _(
    "Download the previous version (being updated – data from %(date)s at %(time)s)"
)


@dataclass(frozen=True)
class Selection:
    """The report, round, department and date asked for, each checked against the user."""

    report: AnnualReport
    round: FollowUpRound | None
    department: Department | None
    as_of: datetime.datetime | None


def _selection(request: HttpRequest, year: int) -> Selection:
    user = request.user
    report = get_object_or_404(AnnualReport, year=year)
    round = None
    if request.GET.get("runde"):
        try:
            round_id = int(request.GET["runde"])
        except ValueError as exc:
            raise Http404 from exc
        round = get_object_or_404(
            FollowUpRound.objects.visible_to(user), report=report, pk=round_id
        )
    department = None
    if request.GET.get("afdeling"):
        department = get_object_or_404(
            visible_departments(user), short_name=request.GET["afdeling"]
        )
    as_of = None
    if request.GET.get("pr"):
        try:
            day = datetime.date.fromisoformat(request.GET["pr"])
        except ValueError as exc:
            raise Http404 from exc
        # The end of that day, Copenhagen time: the table as it stood when the day was over.
        as_of = timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))
    return Selection(report, round, department, as_of)


def _params(request: HttpRequest, year: int) -> tuple[ReportRequest, ReportTable]:
    """The request for the selection, and its table as the user may see it."""
    user = request.user
    chosen = _selection(request, year)
    round, department, as_of = chosen.round, chosen.department, chosen.as_of
    table = build_table(
        report=chosen.report, user=user, round=round, department=department, as_of=as_of
    )
    params = ReportRequest(
        year=year,
        round_id=round.pk if round else None,
        department_id=department.pk if department else None,
        as_of=as_of.isoformat() if as_of else None,
        user_id=user.pk,
    )
    return params, table


def _query(request: HttpRequest) -> str:
    kept = {k: request.GET[k] for k in ("runde", "afdeling", "pr") if request.GET.get(k)}
    return "?" + urlencode(kept) if kept else ""


def _filename(table: ReportTable | Selection, extension: str, *, suffix: str = "") -> str:
    parts = ["rapport", str(table.report.year)]
    if table.round:
        parts.append(f"runde-{table.round.pk}")
    if table.department:
        parts.append(table.department.short_name)
    if table.as_of:
        # The shared rendering does not print the date it was asked for; the name does.
        parts.append(f"pr-{timezone.localdate(table.as_of).isoformat()}")
    if suffix:
        parts.append(suffix)
    return "-".join(parts) + "." + extension


def _previous_label(data_at: datetime.datetime) -> str:
    """ "Hent den forrige version (opdateres – data fra kl. 10:42)", Copenhagen time; with
    the date when the data is from an earlier day."""
    local = timezone.localtime(data_at)
    time = local.strftime("%H:%M")
    if local.date() == timezone.localdate():
        return MSG_PREVIOUS_TODAY % {"time": time}
    return MSG_PREVIOUS_EARLIER % {"date": date_format(local.date(), "DATE_FORMAT"), "time": time}


@login_required
@require_GET
def preview(request: HttpRequest, year: int) -> HttpResponse:
    params, table = _params(request, year)
    user = request.user
    departments = visible_departments(user).active().order_by("name")
    context = document_context(table)
    context.update(
        {
            "rounds": FollowUpRound.objects.visible_to(user).filter(report=table.report),
            "departments": departments,
            "editions": ReportEdition.objects.visible_to(user)
            .for_report(table.report)
            .select_related("round", "department"),
            "query": _query(request),
            "selected_round": params.round_id,
            "selected_department": table.department.short_name if table.department else "",
            "as_of_value": request.GET.get("pr", ""),
        }
    )
    return render(request, "reports/preview.html", context)


def _pdf_refused(request: HttpRequest, year: int, message: str, status: int) -> HttpResponse:
    context = {
        "year": year,
        "finished": True,
        "succeeded": False,
        "error": message,
        "refused": True,
        "pdf_url": reverse("reports:pdf", args=[year]) + _query(request),
        "preview_url": reverse("reports:preview", args=[year]) + _query(request),
    }
    return render(request, "reports/pdf_status.html", context, status=status)


@login_required
@require_GET
def report_pdf(request: HttpRequest, year: int) -> HttpResponse | FileResponse:
    """Serve the cached PDF for this content, or render it in the background."""
    params, table = _params(request, year)
    try:
        outcome = rendering.pdf_request(table=table, params=params, user=request.user)
    except rendering.ReportTooLarge as exc:
        return _pdf_refused(request, year, exc.message, status=422)
    except rendering.RenderQueueFull as exc:
        response = _pdf_refused(request, year, exc.message, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    if outcome.file is not None:
        try:
            return FileResponse(
                default_storage.open(outcome.file, "rb"),
                as_attachment=True,
                filename=_filename(table, "pdf"),
                content_type="application/pdf",
            )
        except FileNotFoundError:  # pruned between the check and the open: render again
            return redirect(request.get_full_path())
    url = reverse("reports:pdf_status", args=[year, outcome.key])
    return redirect(url + _query(request))


@login_required
@require_GET
def pdf_status(request: AuthenticatedHttpRequest, year: int, key: str) -> HttpResponse:
    """Progress of a background rendering; polled by htmx, refreshed without JavaScript."""
    job = get_object_or_404(ReportRendering, key=key, year=year)
    # The user's own rendering, or one of exactly the content this user may see now.
    _params_, table = _params(request, year)
    current = rendering.content_key(table)
    if job.requested_by_id != request.user.pk and current != key:
        raise Http404
    now = timezone.now()
    state = job.state
    error = job.error
    if state in (ReportRendering.State.QUEUED, ReportRendering.State.RUNNING) and not (
        job.is_active(now)
    ):
        state, error = ReportRendering.State.FAILED, str(rendering.MSG_RENDER_STALLED)
    finished = state in (ReportRendering.State.DONE, ReportRendering.State.FAILED)
    context = {
        "year": year,
        "state": state,
        "finished": finished,
        "succeeded": state == ReportRendering.State.DONE,
        "error": error or (str(rendering.MSG_RENDER_FAILED) if finished else ""),
        "pdf_url": reverse("reports:pdf", args=[year]) + _query(request),
        "status_url": request.get_full_path(),
    }
    if not request.htmx and not context["succeeded"] and table.as_of is None:
        # While a newer version is being made, the latest stored one of exactly this
        # variant and audience may be taken instead (beside the polled status).
        previous = rendering.previous_rendering(
            year=year,
            round_id=table.round.pk if table.round else None,
            department_id=table.department.pk if table.department else None,
            audience=access_for(request.user).audience,
            key=current,
        )
        if previous is not None:
            context["previous_url"] = reverse("reports:pdf_previous", args=[year]) + _query(request)
            context["previous_label"] = _previous_label(previous.data_at)
    template = "reports/_pdf_status.html" if request.htmx else "reports/pdf_status.html"
    return render(request, template, context)


@login_required
@require_GET
def report_pdf_previous(request: HttpRequest, year: int) -> HttpResponse | FileResponse:
    """The latest stored PDF of this variant for exactly the user's audience (offered on the
    progress page while a newer one is being made); named as the earlier version it is."""
    chosen = _selection(request, year)
    if chosen.as_of is not None:
        raise Http404  # a dated report has no earlier version
    latest = LatestRendering.objects.filter(
        slot=LatestRendering.slot_for(
            year=year,
            round_id=chosen.round.pk if chosen.round else None,
            department_id=chosen.department.pk if chosen.department else None,
            audience=access_for(request.user).audience,
        )
    ).first()
    if latest is None:
        raise Http404
    local = timezone.localtime(latest.data_at)
    suffix = f"forrige-version-data-fra-{local:%Y-%m-%d-kl-%H-%M}"
    try:
        return FileResponse(
            default_storage.open(latest.file, "rb"),
            as_attachment=True,
            filename=_filename(chosen, "pdf", suffix=suffix),
            content_type="application/pdf",
        )
    except FileNotFoundError as exc:  # pruned from the cache meanwhile
        raise Http404 from exc


@login_required
@require_GET
def report_xlsx(request: HttpRequest, year: int) -> HttpResponse:
    _params_, table = _params(request, year)
    response = HttpResponse(
        spreadsheets.to_xlsx(table),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(True, _filename(table, "xlsx"))
    return response


@login_required
@require_GET
def report_csv(request: HttpRequest, year: int) -> HttpResponse:
    _params_, table = _params(request, year)
    # Semicolons for Danish Excel unless ?sep=, asks for commas; a byte-order mark so
    # spreadsheet programs read the file as UTF-8.
    separator = "," if request.GET.get("sep") == "," else ";"
    response = HttpResponse(
        "\ufeff" + spreadsheets.to_csv(table, separator), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, _filename(table, "csv"))
    return response


@login_required
@require_GET
def edition_download(request: HttpRequest, pk: int) -> FileResponse:
    """Exactly the archived file, byte for byte."""
    edition = get_object_or_404(
        ReportEdition.objects.visible_to(request.user).select_related("report"), pk=pk
    )
    response = FileResponse(
        edition.file.open("rb"),
        as_attachment=True,
        filename=edition.filename,
        content_type="application/pdf",
    )
    response["ETag"] = f'"{edition.sha256}"'
    response["X-Content-SHA256"] = edition.sha256
    return response


@login_required
@require_POST
def edition_retry(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The secretariat tries a failed edition again (POST only); 409 if it has not failed."""
    rendering = get_object_or_404(EditionRendering.objects.select_related("round"), pk=pk)
    if not access_for(request.user).is_secretariat:
        raise PermissionDenied
    try:
        services.edition_retry(rendering=rendering, actor=request.user)
    except ServiceError as exc:
        return HttpResponse(exc.message, status=409, content_type="text/plain; charset=utf-8")
    return redirect(rendering.round)
