"""The device catalogue in the admin: administrators keep it."""

from django.contrib import admin

from catalogue.models import Device


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
