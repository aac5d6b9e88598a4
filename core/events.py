"""Domain events: a lower app says what happened, the apps above act on it, and the lower app
never imports them (tests/test_layers.py).

A service calls `emit(name, **payload)` inside its transaction; the handlers registered for
`name` (`on(name, handler)`, from an AppConfig.ready) run after the transaction commits, each
with the payload as keyword arguments, so a rolled-back write notifies nobody and a failing
handler cannot undo the write (it is logged). Handlers must be quick: record, then defer
slow work (mail, rendering) to a task.

The events and their payloads (keyword arguments; model instances as they were saved):

| name | emitted by | payload |
| --- | --- | --- |
| `round_opened` | followups.services.round_open | round, actor |
| `followup_submitted` | followups.services.followup_submit | followup, actor |
| `followup_approved` | followups.services.followup_approve | followup, actor |
| `followup_returned` | followups.services.followup_return | followup, actor, comment |
| `followup_placed` | followups.services.followup_place | followup, actor |
| `followup_assigned` | followups.services (assignee set or changed) | followup, actor |
| `comment_added` | collaboration.services.comment_add | comment, actor, mentioned (users) |

Some work must be done *with* the write, not after it: before followup_place deletes a line
that joins a department's follow-up, what the apps above hold of it must move along. For
those, the service calls `run_now(name, **payload)`: the handlers run at once, inside the
transaction, and a failing one undoes the write.

| name (run_now) | called by followups.services.followup_place | payload |
| --- | --- | --- |
| `status_merging` | before a status is deleted | update, into, actor |
| `followup_merging` | before a follow-up is deleted | followup, into, actor |
| `attachment_added` | collaboration.services.attachment_add | attachment, actor |
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

logger = logging.getLogger("opfoelgning.events")

Handler = Callable[..., object]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def on(name: str, handler: Handler) -> Handler:
    """Register `handler(**payload)` for the event `name` (once per handler)."""
    if handler not in _handlers[name]:
        _handlers[name].append(handler)
    return handler


def handlers(name: str) -> list[Handler]:
    return list(_handlers.get(name, ()))


def _run(name: str, handler: Handler, payload: dict[str, Any]) -> None:
    try:
        handler(**payload)
    except Exception:
        logger.exception(
            "handler %s of event %s failed", getattr(handler, "__name__", handler), name
        )


def run_now(name: str, **payload: Any) -> None:
    """Run the handlers of `name` at once, inside the caller's transaction (errors propagate
    and undo the write)."""
    for handler in handlers(name):
        handler(**payload)


def emit(name: str, **payload: Any) -> None:
    """Run the handlers of `name` once the current transaction commits (at once outside one)."""
    for handler in handlers(name):
        transaction.on_commit(partial(_run, name, handler, payload), robust=True)
