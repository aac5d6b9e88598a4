from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ServiceAdmin
from departments.models import Department
from recommendations.models import (
    AnnualReport,
    Recommendation,
    RecommendationDepartment,
    Theme,
)
from recommendations.services import (
    recommendation_assess,
    recommendation_create,
    recommendation_link,
    recommendation_set_response,
    recommendation_update,
    report_create,
    report_update,
    theme_get_or_create,
    theme_update,
)


@admin.register(AnnualReport)
class AnnualReportAdmin(ServiceAdmin):
    list_display = ["year", "title", "published_on", "case_number"]
    search_fields = ["title", "case_number", "document_number"]
    fields = [
        "year",
        "title",
        "published_on",
        "case_number",
        "document_number",
        "introduction",
        "document",
    ]

    def get_readonly_fields(self, request, obj=None):
        return ["year", "document"] if obj else []

    def create(self, request, form):
        return report_create(actor=request.user, **form.cleaned_data)

    def update(self, request, obj, form):
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("year", "document")}
        return report_update(report=obj, actor=request.user, **data)


@admin.register(Theme)
class ThemeAdmin(ServiceAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    fields = ["name", "description"]

    def create(self, request, form):
        return theme_get_or_create(actor=request.user, **form.cleaned_data)

    def update(self, request, obj, form):
        return theme_update(theme=obj, actor=request.user, **form.cleaned_data)


class RecommendationAdminForm(forms.ModelForm):
    named_departments = forms.ModelMultipleChoiceField(
        queryset=Department.objects.all(),
        required=False,
        label=_("departments"),
        help_text=_("The units the recommendation names (only when scope is named departments)."),
    )

    class Meta:
        model = Recommendation
        fields = ["report", "number", *Recommendation.CONTENT_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["named_departments"].initial = list(self.instance.departments.all())


@admin.register(Recommendation)
class RecommendationAdmin(ServiceAdmin):
    form = RecommendationAdminForm
    list_display = ["__str__", "kind", "scope", "response", "assessment"]
    list_filter = ["report", "theme", "kind", "scope", "response", "assessment"]
    search_fields = ["text"]
    autocomplete_fields = ["theme", "previous"]
    list_select_related = ["report", "theme"]

    def get_readonly_fields(self, request, obj=None):
        return ["report", "number"] if obj else []

    def create(self, request, form):
        data = dict(form.cleaned_data)
        return recommendation_create(
            actor=request.user,
            report=data["report"],
            theme=data["theme"],
            number=data["number"],
            text=data["text"],
            kind=data["kind"],
            scope=data["scope"],
            departments=list(data["named_departments"]),
            response=data["response"],
            response_reason=data["response_reason"],
            previous=data["previous"],
            link_kind=data["link_kind"],
        )

    def update(self, request, obj, form):
        data = form.cleaned_data
        original = Recommendation.objects.get(pk=obj.pk)
        recommendation = recommendation_update(
            recommendation=original,
            actor=request.user,
            expected_version=data["expected_version"],
            theme=data["theme"],
            text=data["text"],
            kind=data["kind"],
            scope=data["scope"],
            departments=list(data["named_departments"]),
        )
        if data["response"] and (data["response"], data["response_reason"]) != (
            original.response,
            original.response_reason,
        ):
            recommendation = recommendation_set_response(
                recommendation=recommendation,
                actor=request.user,
                response=data["response"],
                reason=data["response_reason"],
            )
        if data["assessment"] and (data["assessment"], data["assessment_note"]) != (
            original.assessment,
            original.assessment_note,
        ):
            recommendation = recommendation_assess(
                recommendation=recommendation,
                actor=request.user,
                assessment=data["assessment"],
                note=data["assessment_note"],
            )
        if (data["previous"], data["link_kind"]) != (original.previous, original.link_kind):
            recommendation = recommendation_link(
                recommendation=recommendation,
                actor=request.user,
                previous=data["previous"],
                link_kind=data["link_kind"],
            )
        return recommendation


@admin.register(RecommendationDepartment)
class RecommendationDepartmentAdmin(ServiceAdmin):
    """Read-only: scope rows are written by the recommendation's services."""

    list_display = ["recommendation", "department"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
