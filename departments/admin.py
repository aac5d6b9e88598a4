from django.contrib import admin

from config.admin import ServiceAdmin
from departments.models import Department, Membership
from departments.services import department_create, department_update, membership_set


@admin.register(Department)
class DepartmentAdmin(ServiceAdmin):
    list_display = ["name", "short_name", "kind", "parent", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "short_name"]
    fields = ["name", "short_name", "kind", "parent", "active"]

    def create(self, request, form):
        return department_create(actor=request.user, **form.cleaned_data)

    def update(self, request, obj, form):
        return department_update(department=obj, actor=request.user, **form.cleaned_data)


@admin.register(Membership)
class MembershipAdmin(ServiceAdmin):
    list_display = ["user", "department", "role"]
    list_filter = ["role", "department"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "department__name"]
    autocomplete_fields = ["department"]
    fields = ["user", "department", "role"]

    def get_readonly_fields(self, request, obj=None):
        return ["user", "department"] if obj else []

    def create(self, request, form):
        return membership_set(actor=request.user, **form.cleaned_data)

    def update(self, request, obj, form):
        return membership_set(
            actor=request.user,
            user=obj.user,
            department=obj.department,
            role=form.cleaned_data["role"],
        )
