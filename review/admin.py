"""The access log in the admin: administrators read it; nobody changes it."""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from accounts.admin import ReadOnlyAdminMixin
from review.models import RecordAccess

# Whoever may read the audit trail of changes may read the log of reading: the Administrator
# role (the admin itself is for staff only). No role migration of its own is needed.
READ_AUDIT = "checklists.view_auditevent"


@admin.register(RecordAccess)
class RecordAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user", "action", "case", "filters", "remote_addr"]
    list_select_related = ["user", "case"]
    list_filter = ["action"]
    date_hierarchy = "at"
    # The case column shows the case's number only (Case.__str__): no patient identity.
    raw_id_fields = ["case"]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        user = request.user
        return user.has_perm(READ_AUDIT) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)
