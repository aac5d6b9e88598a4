"""Write the council's report for a year (and round, department) to a PDF, HTML, XLSX or CSV file.

Runs as the system reader (sees every department and round) unless --user names a user,
whose access then applies exactly as in the browser.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils import timezone

from core.commands import ProductLanguageCommand, date_argument
from departments.access import system_user, visible_departments
from followups.models import FollowUpRound
from recommendations.models import AnnualReport
from reports import spreadsheets
from reports.documents import document_html
from reports.pdf import RenderCrashed, RenderTimeout
from reports.rendering import ReportTooLarge, render_pdf
from reports.tables import build_table

FORMATS = (".pdf", ".html", ".xlsx", ".csv")


class Command(ProductLanguageCommand):
    help = "Write the council's report (Anbefaling / Opfølgning / Status) to a file."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="The annual report's year.")
        parser.add_argument("--round", help="The round's name, e.g. 'Status 2026'.")
        parser.add_argument("--department", help="A department's short name, e.g. 'BUF'.")
        parser.add_argument(
            "--as-of", type=date_argument, help="The table as it stood at the end of YYYY-MM-DD."
        )
        parser.add_argument("--user", help="Render as this user (default: sees everything).")
        parser.add_argument(
            "--output", required=True, help="File to write; .pdf, .html, .xlsx or .csv."
        )

    def handle(self, *args, **options):
        output = Path(options["output"])
        extension = output.suffix.lower()
        if extension not in FORMATS:
            raise CommandError(
                f"Ukendt filtype “{output.suffix or output.name}”. "
                f"Brug en af: {', '.join(FORMATS)}."
            )
        user = system_user()
        if options["user"]:
            try:
                user = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"Der findes ingen bruger “{options['user']}”.") from exc
        try:
            report = AnnualReport.objects.get(year=options["year"])
        except AnnualReport.DoesNotExist as exc:
            raise CommandError(f"Der findes ingen årsberetning for {options['year']}.") from exc
        round = None
        if options["round"]:
            round = (
                FollowUpRound.objects.visible_to(user)
                .filter(report=report, name__iexact=options["round"].strip())
                .first()
            )
            if round is None:
                names = ", ".join(
                    FollowUpRound.objects.visible_to(user)
                    .filter(report=report)
                    .values_list("name", flat=True)
                )
                raise CommandError(
                    f"Årsberetningen {report.year} har ingen runde “{options['round']}”. "
                    f"Runder: {names or 'ingen'}."
                )
        department = None
        if options["department"]:
            department = (
                visible_departments(user)
                .filter(short_name__iexact=options["department"].strip())
                .first()
            )
            if department is None:
                raise CommandError(
                    f"Der findes ingen forvaltning med forkortelsen “{options['department']}”"
                    + (f", som {user.username} kan se." if options["user"] else ".")
                )
        as_of = None
        if options["as_of"]:
            day = options["as_of"]
            as_of = timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))
        table = build_table(
            report=report, user=user, round=round, department=department, as_of=as_of
        )
        if extension == ".pdf":
            # As the web makes it: the size limit (REPORT_MAX_CELLS, REPORT_MAX_CHARS; the
            # spreadsheets have none), the time limit, and a large report in parallel parts.
            try:
                rendered = render_pdf(table)
            except ReportTooLarge as exc:
                raise CommandError(exc.message) from exc
            except (RenderTimeout, RenderCrashed) as exc:
                raise CommandError(f"PDF'en kunne ikke laves: {exc}") from exc
            output.write_bytes(rendered.content)
        elif extension == ".html":
            output.write_text(document_html(table), encoding="utf-8")
        elif extension == ".xlsx":
            output.write_bytes(spreadsheets.to_xlsx(table))
        else:
            output.write_text(spreadsheets.to_csv(table), encoding="utf-8-sig", newline="")
        self.stdout.write(f"Skrev {output}")
