"""What the project's management commands share."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation


class ProductLanguageCommand(BaseCommand):
    """A command that speaks the product's language (Danish): its messages, the services'
    errors it passes on and the documents it writes, whatever language the calling thread
    has active. Django leaves the caller's language in place, so the same command called
    after a request in English (a test client, a task in a web process) spoke English."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        with translation.override(settings.LANGUAGE_CODE):
            return super().execute(*args, **options)
