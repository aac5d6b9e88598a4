"""Background PDF rendering, cached by data version so unchanged data is rendered once.

The task runs on the configured Django tasks backend: immediately in dev, demo and tests,
in a database-backed worker (`manage.py db_worker`) in production.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tasks import task

from departments.access import system_user
from departments.models import Department
from followups.models import FollowUpRound
from recommendations.models import AnnualReport
from reports import pdf
from reports.documents import document_html
from reports.tables import ReportTable, build_table

CACHE_DIR = "report-cache"


@dataclass(frozen=True)
class ReportRequest:
    """What to render, in JSON-friendly terms a task can carry."""

    year: int
    round_id: int | None = None
    department_id: int | None = None
    as_of: str | None = None  # ISO datetime
    user_id: int | None = None  # None: the system reader

    def user(self):
        if self.user_id is None:
            return system_user()
        return get_user_model().objects.get(pk=self.user_id)

    def table(self, user=None) -> ReportTable:
        report = AnnualReport.objects.get(year=self.year)
        user = user or self.user()
        round = (
            FollowUpRound.objects.visible_to(user).get(report=report, pk=self.round_id)
            if self.round_id
            else None
        )
        department = (
            Department.objects.visible_to(user).get(pk=self.department_id)
            if self.department_id
            else None
        )
        as_of = datetime.datetime.fromisoformat(self.as_of) if self.as_of else None
        return build_table(
            report=report, user=user, round=round, department=department, as_of=as_of
        )

    def as_kwargs(self) -> dict:
        return {
            "year": self.year,
            "round_id": self.round_id,
            "department_id": self.department_id,
            "as_of": self.as_of,
            "user_id": self.user_id,
        }


def pending_key(data_version: str) -> str:
    return f"report-pdf-task:{data_version}"


def cache_name(data_version: str) -> str:
    return f"{CACHE_DIR}/{data_version}.pdf"


def cached_pdf(data_version: str) -> str | None:
    name = cache_name(data_version)
    return name if default_storage.exists(name) else None


def render_to_cache(table: ReportTable) -> str:
    """Render the table's PDF unless a file for its data version exists; return its name."""
    version = table.data_version()
    existing = cached_pdf(version)
    if existing:
        return existing
    rendered = pdf.html_to_pdf(document_html(table))
    return default_storage.save(cache_name(version), ContentFile(rendered.content))


@task()
def render_report_pdf(
    year: int,
    round_id: int | None = None,
    department_id: int | None = None,
    as_of: str | None = None,
    user_id: int | None = None,
    data_version: str | None = None,  # the version asked for; a key for waiting requests
) -> dict:
    request = ReportRequest(year, round_id, department_id, as_of, user_id)
    table = request.table()
    name = render_to_cache(table)
    return {"data_version": table.data_version(), "file": name}
