"""Cases and their audit trail in the admin: to look at, never to change.

Every change to a case goes through checklists.workflow, which locks the case and writes its
audit event; an admin form would do neither, so the admin offers no way to write at all.
"""

from typing import Any

from django.contrib import admin
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse

from accounts.admin import ReadOnlyAdminMixin
from catalogue.models import Device
from checklists.access import log_view
from checklists.choices import AccessAction
from checklists.models import AuditEvent, Case, CaseStep, Implant, RecordAccess, Signature

# Whoever may read the audit trail of changes may read the log of reading: the Administrator
# role (the admin itself is for staff only). No role migration of its own is needed.
READ_AUDIT = "checklists.view_auditevent"


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

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The case page shows the patient's identity: each view of it is logged, like the
        checklist's. A missing case (a redirect) or a refusal (403) shows none, and logs none."""
        response = super().change_view(request, object_id, form_url, extra_context)
        case = getattr(response, "context_data", {}).get("original")
        if response.status_code == 200 and isinstance(case, Case):
            log_view(request, action=AccessAction.ADMIN, case_id=case.pk)
        return response


class CatalogueFilter(admin.SimpleListFilter):
    """For the catalogue keeper: the implants whose GTIN the device catalogue does not know
    (logged with a typed name), to add to it."""

    title = "device catalogue"
    parameter_name = "catalogue"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [
            ("unknown", "GTIN not in the catalogue"),
            ("known", "GTIN in the catalogue"),
            ("none", "No GTIN (typed by hand)"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        catalogued = Exists(Device.objects.filter(gtin=OuterRef("gtin")))
        if self.value() == "unknown":
            return queryset.exclude(gtin="").exclude(catalogued)
        if self.value() == "known":
            return queryset.filter(catalogued)
        if self.value() == "none":
            return queryset.filter(gtin="")
        return queryset


@admin.register(Implant)
class ImplantAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every implant logged, by device: no patient identity (a case shows as its number)."""

    list_display = ["gtin", "product", "manufacturer", "size", "lot", "serial", "entry", "case"]
    list_select_related = ["case"]
    list_filter = [CatalogueFilter, "entry", "carrier"]
    search_fields = ["gtin", "product", "manufacturer"]
    date_hierarchy = "added_at"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["case", "seq", "action", "actor", "created_at"]
    list_select_related = ["case", "actor"]
    list_filter = ["action"]


@admin.register(RecordAccess)
class RecordAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The access log: administrators read it; nobody changes it."""

    list_display = ["at", "user", "device", "action", "case", "filters", "remote_addr"]
    list_select_related = ["user", "device", "case"]
    list_filter = ["action"]
    date_hierarchy = "at"
    # The case column shows the case's number only (Case.__str__): no patient identity.
    raw_id_fields = ["case"]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        user = request.user
        return user.has_perm(READ_AUDIT) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)
