"""Sections that higher apps add to a lower app's page, so the page lives in the app whose
name it carries and never imports the apps above it (tests/test_layers.py).

A page names itself (`"recommendation"`, `"followup"`, `"round"`) and, in its view, asks
`parts_for(page, request, obj)`; an app above registers a maker in its AppConfig.ready:
`register(page, maker)`, where `maker(request, obj)` returns a `PagePart` (its template and
context) or None to add nothing. The page's template includes each part:

    {% for part in parts %}{% include part.template with part=part.context %}{% endfor %}

The pages and their objects: `recommendation` (a Recommendation), `followup` (a FollowUp;
the context also carries the page's `permissions`), `round` (a FollowUpRound).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class PagePart:
    template: str
    context: dict[str, Any]


PartMaker = Callable[[HttpRequest, Any], "PagePart | None"]
_makers: dict[str, list[PartMaker]] = defaultdict(list)


def register(page: str, maker: PartMaker) -> PartMaker:
    """Add `maker(request, obj)`'s section to `page` (once per maker)."""
    if maker not in _makers[page]:
        _makers[page].append(maker)
    return maker


def parts_for(page: str, request: HttpRequest, obj: Any) -> list[PagePart]:
    return [part for make in _makers.get(page, ()) if (part := make(request, obj)) is not None]
