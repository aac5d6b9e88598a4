"""Form fields follow the design system: labels, hints and errors wired with aria attributes."""

from django import forms
from django.template.loader import render_to_string

from core.forms import DkfdsFormMixin, LongTextField
from core.text import TEXT_MAX_LENGTH


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


# --- free text: at most TEXT_MAX_LENGTH characters as typed (issue 19) ------------------------


class TextForm(DkfdsFormMixin, forms.Form):
    text = LongTextField(label="Tekst", required=False)


def test_long_text_counts_a_line_break_once_and_stores_it_as_one():
    typed = "a\r\n" * 5000  # 10,000 characters in the browser's count, 15,000 bytes sent
    form = TextForm(data={"text": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["text"] == ("a\n" * 5000).strip()


def test_long_text_over_the_limit_has_a_danish_message_and_the_browser_limit():
    from django.utils import translation

    with translation.override("da"):
        form = TextForm(data={"text": "æ" * (TEXT_MAX_LENGTH + 1)})
        assert not form.is_valid()
        assert form.errors["text"] == [
            "Teksten må højst være på 10000 tegn (et linjeskift tæller som ét tegn); "
            "den er på 10001 tegn nu."
        ]
    assert f'maxlength="{TEXT_MAX_LENGTH}"' in str(TextForm()["text"])
    assert TextForm(data={"text": "æ" * TEXT_MAX_LENGTH}).is_valid()
