from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollaborationConfig(AppConfig):
    """Comments on follow-ups and recommendations, and evidence attached to them (issue 21)."""

    name = "collaboration"
    verbose_name = _("Comments and attachments")

    def ready(self) -> None:
        from collaboration.parts import followup_part, recommendation_part
        from collaboration.services import comments_and_files_move, status_files_move
        from core import events, pageparts

        pageparts.register("followup", followup_part)
        pageparts.register("recommendation", recommendation_part)
        # A placed line joining a department's follow-up takes its thread and files along.
        events.on("followup_merging", comments_and_files_move)
        events.on("status_merging", status_files_move)
