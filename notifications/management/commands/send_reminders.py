"""Record the reminders the open rounds are due today and mail what waits to be sent.

Idempotent: every reminder has a key recorded once, and each person gets at most one
e-mail of a kind a day, so it is safe to run hourly (cron, or the systemd timer in deploy/).
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifications.services import reminders_send


class Command(BaseCommand):
    help = "Send the rounds' reminders due today, and any notification e-mail still waiting."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            help="Act as if today were this date (YYYY-MM-DD); for trying a plan out.",
        )

    def handle(self, *args, date: str | None = None, **options) -> None:
        today = None
        if date:
            try:
                today = datetime.date.fromisoformat(date)
            except ValueError as exc:
                raise CommandError(f"--date: {exc}") from exc
        recorded = reminders_send(today=today)
        self.stdout.write(f"reminders recorded: {recorded}; sending queued")
