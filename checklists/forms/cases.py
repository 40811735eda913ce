"""The forms of the board, a new case, its signature, a change of surgeon, a Stop called and
cancelling."""

import datetime
from typing import cast

from crispy_forms.bootstrap import FieldWithButtons, StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Layout
from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.dates import FIRST_DAY, LAST_DAY, OLDEST_PATIENT_YEARS
from accounts.forms import PATIENT_FIELD, PersonChoiceField
from accounts.models import Room
from accounts.text import natural_key, validate_identity_text
from checklists import workflow
from checklists.choices import Laterality
from checklists.models import (
    Case,
    Concern,
    SideDisagreement,
    max_length,
    validate_birth_date,
    validate_mrn,
)
from procedures.choices import VersionStatus
from procedures.models import Procedure

MAX_PERSON_ID = 2**31 - 1  # auth.User's AutoField: a larger number is a forged form


def next_quarter_hour() -> datetime.datetime:
    """The next quarter hour from now, local time: the default start of a newly scheduled case."""
    now = timezone.localtime().replace(second=0, microsecond=0)
    return now + datetime.timedelta(minutes=15 - now.minute % 15)


def surgeons():
    """The people who may be chosen as a case's surgeon or to sign it, by name."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.SURGEON)
        .order_by("last_name", "first_name", "username")
    )


class NewCaseForm(forms.Form):
    patient_mrn = forms.CharField(
        label="MRN",
        max_length=max_length(Case, "patient_mrn"),
        validators=[validate_mrn],
        widget=forms.TextInput(attrs=PATIENT_FIELD),
        error_messages={"required": "Enter the patient's MRN."},
    )
    patient_name = forms.CharField(
        label="Patient name",
        max_length=max_length(Case, "patient_name"),
        validators=[validate_identity_text],
        widget=forms.TextInput(attrs=PATIENT_FIELD),
        error_messages={"required": "Enter the patient's name."},
    )
    patient_birth_date = forms.DateField(
        label="Date of birth",
        input_formats=["%Y-%m-%d"],  # what a date input sends; no guessing at 14/03/61
        widget=forms.DateInput(attrs={"type": "date", **PATIENT_FIELD}, format="%Y-%m-%d"),
        validators=[validate_birth_date],
        error_messages={
            "required": "Enter the patient's date of birth.",
            "invalid": "Enter the date of birth as a date, e.g. 1961-03-14.",
        },
    )
    procedure = forms.ModelChoiceField(
        # A procedure whose first version is still a draft is not offered yet.
        queryset=Procedure.objects.filter(
            active=True, versions__status=VersionStatus.PUBLISHED
        ).order_by("title"),
        widget=forms.RadioSelect,  # one tap each, and every choice in view
        error_messages={
            "required": "Choose the procedure.",
            "invalid_choice": "Choose one of the procedures offered in the list.",
        },
    )
    laterality = forms.ChoiceField(
        label="Side",
        choices=Laterality.choices,
        widget=forms.RadioSelect,
        help_text="No side: for an operation with no side to confirm, on a general procedure.",
        error_messages={
            "required": "Choose the side: left, right, bilateral or no side.",
            "invalid_choice": "Choose the side: left, right, bilateral or no side.",
        },
    )
    surgeon = PersonChoiceField(
        queryset=surgeons(),
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the surgeon.",
            "invalid_choice": "Choose one of the surgeons in the list.",
        },
    )
    room = forms.ModelChoiceField(
        queryset=Room.objects.filter(active=True),
        to_field_name="name",  # a case keeps its room's name (Case.room)
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the operating room.",
            "invalid_choice": "Choose one of the rooms offered.",
        },
    )
    scheduled_start = forms.DateTimeField(
        label="Scheduled start",
        initial=next_quarter_hour,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "required": "Enter the scheduled start.",
            "invalid": "Enter the scheduled start as a date and time.",
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["patient_birth_date"].widget.attrs["max"] = timezone.localdate().isoformat()
        # As on the board: OR 2 before OR 10.
        rooms = Room.objects.filter(active=True).values_list("name", flat=True)
        room = cast(forms.ModelChoiceField, self.fields["room"])
        room.choices = [(name, name) for name in sorted(rooms, key=natural_key)]
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": ""}  # the server's messages are the clearer ones
        self.helper.layout = Layout(
            Div(
                Div("patient_mrn", css_class="col-md-4"),
                Div("patient_name", css_class="col-md-8"),
                css_class="row",
            ),
            Div(Div("patient_birth_date", css_class="col-md-6"), css_class="row"),
            Field("procedure", wrapper_class="choice-row"),
            Field("laterality", wrapper_class="choice-row"),
            Field("surgeon", wrapper_class="choice-row"),
            Field("room", wrapper_class="choice-row"),
            Div(Div("scheduled_start", css_class="col-md-6"), css_class="row"),
            Div(
                StrictButton("Schedule case", type="submit", css_class="btn-primary btn-lg"),
                HTML(
                    '<a class="btn btn-outline-secondary btn-lg" href="{% url "home" %}">Cancel</a>'
                ),
                css_class="d-flex flex-wrap gap-3 mt-2",
            ),
        )

    def clean(self) -> dict:
        data = super().clean() or {}
        if "seen_surgeon" in self.errors:  # hidden: its message goes at the top of the form
            self.add_error(None, "This form could not be read: reload the page and choose again.")
        return data

    def clean_room(self) -> str:
        return self.cleaned_data["room"].name

    def clean_patient_birth_date(self) -> datetime.date:
        born = self.cleaned_data["patient_birth_date"]  # not in the future: see its validators
        today = timezone.localdate()
        if born.year < today.year - OLDEST_PATIENT_YEARS:
            raise forms.ValidationError(
                f"Check the year: that is more than {OLDEST_PATIENT_YEARS} years ago."
            )
        return born

    def clean_scheduled_start(self) -> datetime.datetime:
        start = self.cleaned_data["scheduled_start"]
        if not FIRST_DAY <= timezone.localdate(start) <= LAST_DAY:
            raise forms.ValidationError("Check the year of the scheduled start.")
        return start


class BoardDayForm(forms.Form):
    """The ``?day=YYYY-MM-DD`` of the board."""

    day = forms.DateField(
        label="Go to day",
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_class = "board-day-form"
        self.helper.layout = Layout(
            Div(
                "day",
                StrictButton("Show", type="submit", css_class="btn-outline-primary"),
                css_class="d-flex align-items-end gap-2",
            )
        )

    def clean_day(self) -> datetime.date:
        day = self.cleaned_data["day"]
        if not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError("That day is out of range.")
        return day


class SignOutForm(forms.Form):
    """The surgeon's signature: a password, and (``for_someone_else``) whose.

    A surgeon signed in signs as themselves. On the tablet of someone who cannot sign (the
    circulating nurse), the surgeon signs there without taking the tablet over: their name,
    chosen (the case's surgeon comes chosen), and their password are the signature's two
    parts (21 CFR 11.200(a)), and the tablet stays with the person signed in.
    """

    signer = PersonChoiceField(
        queryset=get_user_model().objects.none(),
        widget=forms.RadioSelect,
        label="Surgeon signing",
        error_messages={
            "required": "Choose the surgeon who signs.",
            "invalid_choice": "Choose one of the surgeons in the list.",
        },
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password to sign."},
    )

    def __init__(self, *args, for_someone_else: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False  # the page's form also carries the statement of meaning
        sign = StrictButton("Sign the case", type="submit", css_class="btn-primary btn-lg")
        password_and_sign = FieldWithButtons("password", sign, input_size="input-group-lg")
        self.helper.layout = Layout(password_and_sign)
        if for_someone_else:
            cast(PersonChoiceField, self.fields["signer"]).queryset = surgeons()
            password = self.fields["password"]
            password.label = "The surgeon's password"
            password.error_messages["required"] = "The surgeon enters their password to sign."
            # Not offered to the browser's password store: it is not the signed-in person's.
            password.widget.attrs["autocomplete"] = "off"
            signer = Field("signer", wrapper_class="choice-row choice-row-inline")
            self.helper.layout = Layout(signer, password_and_sign)
        else:
            del self.fields["signer"]


class ConcernForm(forms.Form):
    """A Stop called by anyone in the room: a few words why."""

    reason = forms.CharField(
        label="Why stop?",
        max_length=max_length(Concern, "reason"),
        help_text="A few words: everyone sees them, here and on the wall.",
        error_messages={"required": "Say in a few words why you call the Stop."},
    )


class ConcernResolvedForm(forms.Form):
    resolution = forms.CharField(
        label="How it was resolved",
        max_length=max_length(Concern, "resolution"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say how the Stop was resolved."},
    )


class SideDisagreementResolvedForm(forms.Form):
    resolution = forms.CharField(
        label="Why the case may go on",
        max_length=max_length(SideDisagreement, "resolution"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": "Say why the case may go on: what was checked, and which side is right."
        },
    )


class CancelCaseForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=max_length(Case, "cancel_reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give a reason for cancelling the case."},
    )

    def __init__(self, *args, case: Case | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        if case is not None:
            self.helper.form_action = reverse("case-cancel", kwargs={"case_id": case.pk})
        self.helper.layout = Layout(
            "reason", StrictButton("Cancel the case", type="submit", css_class="btn-danger")
        )


class SurgeonChangeForm(forms.Form):
    """Another surgeon for an open case, and why. ``seen_surgeon`` is the case's surgeon when
    the page was drawn: the workflow refuses the change if someone changed it since."""

    surgeon = PersonChoiceField(
        queryset=get_user_model().objects.none(),
        widget=forms.RadioSelect,
        label="The new surgeon",
        error_messages={
            "required": "Choose the new surgeon.",
            "invalid_choice": "Choose one of the surgeons in the list.",
        },
    )
    reason = forms.CharField(
        label="Why the surgeon changes",
        max_length=workflow.SURGEON_CHANGE_REASON_LENGTH,
        help_text="A few words: the Time Out's record repeats them.",
        error_messages={"required": "Say why the surgeon changes."},
    )
    seen_surgeon = forms.IntegerField(
        widget=forms.HiddenInput, min_value=1, max_value=MAX_PERSON_ID
    )

    def __init__(self, *args, case: Case, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        surgeon = cast(PersonChoiceField, self.fields["surgeon"])
        surgeon.queryset = surgeons().exclude(pk=case.surgeon_id)
        self.fields["seen_surgeon"].initial = case.surgeon_id
        self.helper = FormHelper()
        self.helper.form_action = reverse("case-surgeon", kwargs={"case_id": case.pk})
        self.helper.attrs = {"novalidate": ""}  # the server's messages are the clearer ones
        self.helper.layout = Layout(
            Field("surgeon", wrapper_class="choice-row"),
            Field("reason", css_class="form-control-lg", autocomplete="off"),
            "seen_surgeon",
            Div(
                StrictButton("Change the surgeon", type="submit", css_class="btn-primary btn-lg"),
                HTML(
                    '<a class="btn btn-outline-secondary btn-lg" '
                    'href="{% url "case-detail" case.pk %}">Back to the checklist</a>'
                ),
                css_class="d-flex flex-wrap gap-3 mt-2",
            ),
        )

    def clean(self) -> dict:
        data = super().clean() or {}
        if "seen_surgeon" in self.errors:  # hidden: its message goes at the top of the form
            self.add_error(None, "This form could not be read: reload the page and choose again.")
        return data
