"""Form helpers shared by the apps: dkfds widget classes and accessible error hints."""

from django import forms

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


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
