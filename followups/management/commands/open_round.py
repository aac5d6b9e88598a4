"""Open a follow-up round, as Runder → Åbn en ny runde does (followups.services.round_open)."""

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError

from core.commands import ProductLanguageCommand, date_argument
from core.errors import ServiceError
from departments.scripting import add_user_argument, command_actor
from followups.management.commands._rounds import annual_report
from followups.models import FollowUpRound
from followups.services import round_open


class Command(ProductLanguageCommand):
    help = (
        "Open a round (an action plan, which creates each responsible department's tasks, or "
        "a status round) for the annual report of --year."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="The annual report's year.")
        parser.add_argument("--kind", required=True, choices=FollowUpRound.Kind.values)
        parser.add_argument("--name", required=True, help="E.g. 'Status 2026'.")
        parser.add_argument("--deadline", required=True, type=date_argument, help="YYYY-MM-DD")
        parser.add_argument(
            "--meeting", type=date_argument, help="The committee meeting (YYYY-MM-DD)."
        )
        add_user_argument(parser)

    def handle(self, *args, **options):
        actor = command_actor(options["user"])
        try:
            round = round_open(
                actor=actor,
                report=annual_report(options["year"]),
                name=options["name"],
                kind=options["kind"],
                deadline=options["deadline"],
                meeting_date=options["meeting"],
            )
        except (ServiceError, PermissionDenied) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        self.stdout.write(
            f"Åbnede “{round.name}” ({round.get_kind_display().lower()}) "
            f"for årsberetningen {round.report.year}."
        )
