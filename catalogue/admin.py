"""The device catalogue and its recalls in the admin: administrators keep them."""

from urllib.parse import urlencode

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from catalogue.choices import RecallScope
from catalogue.models import Device, Recall


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["gtin", "company", "brand", "model_number", "size", "implantable", "active"]
    list_filter = ["active", "implantable", "mri_safety", "single_use", "kit", "company"]
    search_fields = ["gtin", "company", "brand", "model_number", "catalogue_number"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["gtin", "company", "brand", "model_number", "catalogue_number"]}),
        ("Label", {"fields": ["description", "size", "mri_safety"]}),
        ("Kind", {"fields": ["implantable", "single_use", "kit", "active"]}),
        ("Kept", {"fields": ["created_at", "updated_at"]}),
    ]


@admin.register(Recall)
class RecallAdmin(admin.ModelAdmin):
    list_display = ["gtin", "recalled_on", "scope", "reason", "recorded_by", "recorded_at"]
    list_select_related = ["recorded_by"]
    list_filter = ["scope"]
    search_fields = ["gtin", "listed", "reason"]
    date_hierarchy = "recalled_on"
    fields = [
        "gtin",
        "recalled_on",
        "scope",
        "listed",
        "reason",
        "recorded_by",
        "recorded_at",
        "affected_cases",
    ]
    readonly_fields = ["recorded_by", "recorded_at", "affected_cases"]

    def save_model(self, request: HttpRequest, obj: Recall, form: ModelForm, change: bool) -> None:
        if not change:
            obj.recorded_by = request.user  # type: ignore[assignment]  # the admin is signed in
        super().save_model(request, obj, form, change)

    @admin.display(description="Affected cases")
    def affected_cases(self, recall: Recall) -> str:
        """Links to the reviewers' recall look-up: the device's cases, or each listed lot's or
        serial's (the look-up takes one at a time)."""
        if not recall.pk:
            return "Saved first, then looked up."
        page = reverse("review:recalls")
        if recall.scope == RecallScope.ALL:
            searches = [("every lot", {"gtin": recall.gtin})]
        else:
            name = "lot" if recall.scope == RecallScope.LOTS else "serial"
            searches = [
                (f"{name} {value}", {"gtin": recall.gtin, name: value})
                for value in sorted(recall.identifiers)
            ]
        links = format_html_join(
            ", ", '<a href="{}?{}">{}</a>', ((page, urlencode(q), text) for text, q in searches)
        )
        return format_html("Look up the cases (reviewers): {}", links)
