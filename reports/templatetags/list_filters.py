"""The lists' filter form: `{% filter_form form %}` renders lists/_filter_form.html."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms, template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@dataclass
class Choice:
    value: str
    label: str
    selected: bool


@dataclass
class FilterField:
    """What the template needs of one filter field. `kind`: "checkbox", "group" (checkboxes
    in a fieldset with its own legend), "select" or "search"."""

    kind: str
    name: str
    id: str
    label: str
    help_text: str
    hint_id: str
    errors: list[str]
    value: str = ""
    checked: bool = False
    choices: list[Choice] = field(default_factory=list)
    # A select's <option>s, joined here: the ~200 options of a list page took 15 times as
    # long through a template loop (or Django's per-option widget templates).
    options: SafeString = field(default_factory=SafeString)


def select_options(choices: Iterable[tuple[Any, Any]], selected: set[str]) -> SafeString:
    """A select's <option>s, an empty one ("–") first; plain escaping and join (format_html
    per option is slow). The standard library's html.escape, which Django's escape() calls
    after its lazy-string wrapper: the same output, a third of the time."""
    parts = ['<option value="">–</option>']
    for value, label in choices:
        if value in ("", None):
            continue
        value = str(value)
        mark = " selected" if value in selected else ""
        parts.append(
            f'<option value="{html.escape(value)}"{mark}>{html.escape(str(label))}</option>'
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value and label is escaped)


def filter_field(bound: forms.BoundField) -> FilterField:
    """One visible field of a list's filter form, with its value as the form holds it."""
    widget = bound.field.widget
    help_text = str(bound.field.help_text or "")
    shown = FilterField(
        kind="search",
        name=bound.html_name,
        id=bound.id_for_label or f"id_{bound.html_name}",
        label=str(bound.label),
        help_text=help_text,
        hint_id=f"hint-{bound.html_name}" if help_text else "",
        errors=[str(error) for error in bound.errors],
    )
    value = bound.value()
    if isinstance(widget, forms.CheckboxInput):
        shown.kind = "checkbox"
        shown.checked = value in (True, "true", "on", "True")
    elif isinstance(widget, forms.CheckboxSelectMultiple):
        shown.kind = "group"
        selected = {str(v) for v in (value or [])}
        shown.choices = [
            Choice(str(v), str(label), str(v) in selected) for v, label in _choices(bound.field)
        ]
    elif isinstance(widget, forms.Select):
        shown.kind = "select"
        selected = {str(value)} if value not in (None, "") else set()
        shown.options = select_options(_choices(bound.field), selected)
    else:
        shown.value = str(value or "")
    return shown


def _choices(field: forms.Field) -> Iterable[tuple[Any, Any]]:
    if not isinstance(field, forms.ChoiceField):
        return ()
    # django-stubs types the getter as the setter's input (callables, mappings); Django's
    # getter gives the normalised (value, label) pairs.
    choices: Iterable[tuple[Any, Any]] = field.choices  # type: ignore[assignment]
    return choices


@register.inclusion_tag("lists/_filter_form.html")
def filter_form(form: forms.Form) -> dict[str, Any]:
    """The filter form of a list: its visible fields with their labels, hints and errors."""
    return {"form": form, "fields": [filter_field(bound) for bound in form.visible_fields()]}
