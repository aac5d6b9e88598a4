"""Writing tracked models so that every change leaves one history row with its actor."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from core.errors import ServiceError


def save_tracked(
    instance: models.Model,
    *,
    actor: Any,
    update_fields: Iterable[str] | None = None,
    reason: str = "",
) -> None:
    """Save through the ORM so django-simple-history records who made the change."""
    note_actor(instance, actor=actor, reason=reason)
    try:
        _full_clean(instance)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages)) from exc
    if update_fields is not None:
        instance.save(update_fields=list(update_fields))
    else:
        instance.save()


# django-simple-history reads these attributes off the instance it records; no model declares
# them, so they are set here only.
def note_actor(instance: models.Model, *, actor: Any, reason: str = "") -> None:
    """Name who makes the next save or delete of `instance` (and why) in its history row."""
    instance._history_user = actor  # type: ignore[attr-defined]
    if reason:
        instance._change_reason = reason  # type: ignore[attr-defined]


@contextmanager
def history_skipped(instance: models.Model) -> Iterator[None]:
    """Saves of `instance` inside leave no history row (the caller records one afterwards)."""
    instance.skip_history_when_saving = True  # type: ignore[attr-defined]
    try:
        yield
    finally:
        del instance.skip_history_when_saving  # type: ignore[attr-defined]


def _full_clean(instance: models.Model) -> None:
    """Model.full_clean, minus one query per foreign key whose object the caller already
    holds (a service passes loaded objects; the database's foreign key still guards against
    a row deleted meanwhile). Unique and other constraints are validated as usual."""
    held = {
        field.name
        for field in instance._meta.concrete_fields
        if isinstance(field, models.ForeignKey)
        and field.many_to_one  # not a OneToOneField
        and getattr(instance, field.attname) is not None
        and field.is_cached(instance)
        and getattr(instance, field.name).pk == getattr(instance, field.attname)
    }
    errors: dict = {}
    try:
        instance.clean_fields(exclude=held)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        instance.clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    invalid = {name for name in errors if name != NON_FIELD_ERRORS}
    try:
        instance.validate_unique(exclude=invalid)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        instance.validate_constraints(exclude=invalid)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
