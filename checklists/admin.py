"""Cases and their audit trail in the admin: to look at, never to change.

Every change to a case goes through checklists.workflow, which locks the case and writes its
audit event; an admin form would do neither, so the admin offers no way to write at all.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin import ReadOnlyAdminMixin
from checklists.models import AuditEvent, Case, CaseStep, Implant, Signature


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    # Relations shown on each row, fetched with the rows rather than one query per row.
    related: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related(*self.related)


class CaseStepInline(ReadOnlyInline):
    model = CaseStep
    fields = [
        "position",
        "phase",
        "title",
        "side",
        "status",
        "value",
        "note",
        "na_reason",
        "recorded_by",
        "recorded_at",
        "stop_overridden_by",
        "stop_override_reason",
    ]
    related = ("recorded_by", "stop_overridden_by")


class ImplantInline(ReadOnlyInline):
    model = Implant
    fields = [
        "side",
        "position",
        "manufacturer",
        "product",
        "size",
        "gtin",
        "lot",
        "serial",
        "expiry",
        "udi",
        "expiry_override_reason",
        "added_by",
        "added_at",
    ]
    related = ("added_by",)


class SignatureInline(ReadOnlyInline):
    model = Signature
    fields = ["printed_name", "meaning", "signed_at", "reason", "amended_step", "content_hash"]
    related = ("amended_step",)


@admin.register(Case)
class CaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Patient identity stays on the case page: not in the list, and no search, whose query
    # would put an MRN or a name into the URL (and so into server logs and browser history).
    list_display = ["id", "scheduled_start", "room", "procedure", "laterality", "surgeon", "status"]
    list_select_related = ["procedure", "surgeon"]
    list_filter = ["status", "procedure", "room"]
    date_hierarchy = "scheduled_start"
    inlines = [CaseStepInline, ImplantInline, SignatureInline]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["case", "seq", "action", "actor", "created_at"]
    list_select_related = ["case", "actor"]
    list_filter = ["action"]
