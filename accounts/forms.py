"""Forms about people: choosing one, signing in, switching user, setting one's PIN; and the
attributes of the fields that hold patient identity, which the feature apps share.
"""

from typing import Any, cast

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.models import User
from django.core.validators import MaxLengthValidator
from django.views.decorators.debug import sensitive_variables

from accounts import pins
from accounts.http import AuthenticatedHttpRequest
from accounts.models import EnrolledDevice, Room
from accounts.people import display_name

# Browsers must not remember patients on a shared tablet, nor idle.js keep them as a draft.
PATIENT_FIELD = {
    "autocomplete": "off",
    "autocapitalize": "off",
    "spellcheck": "false",
    "data-no-draft": "",
}


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of people, shown by their full name (the surgeon, the person at the tablet)."""

    def label_from_instance(self, obj: User) -> str:
        return display_name(obj)


class SwitchUserForm(forms.Form):
    """Who takes over a shared tablet, and their PIN.

    On an enrolled tablet (``listing``) the people who may switch in are listed by name; any
    other browser asks for a username instead, so the names are not shown to whoever opens
    the page on the hospital network.
    """

    person = PersonChoiceField(
        queryset=User.objects.none(),
        widget=forms.RadioSelect,
        label="Who is taking over the tablet?",
        error_messages={"invalid_choice": "Choose a name from the list."},
    )
    username = forms.CharField(
        label="Your username",
        max_length=User._meta.get_field("username").max_length,
        widget=forms.TextInput(
            # Not remembered by the browser either: its suggestions would list the names again.
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    pin = forms.CharField(
        label="PIN",
        min_length=4,
        max_length=6,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"}
        ),
    )

    def __init__(self, *args, listing: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.listing = listing
        if listing:
            del self.fields["username"]
            cast(PersonChoiceField, self.fields["person"]).queryset = pins.switchable_people()
        else:
            del self.fields["person"]


class DeviceEnrolForm(forms.Form):
    name = forms.CharField(
        label="Name of this tablet",
        max_length=EnrolledDevice._meta.get_field("name").max_length,
        help_text="Where it is, so that it can be found in the admin: e.g. “OR 3 cart”.",
    )
    room = forms.ModelChoiceField(
        queryset=Room.objects.filter(active=True),
        required=False,
        empty_label="No room: it moves between rooms",
        help_text="The room this tablet stays in: cases scheduled on it are in that room.",
        error_messages={"invalid_choice": "Choose one of the rooms in the list."},
    )


class PinForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    pin = forms.CharField(
        label="New PIN (4 to 6 digits)",
        min_length=4,
        max_length=6,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    pin_again = forms.CharField(
        label="New PIN again",
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, request: AuthenticatedHttpRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = request.user

    def clean_password(self) -> str:
        # Through authenticate(), so that django-axes counts a wrong password here as at the
        # login page: whoever finds a signed-in tablet cannot guess its owner's password.
        password = self.cleaned_data["password"]
        username = self.user.get_username()
        if authenticate(self.request, username=username, password=password) != self.user:
            raise forms.ValidationError("That is not your password.")
        return password

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("pin") and data.get("pin") != data.get("pin_again"):
            self.add_error("pin_again", "The two PINs differ.")
        return data


class OwnPasswordChangeForm(PasswordChangeForm):
    """Django's password change (the password validators, the new password twice), with the
    old password checked through authenticate(), as PinForm does: django-axes then counts a
    wrong one as at the login page, so whoever finds a signed-in tablet cannot guess it here."""

    def __init__(self, *args, request: AuthenticatedHttpRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields["old_password"].label = "Current password"

    @sensitive_variables("old_password")
    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        username = self.user.get_username()
        if authenticate(self.request, username=username, password=old_password) != self.user:
            raise forms.ValidationError(
                "That is not your current password.", code="password_incorrect"
            )
        return old_password


class BoundedUsernameMixin:
    """Refuse an over-long username as a form error, before authenticate() is called.

    AuthenticationForm sets the field's max_length after the field is built, so no length
    validator runs: an overlong name reached authenticate() and django-axes' 255-character
    column, which PostgreSQL refuses with an error (a 500) instead of a message.
    """

    fields: dict[str, forms.Field]  # set by the form class this mixin is combined with

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.CharField, self.fields["username"])
        field.validators.append(MaxLengthValidator(field.max_length))


class LoginForm(BoundedUsernameMixin, AuthenticationForm):
    pass


class AdminLoginForm(BoundedUsernameMixin, AdminAuthenticationForm):
    pass
