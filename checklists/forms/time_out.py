"""The Time Out's forms: an item confirmed as spoken, and the ending (the team present by role,
picked from the staff list, and the team's three attestations)."""

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Fieldset, Layout, Submit
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import QuerySet

from accounts import roles
from accounts.forms import PersonChoiceField
from checklists.choices import Side
from checklists.forms.checklist import MAX_REVISION
from checklists.models import Case, max_length
from checklists.models.case import CaseStep
from procedures.choices import StepRole

YES_NO = [("yes", "Yes"), ("no", "No")]
MOST_INTERRUPTIONS = 99  # as ``workflow.MOST_INTERRUPTIONS``: a form names no workflow limit


def staff_in(role: str) -> QuerySet[User]:
    """The staff list for one place in the team: surgeons for the surgeon; for the others, the
    OR staff whose profile names that role. By name."""
    people = get_user_model().objects.filter(is_active=True)
    if role == StepRole.SURGEON:
        people = people.filter(groups__name=roles.SURGEON)
    else:
        people = people.filter(
            groups__name__in=[roles.OR_STAFF, roles.SURGEON], staff_profile__clinical_role=role
        )
    return people.distinct().order_by("last_name", "first_name", "username")


class TimeOutStartForm(forms.Form):
    side = forms.ChoiceField(choices=[("", "The case"), *Side.choices], required=False)


class TimeOutItemForm(forms.Form):
    """An item confirmed as spoken: its answer (none for a check) at the revision drawn."""

    value = forms.CharField(required=False, max_length=max_length(CaseStep, "value"))
    revision = forms.IntegerField(min_value=0, max_value=MAX_REVISION)


class TimeOutEndForm(forms.Form):
    """Who was there, by role, and what the team attests."""

    surgeon = PersonChoiceField(queryset=User.objects.none(), label="Surgeon")
    anaesthetist = PersonChoiceField(queryset=User.objects.none(), label="Anaesthetist")
    circulating_nurse = PersonChoiceField(queryset=User.objects.none(), label="Circulating nurse")
    scrub = PersonChoiceField(queryset=User.objects.none(), label="Scrub (if any)", required=False)
    all_items_spoken = forms.ChoiceField(
        choices=YES_NO, widget=forms.RadioSelect, label="Every item was spoken aloud"
    )
    everyone_present = forms.ChoiceField(
        choices=YES_NO, widget=forms.RadioSelect, label="Everyone stopped and was present"
    )
    interrupted = forms.ChoiceField(
        choices=YES_NO, widget=forms.RadioSelect, label="Was the Time Out interrupted?"
    )
    interruptions = forms.IntegerField(
        label="How many interruptions",
        min_value=0,
        max_value=MOST_INTERRUPTIONS,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, case: Case, action: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, role, what in (
            ("surgeon", StepRole.SURGEON, "surgeon"),
            ("anaesthetist", StepRole.ANAESTHETIST, "anaesthetist"),
            ("circulating_nurse", StepRole.NURSE, "circulating nurse"),
            ("scrub", StepRole.SCRUB, "scrub"),
        ):
            field = self.fields[name]
            assert isinstance(field, PersonChoiceField)
            field.queryset = staff_in(role)
            field.empty_label = "None" if name == "scrub" else "Choose…"
            field.error_messages["required"] = f"Pick the {what} present."
        self.fields["surgeon"].initial = case.surgeon_id
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.form_class = "time-out-end"
        self.helper.layout = Layout(
            Fieldset(
                "The team present",
                Div(
                    Field("surgeon"),
                    Field("anaesthetist"),
                    Field("circulating_nurse"),
                    Field("scrub"),
                    css_class="time-out-team",
                ),
            ),
            Fieldset(
                "The team attests",
                Field("all_items_spoken"),
                Field("everyone_present"),
                Div(Field("interrupted"), Field("interruptions"), css_class="time-out-breaks"),
            ),
            Submit("end", "End the Time Out", css_class="btn-success btn-lg"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("interrupted") == "yes" and not data.get("interruptions"):
            self.add_error("interruptions", "Say how many interruptions there were.")
        if data.get("interrupted") == "no":
            data["interruptions"] = 0
        return data
