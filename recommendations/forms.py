"""Forms for registering reports and recommendations and assessing answers."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput, DkfdsFormMixin, LongTextField
from departments.models import Department
from recommendations.models import Recommendation, Theme


class ReportForm(DkfdsFormMixin, forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2200)
    title = forms.CharField(label=_("Title"), max_length=300)
    published_on = forms.DateField(label=_("Published on"), required=False, widget=DateInput)
    case_number = forms.CharField(label=_("Case number"), max_length=60, required=False)
    document_number = forms.CharField(label=_("Document number"), max_length=60, required=False)
    introduction = LongTextField(
        label=_("Introduction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Lines starting with '- ' become bullet lists."),
    )


class RecommendationForm(DkfdsFormMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    theme = forms.CharField(
        label=_("Theme"),
        max_length=150,
        help_text=_("An existing theme is reused whatever its case; a new name creates a theme."),
        widget=forms.TextInput(attrs={"list": "theme-options", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Recommendation.Kind.choices)
    text = LongTextField(
        label=_("Recommendation"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Lines starting with '- ' become bullet lists."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"), choices=Recommendation.Scope.choices, widget=forms.RadioSelect
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=Department.objects.active(),
        required=False,
        help_text=_("Only when the recommendation concerns named departments."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def theme_names(self) -> list[str]:
        return list(Theme.objects.values_list("name", flat=True))


class AnswerForm(DkfdsFormMixin, forms.Form):
    """A form on the recommendation page that writes two of its fields: the service's keyword
    arguments are the form's fields, `MODEL_FIELDS` says where each is stored."""

    MODEL_FIELDS: dict[str, str] = {}

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def initial_for(cls, recommendation: Recommendation) -> AnswerForm:
        initial = {name: getattr(recommendation, attr) for name, attr in cls.MODEL_FIELDS.items()}
        return cls(initial={**initial, "version": recommendation.version})

    def service_kwargs(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.MODEL_FIELDS}


class ResponseForm(AnswerForm):
    MODEL_FIELDS = {"response": "response", "reason": "response_reason"}

    response = forms.ChoiceField(
        label=_("The administration's response"), choices=Recommendation.Response.choices
    )
    reason = LongTextField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when the recommendation is not accepted."),
    )


class AssessmentForm(AnswerForm):
    MODEL_FIELDS = {"assessment": "assessment", "note": "assessment_note"}

    assessment = forms.ChoiceField(
        label=_("The ombudsman's assessment"), choices=Recommendation.Assessment.choices
    )
    note = LongTextField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class LinkForm(DkfdsFormMixin, forms.Form):
    previous = forms.ModelChoiceField(
        label=_("Earlier recommendation"),
        queryset=Recommendation.objects.none(),
        required=False,
        help_text=_("Leave empty to remove the link."),
    )
    link_kind = forms.ChoiceField(
        label=_("Kind of link"),
        choices=[("", "–"), *Recommendation.LinkKind.choices],
        required=False,
    )

    def __init__(self, *args, recommendation: Recommendation, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["previous"]).queryset = (
            Recommendation.objects.filter(report__year__lt=recommendation.report.year)
            .select_related("report", "theme")
            .order_by("-report__year", "number")
        )
