from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DkfdsFormMixin
from notifications.models import Kind, RoundReminderPlan


class PreferencesForm(DkfdsFormMixin, forms.Form):
    enabled_kinds = forms.MultipleChoiceField(
        label=_("E-mails I want"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-checkbox"}),
        help_text=_("Several things of one kind on the same day come in one e-mail."),
    )


class ReminderPlanForm(DkfdsFormMixin, forms.ModelForm):
    class Meta:
        model = RoundReminderPlan
        fields = ["days_before", "grace_days"]

    def service_kwargs(self) -> dict:
        return {
            "days_before": self.cleaned_data["days_before"],
            "grace_days": self.cleaned_data["grace_days"],
        }
