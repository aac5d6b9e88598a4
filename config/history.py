"""Writing tracked models so that every change leaves one history row with its actor."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from config.errors import ServiceError


def save_tracked(
    instance: models.Model,
    *,
    actor: Any,
    update_fields: Iterable[str] | None = None,
    reason: str = "",
) -> None:
    """Save through the ORM so django-simple-history records who made the change."""
    instance._history_user = actor  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]
    try:
        instance.full_clean()
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages)) from exc
    if update_fields is not None:
        instance.save(update_fields=list(update_fields))
    else:
        instance.save()
