"""What the round commands share: the annual report and the round. The acting user is
departments.scripting's, the date arguments core.commands'.

Not a command itself (Django skips modules starting with an underscore)."""

from __future__ import annotations

from django.core.management.base import CommandError

from followups.models import FollowUpRound
from recommendations.models import AnnualReport


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
