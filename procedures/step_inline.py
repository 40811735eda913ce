"""The step table on a version's page in the admin, for procedures and shared blocks alike:
sorted by dragging (django-admin-sortable2), compact, and editable only while the version is a
draft."""

from typing import Any

from adminsortable2.admin import SortableInlineAdminMixin
from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from procedures.editor import StepForm
from procedures.models import BlockVersion, ProcedureVersion


def is_draft(version: ProcedureVersion | BlockVersion | None) -> bool:
    return version is None or version.is_draft


class VersionStepsInline(SortableInlineAdminMixin, admin.TabularInline):
    form = StepForm
    template = "admin/procedures/step_inline.html"
    ordering = ["position"]
    extra = 0
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})},
    }

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_draft(obj) and super().has_delete_permission(request, obj)
