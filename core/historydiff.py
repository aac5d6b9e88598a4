"""Field-by-field history, built from django-simple-history rows without a query per row."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

KIND_LABELS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}


@dataclass
class Change:
    field: str
    label: str
    old: Any
    new: Any


@dataclass
class Entry:
    date: datetime.datetime
    user: Any
    kind: str
    subject: str
    record: Any
    reason: str = ""
    changes: list[Change] = field(default_factory=list)
    restorable: bool = False

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


def _own_field(model: type[models.Model], name: str) -> models.Field:
    """The model's field `name` (history shows the model's own fields, no reverse relations)."""
    model_field = model._meta.get_field(name)
    if not isinstance(model_field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a field of its own")
    return model_field


def _name(obj: Any) -> str:
    """A related object in words; a user by full name (as pages name people), else username."""
    full_name = getattr(obj, "get_full_name", None)
    return (full_name() if full_name else "") or str(obj)


def _display(model: type[models.Model], name: str, value: Any, names: dict) -> Any:
    model_field = _own_field(model, name)
    if value in (None, ""):
        return ""
    if model_field.choices:
        return dict(model_field.flatchoices).get(value, value)
    if isinstance(model_field, models.ForeignKey):
        return names.get((name, value), value)
    return value


def history_entries(
    records: list[Any],
    *,
    model: type[models.Model],
    fields: list[str],
    subject: str,
    restorable: bool = False,
) -> list[Entry]:
    """Entries newest first; `records` are historical rows of ONE object, any order."""
    records = sorted(records, key=lambda r: (r.history_date, r.history_id))
    names: dict[tuple[str, Any], str] = {}
    for name in fields:
        model_field = model._meta.get_field(name)
        if isinstance(model_field, models.ForeignKey):
            ids = {getattr(r, model_field.attname) for r in records} - {None}
            related = model_field.related_model._default_manager.in_bulk(ids)
            names.update({(name, pk): _name(obj) for pk, obj in related.items()})
    entries: list[Entry] = []
    previous = None
    for record in records:
        changes = []
        for name in fields:
            attname = _own_field(model, name).attname
            new = getattr(record, attname)
            old = getattr(previous, attname) if previous is not None else None
            if previous is None and new in (None, ""):
                continue
            if previous is None or old != new:
                changes.append(
                    Change(
                        field=name,
                        label=str(_own_field(model, name).verbose_name),
                        old=_display(model, name, old, names),
                        new=_display(model, name, new, names),
                    )
                )
        entries.append(
            Entry(
                date=record.history_date,
                user=record.history_user,
                kind=record.history_type,
                subject=subject,
                record=record,
                reason=record.history_change_reason or "",
                changes=changes,
                restorable=restorable and previous is not None,
            )
        )
        previous = record
    entries.reverse()
    return entries
