from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollaborationConfig(AppConfig):
    """Comments on follow-ups and recommendations, and evidence attached to them (issue 21)."""

    name = "collaboration"
    verbose_name = _("Comments and attachments")

    def ready(self) -> None:
        from collaboration.parts import followup_part, recommendation_part
        from core import pageparts

        pageparts.register("followup", followup_part)
        pageparts.register("recommendation", recommendation_part)
