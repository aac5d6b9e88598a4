from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # Publishing a round (followups, below us) schedules its edition through this hook.
        from followups.services import round_publish_hook
        from reports.services import edition_schedule

        round_publish_hook(edition_schedule)
