"""People in the admin: their quick-switch PIN, and what an Administrator may change about them;
the operating rooms; the tablets enrolled for the quick user switch and the rooms' wall displays;
the integrations' API tokens.

``ReadOnlyAdminMixin`` is here for every app whose records the admin shows but never changes.
"""

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from accounts import devices, pins, tokens
from accounts.choices import ApiScope
from accounts.errors import InvalidPin
from accounts.http import AuthenticatedHttpRequest
from accounts.models import ApiToken, DisplayPairing, EnrolledDevice, Room, StaffProfile
from accounts.people import display_name


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
        fields = ("clinical_role",)

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
    verbose_name = "theatre role and quick-switch PIN"
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
        # An API token's service user changes with its token only (its name, its scopes'
        # permissions, revoked with it): a role given here would widen what the token may do.
        users = super().get_queryset(request).filter(api_token__isnull=True)
        # A superuser's account is changed by a superuser only.
        return users if request.user.is_superuser else users.filter(is_superuser=False)


@admin.register(EnrolledDevice)
class EnrolledDeviceAdmin(admin.ModelAdmin):
    """Enrolled tablets: read, and revoked with the action; never edited or deleted, so the
    record of who enrolled and revoked what stays. A tablet is enrolled on the tablet itself:
    "Add" leads to that page (accounts.views.enrol_device), which sets the browser's token."""

    list_display = ("name", "kind", "room", "enrolled_at", "enrolled", "status")
    list_filter = ("kind", "room", ("revoked_at", admin.EmptyFieldListFilter))
    fields = ("name", "kind", "room", "enrolled_at", "enrolled", "revoked_at", "revoked")
    readonly_fields = fields
    actions = ["revoke"]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        return HttpResponseRedirect(reverse("device-enrol"))

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="enrolled by")
    def enrolled(self, device: EnrolledDevice) -> str:
        return display_name(device.enrolled_by)

    @admin.display(description="revoked by")
    def revoked(self, device: EnrolledDevice) -> str:
        return display_name(device.revoked_by) if device.revoked_by else "–"

    @admin.display(description="status")
    def status(self, device: EnrolledDevice) -> str:
        return "active" if device.is_active else "revoked"

    @admin.action(description="Revoke the selected devices", permissions=["change"])
    def revoke(self, request: AuthenticatedHttpRequest, queryset: QuerySet[EnrolledDevice]) -> None:
        active = list(queryset.filter(revoked_at__isnull=True))
        for device in active:
            devices.revoke(device=device, by=request.user)
        self.message_user(request, f"{len(active)} revoked.", messages.SUCCESS)

    def get_queryset(self, request: HttpRequest) -> QuerySet[EnrolledDevice]:
        return super().get_queryset(request).select_related("enrolled_by", "revoked_by", "room")


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    """The operating rooms the new-case form offers. Retired (unticked), never deleted: cases
    keep their room's name, and displays and tablets point at it."""

    list_display = ("name", "active")
    list_filter = ("active",)
    search_fields = ("name",)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Room | None = None) -> tuple[str, ...]:
        # A case keeps the name its room had: renaming the room would part them.
        return ("name",) if obj is not None else ()


@admin.register(DisplayPairing)
class DisplayPairingAdmin(admin.ModelAdmin):
    """Enrolling a room's wall display: "Add" makes a one-time code, shown once, to type on the
    display at /display/ within a few minutes. The list keeps who made which code, and the
    display it enrolled; the display itself is revoked under "Enrolled devices"."""

    list_display = ("name", "room", "created_at", "made_by", "expires_at", "enrolled_device")
    list_filter = ("room",)
    fields = ("room", "name")

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: DisplayPairing, form: forms.ModelForm, change: bool
    ) -> None:
        assert isinstance(request.user, User)
        pairing, code = devices.new_pairing(room=obj.room, name=obj.name, by=request.user)
        obj.pk = pairing.pk  # what the admin logs and links to
        messages.warning(
            request,
            f"On the display in {obj.room}, open /display/ and type the code {code} "
            f"within {devices.PAIRING_MINUTES} minutes. It is shown only now.",
        )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "room":
            kwargs["queryset"] = Room.objects.filter(active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="made by")
    def made_by(self, pairing: DisplayPairing) -> str:
        return display_name(pairing.created_by)

    @admin.display(description="display enrolled")
    def enrolled_device(self, pairing: DisplayPairing) -> str:
        return str(pairing.device) if pairing.device else "–"

    def get_queryset(self, request: HttpRequest) -> QuerySet[DisplayPairing]:
        return super().get_queryset(request).select_related("room", "created_by", "device")


# A token made in the admin lasts a year unless the administrator says otherwise.
API_TOKEN_DAYS = 365


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Integrations' API tokens: "Add" makes one and shows it once (only its hash is kept). Its
    name, scopes and expiry may change later; a token is revoked with the action, never
    deleted, so the record of who made and revoked what stays."""

    list_display = ("name", "prefix", "scope_list", "expires_at", "last_used_at", "status")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    fields = ("name", *(scope.value for scope in ApiScope), "expires_at")
    readonly_on_change = (
        "prefix",
        "user",
        "created_at",
        "made_by",
        "last_used_at",
        "revoked_at",
        "revoked",
    )
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.fields if obj is None else (*self.fields, *self.readonly_on_change)

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return () if obj is None else self.readonly_on_change

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"expires_at": timezone.now() + datetime.timedelta(days=API_TOKEN_DAYS)}

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: ApiToken, form: forms.ModelForm, change: bool
    ) -> None:
        assert isinstance(request.user, User)
        if change:
            obj.save()
            tokens.follow_token(obj)
            return
        token, text = tokens.issue(
            name=obj.name, scopes=obj.scopes(), expires_at=obj.expires_at, by=request.user
        )
        obj.pk = token.pk  # what the admin logs and links to
        messages.warning(
            request,
            f"The token for “{token.name}” is {text} . Copy it into the integration now: it is "
            "shown only this once, and only its hash is kept.",
        )

    @admin.display(description="scopes")
    def scope_list(self, token: ApiToken) -> str:
        return ", ".join(sorted(scope.label for scope in token.scopes())) or "–"

    @admin.display(description="made by")
    def made_by(self, token: ApiToken) -> str:
        return display_name(token.created_by)

    @admin.display(description="revoked by")
    def revoked(self, token: ApiToken) -> str:
        return display_name(token.revoked_by) if token.revoked_by else "–"

    @admin.display(description="status")
    def status(self, token: ApiToken) -> str:
        if not token.is_active:
            return "revoked"
        return "expired" if token.expires_at <= timezone.now() else "active"

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request: AuthenticatedHttpRequest, queryset: QuerySet[ApiToken]) -> None:
        active = list(queryset.filter(revoked_at__isnull=True).select_related("user"))
        for token in active:
            tokens.revoke(token=token, by=request.user)
        self.message_user(request, f"{len(active)} revoked.", messages.SUCCESS)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        return super().get_queryset(request).select_related("created_by", "revoked_by", "user")
