"""Form fields follow the design system: labels, hints and errors wired with aria attributes."""

from django import forms
from django.template.loader import render_to_string

from config.forms import DkfdsFormMixin


class SampleForm(DkfdsFormMixin, forms.Form):
    title = forms.CharField(label="Titel", help_text="Kort titel.")
    confirm = forms.BooleanField(label="Bekræft", required=False)


def test_checkbox_input_comes_before_its_label_so_the_box_is_drawn():
    html = render_to_string("includes/form_fields.html", {"form": SampleForm()})
    box = html.index('type="checkbox"')
    label = html.index('for="id_confirm"')
    assert box < label
    assert "form-checkbox" in html[box - 10 : box + 80]


def test_text_field_has_label_hint_and_error_linked():
    form = SampleForm(data={"title": ""})
    assert not form.is_valid()
    html = render_to_string("includes/form_fields.html", {"form": form})
    assert html.index('for="id_title"') < html.index('name="title"')
    assert 'aria-describedby="hint-title error-title"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="error-title"' in html
