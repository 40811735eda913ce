"""People in the admin: their quick-switch PIN, and what an Administrator may change about them.

``ReadOnlyAdminMixin`` is here for every app whose records the admin shows but never changes.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from accounts import pins
from accounts.errors import InvalidPin
from accounts.models import StaffProfile


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
            except InvalidPin as refused:
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
