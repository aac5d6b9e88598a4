"""Publish a round, as the round page's button does (followups.services.round_publish)."""

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError

from core.commands import ProductLanguageCommand
from core.errors import ServiceError
from departments.scripting import add_user_argument, command_actor
from followups.management.commands._rounds import named_round
from followups.services import round_publish


class Command(ProductLanguageCommand):
    help = "Publish the closed round --name of the annual report of --year."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="The annual report's year.")
        parser.add_argument("--name", required=True, help="The round's name.")
        add_user_argument(parser)

    def handle(self, *args, **options):
        actor = command_actor(options["user"])
        round = named_round(options["year"], options["name"])
        try:
            round = round_publish(round=round, actor=actor)
        except (ServiceError, PermissionDenied) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        self.stdout.write(
            f"“{round.name}” for årsberetningen {round.report.year} er nu "
            f"{round.get_state_display().lower()}."
        )
