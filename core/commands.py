"""What the project's management commands share."""

from __future__ import annotations

import argparse
import datetime
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


def date_argument(value: str) -> datetime.date:
    """An argparse `type` for YYYY-MM-DD. A bad date is a usage error (exit 2 with the
    command's usage, not a traceback); call_command raises it as a CommandError."""
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"“{value}” er ikke en dato (ÅÅÅÅ-MM-DD).") from exc
