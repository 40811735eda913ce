"""The device catalogue and its recalls in the admin: administrators keep them."""

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

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
    fields = ["gtin", "recalled_on", "scope", "listed", "reason", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def save_model(self, request: HttpRequest, obj: Recall, form: ModelForm, change: bool) -> None:
        if not change:
            obj.recorded_by = request.user  # type: ignore[assignment]  # the admin is signed in
        super().save_model(request, obj, form, change)
