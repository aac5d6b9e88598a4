"""Render the current reports (reports/current.py) now, in this process.

The worker renders them by itself after every change; this is for the operator: after an
upgrade that changes the document (every stored PDF is then of the old template), or with a
task backend that cannot defer (development), or to see what a year's current reports are.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from reports.current import current_reports_render


class Command(BaseCommand):
    help = "Render the council's current report PDFs whose content has no stored file."

    def add_arguments(self, parser):
        parser.add_argument(
            "--year", type=int, action="append", help="Only this year (may be repeated)."
        )
        parser.add_argument(
            "--changed", action="store_true", help="Only the years changed since their last pass."
        )

    def handle(self, *args, **options):
        years = set(options["year"]) if options["year"] else None
        done = current_reports_render(years=years, changed_only=options["changed"])
        for year, result in done.items():
            self.stdout.write(
                f"{year}: {len(result['rendered'])} dannet, {len(result['stored'])} gemt, "
                f"{len(result['skipped'])} sprunget over."
            )
        if not done:
            self.stdout.write("Ingen aktuelle rapporter at danne.")
