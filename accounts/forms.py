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
from django.db.models import QuerySet
from django.views.decorators.debug import sensitive_variables

from accounts import roles
from accounts.http import AuthenticatedHttpRequest
from accounts.people import display_name

# Browsers must not remember patients on a shared tablet, nor sitracker.js keep them as a draft.
PATIENT_FIELD = {
    "autocomplete": "off",
    "autocapitalize": "off",
    "spellcheck": "false",
    "data-no-draft": "",
}


def switchable_people() -> QuerySet[User]:
    """People who may take over a shared tablet by PIN: active OR staff and surgeons with a PIN."""
    return (
        User.objects.filter(
            is_active=True,
            groups__name__in=[roles.OR_STAFF, roles.SURGEON],
            staff_profile__pin_hash__gt="",
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class PersonChoiceField(forms.ModelChoiceField):
    """A choice of people, shown by their full name (the surgeon, the person at the tablet)."""

    def label_from_instance(self, obj: User) -> str:
        return display_name(obj)


class SwitchUserForm(forms.Form):
    person = PersonChoiceField(
        queryset=User.objects.none(),
        widget=forms.RadioSelect,
        label="Who is taking over the tablet?",
        error_messages={"invalid_choice": "Choose a name from the list."},
    )
    pin = forms.CharField(
        label="PIN",
        min_length=4,
        max_length=6,
        widget=forms.PasswordInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*"}
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(PersonChoiceField, self.fields["person"]).queryset = switchable_people()


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
