from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DkfdsFormMixin
from notifications.models import Kind, RoundReminderPlan, validate_days_before


class PreferencesForm(DkfdsFormMixin, forms.Form):
    enabled_kinds = forms.MultipleChoiceField(
        label=_("E-mails I want"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-checkbox"}),
        help_text=_("Several things of one kind on the same day come in one e-mail."),
    )


class ReminderPlanForm(DkfdsFormMixin, forms.Form):
    """When a round's reminders go out (the fields of RoundReminderPlan)."""

    days_before = forms.CharField(
        label=_("days before the deadline"),
        max_length=50,
        validators=[validate_days_before],
        help_text=_(
            "Case officers of departments that have not answered are reminded this many days "
            "before the deadline (comma-separated)."
        ),
    )
    grace_days = forms.IntegerField(
        label=_("grace period (days)"),
        min_value=0,
        max_value=365,
        help_text=_(
            "Days after the deadline before the secretariat is told which departments are "
            "overdue (their managers are told the day after the deadline)."
        ),
    )

    @classmethod
    def of(cls, plan: RoundReminderPlan, data=None) -> ReminderPlanForm:
        return cls(data, initial={"days_before": plan.days_before, "grace_days": plan.grace_days})

    def service_kwargs(self) -> dict:
        return {
            "days_before": self.cleaned_data["days_before"],
            "grace_days": self.cleaned_data["grace_days"],
        }
