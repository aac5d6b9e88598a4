from django.conf import settings
from django.contrib import admin

from accounts.models import ExternalIdentity
from accounts.services import external_identity_link
from core.admin import ServiceAdmin


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(ServiceAdmin):
    """Links made by sign-on, and by hand: linking an existing (password) user to their
    identity at the provider before their first sign-on keeps their account and history."""

    list_display = ["user", "subject", "issuer", "created_at"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "subject"]
    fields = ["user", "issuer", "subject"]
    autocomplete_fields = ["user"]

    def get_changeform_initial_data(self, request):
        return {"issuer": settings.OIDC_ISSUER, **super().get_changeform_initial_data(request)}

    def has_change_permission(self, request, obj=None) -> bool:
        # A link is never moved to another person: remove the identity instead (it is kept
        # in the history) and link anew.
        return False

    def create(self, request, form):
        return external_identity_link(actor=request.user, **form.cleaned_data)
