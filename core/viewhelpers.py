"""Small helpers the apps' views share."""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django import forms
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django_htmx.middleware import HtmxDetails

from core.errors import ConflictError, ServiceError

T = TypeVar("T")


class HtmxHttpRequest(HttpRequest):
    """A request as views get it (for type checking): django-htmx's middleware, which every
    request passes, says whether htmx sent it."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request to a view behind login_required (for type checking): the user is signed in."""

    user: User


def call_service(form: forms.Form, service: Callable[..., T], /, **kwargs: Any) -> T | None:
    """Run a write; a refusal becomes an error of the field it names (else of the whole
    form) and None is returned.

    ConflictError is not caught: the caller shows the conflict page instead.
    """
    try:
        return service(**kwargs)
    except ConflictError:
        raise
    except ServiceError as exc:
        field = exc.on_field if exc.on_field in form.fields else None
        form.add_error(field, exc.message)
        return None


def render_partial_or_page(
    request: HttpRequest,
    partial: str,
    page: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """htmx requests get the fragment; ordinary requests the whole page around it."""
    template = partial if getattr(request, "htmx", False) else page
    return render(request, template, {**context, "partial": partial}, status=status)


def render_conflict(
    request: HttpRequest,
    *,
    title: str,
    rows: Sequence[tuple[str | Promise | None, Any, Any]],
    changed_by: Any,
    changed_at: Any,
    back_url: str,
    retry_form: forms.Form | None = None,
    retry_url: str = "",
    clashes: list[Any] | None = None,
) -> HttpResponse:
    """409 page showing the user's text beside the text saved meanwhile; nothing is saved.
    `clashes`: the labels of the fields both changed (the retry form asks which to keep)."""
    return render(
        request,
        "_conflict.html" if getattr(request, "htmx", False) else "conflict.html",
        {
            "title": title,
            "rows": rows,
            "changed_by": changed_by,
            "changed_at": changed_at,
            "back_url": back_url,
            "retry_form": retry_form,
            "retry_url": retry_url,
            "clashes": clashes,
            "partial": getattr(request, "htmx", False),
        },
        status=409,
    )


def history_page(
    request: HttpRequest,
    *,
    template: str,
    name: str,
    obj,
    entries: Callable[[Any], list],
    can_restore: bool,
    restore: Callable[..., Any] | None = None,
    history_id: int | None = None,
    done_url: str = "",
) -> HttpResponse:
    """A history page; with `restore`, first restore `history_id` through that service.

    `can_restore`: whether the page offers restoring (the caller asks the access rule).
    A refused restore shows the page again with the message (422); a restore redirects back.
    """
    error = None
    if restore is not None:
        try:
            restore(**{name: obj}, history_id=history_id, actor=request.user)
        except ServiceError as exc:
            error = exc.message
        else:
            return redirect(done_url)
    context = {
        name: obj,
        "entries": entries(obj),
        "can_restore": can_restore,
        "error": error,
    }
    return render(request, template, context, status=422 if error else 200)
