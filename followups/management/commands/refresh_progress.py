"""Recompute the progress read model (FollowUpProgress) from the status updates."""

import time

from django.core.cache import cache
from django.core.management.base import BaseCommand

from followups.services import followup_progress_refresh


class Command(BaseCommand):
    help = (
        "Recompute every follow-up's latest status and completion date from its status "
        "updates (the services keep them in step; this is for repairs and checks)."
    )

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        written = followup_progress_refresh()
        # The dashboard's figures are keyed by history ids, which a repair does not move.
        cache.clear()
        self.stdout.write(f"{written:,} follow-ups, in {time.perf_counter() - started:.1f} s.")
