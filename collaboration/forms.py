"""Forms for a comment and an attached file. Plain forms: only the listed fields are read."""

from __future__ import annotations

import copy

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DkfdsFormMixin, LongTextField

# The value of the attachment form's `target` that means the follow-up itself.
TARGET_FOLLOWUP = "followup"
ACCEPT = ".pdf,.docx,.xlsx,.png,.jpg,.jpeg"


class CommentForm(DkfdsFormMixin, forms.Form):
    text = LongTextField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Lines starting with '- ' become bullets. Write @username to mention a colleague "
            "who can see this page."
        ),
    )


class AttachmentForm(DkfdsFormMixin, forms.Form):
    """The file and what it documents: the follow-up, or its status in the open round."""

    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=_("PDF, Word (.docx), Excel (.xlsx), PNG or JPEG, at most %(limit)s MB."),
    )
    target = forms.ChoiceField(
        label=_("Attach to"),
        widget=forms.RadioSelect,
        initial=TARGET_FOLLOWUP,
    )

    def __init__(self, *args, status_choices: list[tuple[str, str]], limit_mb: int, **kwargs):
        # The choices go on this form's own copy of the fields before the mixin's __init__
        # validates a bound form.
        fields = copy.deepcopy(type(self).base_fields)
        fields["file"].help_text = str(fields["file"].help_text) % {"limit": limit_mb}
        target = fields["target"]
        assert isinstance(target, forms.ChoiceField)  # noqa: S101 (declared above)
        target.choices = [(TARGET_FOLLOWUP, _("The follow-up")), *status_choices]
        if not status_choices:
            target.widget = forms.HiddenInput()
        self.base_fields = fields  # type: ignore[misc]
        super().__init__(*args, **kwargs)


class CouncilMarkForm(forms.Form):
    for_council = forms.BooleanField(required=False)
