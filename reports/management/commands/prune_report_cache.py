"""Prune the report cache to REPORT_CACHE_MAX_AGE and REPORT_CACHE_MAX_BYTES.

Every new rendering prunes the cache too; run this from cron (or a scheduler) so the cache
also shrinks while nothing is rendered.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from reports.rendering import prune_cache


class Command(BaseCommand):
    help = "Delete cached report PDFs older or beyond the configured age and size."

    def handle(self, *args, **options):
        result = prune_cache()
        self.stdout.write(
            f"Slettede {result.deleted} gemte PDF'er; {result.kept} tilbage "
            f"({result.kept_bytes} bytes)."
        )
