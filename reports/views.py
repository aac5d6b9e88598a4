"""The council's report: preview, PDF (rendered in the background), XLSX, CSV and editions."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET
from django_tasks import TaskResultStatus

from departments.models import Department
from followups.models import FollowUpRound
from recommendations.models import AnnualReport
from reports import spreadsheets
from reports.documents import document_context
from reports.models import ReportEdition
from reports.rendering import ReportRequest, cached_pdf, pending_key, render_report_pdf
from reports.tables import ReportTable, build_table


def _params(request: HttpRequest, year: int) -> tuple[ReportRequest, ReportTable]:
    """The report, round, department and date asked for, each checked against the user."""
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
            Department.objects.visible_to(user), short_name=request.GET["afdeling"]
        )
    as_of = None
    if request.GET.get("pr"):
        try:
            day = datetime.date.fromisoformat(request.GET["pr"])
        except ValueError as exc:
            raise Http404 from exc
        # The end of that day, Copenhagen time: the table as it stood when the day was over.
        as_of = timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))
    table = build_table(report=report, user=user, round=round, department=department, as_of=as_of)
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


def _filename(table: ReportTable, extension: str) -> str:
    parts = ["rapport", str(table.report.year)]
    if table.round:
        parts.append(f"runde-{table.round.pk}")
    if table.department:
        parts.append(table.department.short_name)
    return "-".join(parts) + "." + extension


@login_required
@require_GET
def preview(request: HttpRequest, year: int) -> HttpResponse:
    params, table = _params(request, year)
    user = request.user
    departments = Department.objects.active().visible_to(user).order_by("name")
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


@login_required
@require_GET
def report_pdf(request: HttpRequest, year: int) -> HttpResponse:
    """Serve the cached PDF for this data version, or render it in the background."""
    params, table = _params(request, year)
    version = table.data_version()
    name = cached_pdf(version)
    if name is None:
        # One rendering per data version, however often it is asked for while queued.
        pending = cache.get(pending_key(version))
        if pending:
            return redirect(reverse("reports:pdf_status", args=[year, pending]) + _query(request))
        result = render_report_pdf.enqueue(**params.as_kwargs(), data_version=version)
        if result.status != TaskResultStatus.SUCCESSFUL:
            cache.set(pending_key(version), result.id, timeout=15 * 60)
            url = reverse("reports:pdf_status", args=[year, result.id])
            return redirect(url + _query(request))
        name = result.return_value["file"]
    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=_filename(table, "pdf"),
        content_type="application/pdf",
    )


@login_required
@require_GET
def pdf_status(request: HttpRequest, year: int, task_id: str) -> HttpResponse:
    """Progress of a background rendering; polled by htmx, refreshed without JavaScript."""
    try:
        result = render_report_pdf.get_result(task_id)
    except Exception as exc:  # unknown id, or a backend that keeps no results
        raise Http404 from exc
    # The user's own task, or a task rendering exactly the data this user may see now.
    _params_, table = _params(request, year)
    own = result.kwargs.get("user_id") == request.user.pk
    same_data = result.kwargs.get("data_version") == table.data_version()
    if result.kwargs.get("year") != year or not (own or same_data):
        raise Http404
    if result.is_finished:
        cache.delete(pending_key(result.kwargs.get("data_version") or ""))
    context = {
        "year": year,
        "result": result,
        "finished": result.is_finished,
        "succeeded": result.status == TaskResultStatus.SUCCESSFUL,
        "pdf_url": reverse("reports:pdf", args=[year]) + _query(request),
        "status_url": request.get_full_path(),
    }
    template = "reports/_pdf_status.html" if request.htmx else "reports/pdf_status.html"
    return render(request, template, context)


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
    # A byte-order mark so spreadsheet programs read the file as UTF-8.
    response = HttpResponse(
        "\ufeff" + spreadsheets.to_csv(table), content_type="text/csv; charset=utf-8"
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
