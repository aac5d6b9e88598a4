from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        from core import pageparts
        from followups.views import recommendation_followups

        pageparts.register("recommendation", recommendation_followups)
