"""Admin base: every admin save goes through a service, never a raw model save."""

from django import forms
from django.contrib import messages
from django.contrib.admin import widgets
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from core.errors import ServiceError
from core.forms import LongTextField


class VersionedAdminForm(forms.ModelForm):
    """Carries the version of the object as the form was loaded (0: a new object), which the
    admin passes to the service as `expected_version`: a save over a change made meanwhile is
    refused, as on the app's own forms."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # On the history page's revert form too: django-simple-history rebuilds the old
        # version with the current row's excluded fields, the version among them.
        self.fields["expected_version"].initial = self.instance.version if self.instance.pk else 0


class ServiceAdmin(SimpleHistoryAdmin):
    """Subclasses implement `create` and `update`; deletion is off for tracked data. Models
    with a `version` get VersionedAdminForm's hidden expected version."""

    # Free text counted as on the app's forms (a line break as one character).
    formfield_overrides = {
        models.TextField: {"form_class": LongTextField, "widget": widgets.AdminTextareaWidget}
    }

    @property
    def versioned(self) -> bool:
        return any(field.name == "version" for field in self.model._meta.concrete_fields)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if self.versioned and "form" not in kwargs:
            base = self.form
            kwargs["form"] = type(f"Versioned{base.__name__}", (VersionedAdminForm, base), {})
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if self.versioned and "expected_version" not in fields:
            fields.append("expected_version")
        return fields

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def create(self, request: HttpRequest, form):  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self, request: HttpRequest, obj, form):  # pragma: no cover - abstract
        raise NotImplementedError

    def save_model(self, request, obj, form, change) -> None:
        saved = self.update(request, obj, form) if change else self.create(request, form)
        # The admin reads obj.pk afterwards to build its redirect and log entry.
        obj.pk = saved.pk
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if not k.startswith("_")})

    def save_related(self, request, form, formsets, change) -> None:
        """Relations are written by the services, not by the admin's m2m saving."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as exc:
            # The admin's transaction has rolled back; show why and let the user retry.
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def run_action(modeladmin, request, queryset, service, **kwargs) -> None:
    """Apply a workflow service to each selected object and report what happened."""
    done = 0
    for obj in queryset:
        try:
            service(actor=request.user, **{modeladmin.action_object_kwarg: obj}, **kwargs)
            done += 1
        except (ServiceError, PermissionDenied) as exc:
            message = exc.message if isinstance(exc, ServiceError) else str(exc)
            modeladmin.message_user(request, f"{obj}: {message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{done} ✓", messages.SUCCESS)
