from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # Publishing a round (followups, below us) schedules its edition through this hook.
        from simple_history.signals import post_create_historical_record

        from followups.services import round_publish_hook
        from reports.current import history_recorded
        from reports.services import edition_schedule

        round_publish_hook(edition_schedule)
        # Every change of domain data leaves a history row: the current reports of its year
        # are marked for the worker after the commit (reports/current.py, README "Design").
        post_create_historical_record.connect(history_recorded, dispatch_uid="reports.current")
