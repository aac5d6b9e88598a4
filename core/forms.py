"""Form helpers shared by the apps: dkfds widget classes, accessible error hints and the
length limit of free text."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.text import TEXT_MAX_LENGTH, normalise_newlines

MSG_TEXT_TOO_LONG = _(
    "The text can be at most %(limit_value)s characters long (a line break counts as one); "
    "it is %(show_value)s characters long now."
)

WIDGET_CLASSES = {
    forms.CheckboxInput: "form-checkbox",
    forms.Textarea: "form-input",
    forms.Select: "form-select",
    forms.SelectMultiple: "form-select",
    forms.DateInput: "form-input form-input-date",
    forms.TextInput: "form-input",
    forms.NumberInput: "form-input",
    forms.ClearableFileInput: "form-file-input",
}


class DkfdsFormMixin:
    """Give widgets the design system's classes and link errors/hints with aria attributes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepare_fields()
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            widget = field.widget
            css = next((c for t, c in WIDGET_CLASSES.items() if isinstance(widget, t)), "")
            if css:
                classes = widget.attrs.get("class", "").split()
                classes += [c for c in css.split() if c not in classes]
                widget.attrs["class"] = " ".join(classes)
            described = []
            if field.help_text:
                described.append(f"hint-{self.add_prefix(name)}")  # type: ignore[attr-defined]
            if self.is_bound and name in self.errors:  # type: ignore[attr-defined]
                described.append(f"error-{self.add_prefix(name)}")  # type: ignore[attr-defined]
                widget.attrs["aria-invalid"] = "true"
            if described:
                widget.attrs["aria-describedby"] = " ".join(described)

    def prepare_fields(self) -> None:
        """Adjust the fields (e.g. a choice's queryset) before a bound form is validated."""


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class LongTextField(forms.CharField):
    """Free text in a textarea, at most TEXT_MAX_LENGTH characters as the user typed them.

    Browsers send a textarea's line breaks as CR LF but count each as one character against
    its maxlength, so line breaks are made LF before the text is counted (and stored): a
    text the browser let through is never refused for its line breaks."""

    widget = forms.Textarea
    default_error_messages = {"max_length": MSG_TEXT_TOO_LONG}

    def __init__(self, *, max_length: int | None = TEXT_MAX_LENGTH, **kwargs):
        super().__init__(max_length=max_length, **kwargs)

    def to_python(self, value):
        return normalise_newlines(super().to_python(value))
