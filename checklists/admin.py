"""Cases and their audit trail in the admin: to look at, never to change.

Every change to a case goes through checklists.workflow, which locks the case and writes its
audit event; an admin form would do neither, so the admin offers no way to write at all.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from checklists import pins
from checklists.errors import RuleViolation
from checklists.models import AuditEvent, Case, CaseStep, Implant, Signature, StaffProfile


class ReadOnlyAdminMixin:
    """View permission only: no add, change or delete, and no bulk actions (delete_selected)."""

    # Typed as the admin class it is mixed into declares it (ModelAdmin's is generic in the model).
    actions: Any = None

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


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
    ]
    related = ("recorded_by",)


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


class StaffProfileForm(forms.ModelForm):
    new_pin = forms.CharField(
        label="New PIN",
        required=False,
        help_text="4 to 6 digits. Leave empty to keep the current PIN. Setting one lifts a lock.",
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    class Meta:
        model = StaffProfile
        fields = ()

    def clean_new_pin(self) -> str:
        pin = self.cleaned_data["new_pin"]
        if pin:
            try:
                pins.validate_pin(pin)
            except RuleViolation as refused:
                raise forms.ValidationError(refused.message) from None
        return pin

    def save(self, commit: bool = True) -> StaffProfile:
        profile = super().save(commit=False)
        if self.cleaned_data.get("new_pin"):
            pins.hash_pin_into(profile, self.cleaned_data["new_pin"])
        if commit:
            profile.save()
        return profile


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    form = StaffProfileForm
    can_delete = False
    verbose_name = "quick-switch PIN"
    readonly_fields = ("has_pin", "pin_failures", "pin_locked_until")


admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    """Administrators manage people and their roles; only a superuser grants superpowers.

    Roles are groups: direct per-user permissions and the superuser flag stay out of reach, so
    an Administrator cannot raise their own (or anyone's) rights beyond the four roles.
    """

    list_display = ("username", "first_name", "last_name", "is_active", "is_staff")
    inlines = (StaffProfileInline,)
    list_filter = ("is_active", "is_staff", "groups")

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser or obj is None:
            return fieldsets
        hidden = {"is_superuser", "user_permissions"}
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in fieldsets
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        users = super().get_queryset(request)
        # A superuser's account is changed by a superuser only.
        return users if request.user.is_superuser else users.filter(is_superuser=False)
