from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from followups.models import ActionStatus
from importing.security import Limits


def _last_year() -> int:
    return timezone.localdate().year - 1


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=format_lazy(
            _(
                "A Word (.docx), Excel (.xlsx) or CSV (.csv) file of at most {mb} MB with the "
                "tables Tema | Anbefaling | Opfølgning (and optionally Status)."
            ),
            mb=lazy(lambda: Limits.from_settings().max_bytes // (1024 * 1024), int)(),
        ),
        widget=forms.ClearableFileInput(
            attrs={"class": "form-file-input", "accept": ".docx,.xlsx,.csv"}
        ),
    )
    year = forms.IntegerField(
        label=_("Annual report year"),
        min_value=1990,
        max_value=2200,
        initial=_last_year,
        help_text=_("The report is created if it does not exist yet."),
        widget=forms.NumberInput(attrs={"class": "form-input input-width-xs"}),
    )
    create_departments = forms.BooleanField(
        label=_("Create departments named in section headings that do not exist yet"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-checkbox"}),
    )


class CommitForm(forms.Form):
    """What the preview page posts back: the staged file's checksum and the plan it showed."""

    sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
    fingerprint = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
    # The status chosen in the preview for status cells written as free text.
    free_status = forms.ChoiceField(
        choices=ActionStatus.choices, required=False, widget=forms.HiddenInput
    )
