from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        from followups.views import recommendation_followups
        from recommendations.views import recommendation_page_part

        recommendation_page_part(recommendation_followups)
