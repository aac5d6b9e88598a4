from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportingConfig(AppConfig):
    """Importing follow-up documents: above `followups`, since it writes recommendations
    and follow-ups through both apps' services."""

    name = "importing"
    verbose_name = _("Import")

    def ready(self) -> None:
        from django.core import checks

        from importing.staging import check_staging_dir

        checks.register(check_staging_dir, checks.Tags.security)
