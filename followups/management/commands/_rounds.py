"""What the round commands share: the acting user, the annual report and the round.

Not a command itself (Django skips modules starting with an underscore)."""

from __future__ import annotations

import argparse
import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from departments.access import GlobalRole, access_for
from departments.services import user_set_global_roles
from followups.models import FollowUpRound
from recommendations.models import AnnualReport

# The user scripted changes are attributed to when no --user is given (no password, so it
# cannot log in); the same system user import_report uses.
SYSTEM_USERNAME = "import"


def system_user():
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(
            username=SYSTEM_USERNAME, defaults={"first_name": "Import", "is_active": True}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        if not access_for(user).is_secretariat:
            user_set_global_roles(user=user, roles={GlobalRole.SECRETARIAT}, actor=None)
    return user


def command_actor(username: str | None):
    """The secretariat user named by --user, or the system user."""
    if not username:
        return system_user()
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"Der findes ingen aktiv bruger “{username}”.")
    if not access_for(user).is_secretariat:
        raise CommandError(f"“{username}” er ikke i sekretariatet.")
    return user


def add_user_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--user",
        help=(
            "Username of the secretariat user the changes are attributed to "
            f"(default: the system user '{SYSTEM_USERNAME}', created if missing)."
        ),
    )


def date_argument(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        # An argparse type error: the command line shows it as a usage error (exit 2), not
        # as a traceback; call_command raises it as a CommandError.
        raise argparse.ArgumentTypeError(f"“{value}” er ikke en dato (ÅÅÅÅ-MM-DD).") from exc


def annual_report(year: int) -> AnnualReport:
    report = AnnualReport.objects.filter(year=year).first()
    if report is None:
        raise CommandError(f"Der findes ingen årsberetning for {year}.")
    return report


def named_round(year: int, name: str | None) -> FollowUpRound:
    """The round called `name` of the year's report; without a name, its open round."""
    rounds = FollowUpRound.objects.filter(report=annual_report(year))
    round = rounds.filter(name__iexact=name.strip()).first() if name else rounds.open().first()
    if round is None:
        what = f"runde “{name}”" if name else "åben runde"
        raise CommandError(f"Årsberetningen {year} har ingen {what}.")
    return round
