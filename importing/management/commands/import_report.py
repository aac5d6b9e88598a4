"""Import a follow-up document (Word, Excel or CSV) into an annual report.

The last line printed is JSON with the figures, e.g.
{"sections": 2, "themes": 3, "recommendations": 4, "followups": 6, "actions": 9, "unplaced": 0,
 "statuses": 0, "warnings": []}
"""

import json
import os

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError

from core.commands import ProductLanguageCommand
from core.errors import ServiceError
from departments.scripting import add_user_argument, command_actor
from followups.models import ActionStatus
from importing.planning import ImportPlan
from importing.security import check_size
from importing.services import import_commit, import_preview


class Command(ProductLanguageCommand):
    help = (
        "Import the tables of a follow-up document (.docx, .xlsx or .csv) into the annual "
        "report of --year. The last output line is JSON with the counts and warnings."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .docx, .xlsx or .csv file to import.")
        parser.add_argument("--year", type=int, required=True, help="The annual report's year.")
        parser.add_argument(
            "--create-departments",
            action="store_true",
            help="Create departments named by section headings that do not exist yet.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Only show what would be imported."
        )
        parser.add_argument(
            "--free-status",
            choices=ActionStatus.values,
            default="",
            help=(
                "The status of status cells written as free text, without a status word "
                "(default: not_assessed). Their text is kept as it is."
            ),
        )
        add_user_argument(parser)

    def handle(self, *args, **options):
        path = options["file"]
        name = os.path.basename(path)
        year = options["year"]
        if not 1990 <= year <= 2200:
            raise CommandError(f"--year skal være mellem 1990 og 2200, ikke {year}.")
        try:
            check_size(name, os.path.getsize(path))
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CommandError(f"Filen {path} kan ikke læses ({exc.strerror}).") from exc
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        create = options["create_departments"]
        try:
            free = options["free_status"]
            if options["dry_run"]:
                plan = import_preview(
                    name=name, data=data, year=year, create_departments=create, free_status=free
                )
            else:
                actor = command_actor(options["user"])
                plan = import_commit(
                    actor=actor,
                    name=name,
                    data=data,
                    year=year,
                    create_departments=create,
                    free_status=free,
                ).plan
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        self._report(plan, dry_run=options["dry_run"])

    def _report(self, plan: ImportPlan, *, dry_run: bool) -> None:
        verb = "Ville importere" if dry_run else "Importerede"
        self.stdout.write(f"{verb} {plan.document.name} til årsberetningen {plan.year}.")
        for section in plan.sections:
            heading = section.heading or "hele organisationen"
            self.stdout.write(f"  {heading}: {len(section.recommendations)} anbefalinger")
        for warning in plan.warnings:
            self.stdout.write(f"  advarsel: {warning.message}")
        self.stdout.write(json.dumps(plan.summary(), ensure_ascii=False))
