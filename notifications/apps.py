from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    """E-mail to the people who must act: rounds, deadlines, workflow steps, mentions
    (issue 21)."""

    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from core import pageparts
        from notifications import handlers, views

        handlers.register()
        pageparts.register("round", views.round_section)
