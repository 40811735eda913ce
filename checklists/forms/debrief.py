"""The debrief's forms on the checklist page: an action added at Sign Out, an action closed."""

import datetime
from typing import cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.choices import ClinicalRole
from accounts.people import display_name
from checklists.models import Case, DebriefAction, max_length

ROLE, PERSON = "role:", "person:"


def theatre_people():
    """Who may own an action by name: the active OR staff and surgeons, by name."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[roles.OR_STAFF, roles.SURGEON])
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class DebriefActionForm(forms.Form):
    """An action agreed at the debrief: what, one owner (a theatre role or a person, in one
    list: one tap to open, one to choose) and a due day."""

    what = forms.CharField(
        label="What is to be done",
        max_length=max_length(DebriefAction, "what"),
        error_messages={"required": "Say what is to be done."},
    )
    owner = forms.ChoiceField(label="Owner", error_messages={"required": "Choose an owner."})
    due = forms.DateField(
        label="Due",
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={"required": "Give a due date.", "invalid": "Give a due date."},
    )

    def __init__(self, *args, case: Case | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._people: dict[str, User] | None = None
        cast(forms.ChoiceField, self.fields["owner"]).choices = self._owner_choices
        self.fields["due"].initial = timezone.localdate() + datetime.timedelta(days=7)
        self.helper = FormHelper()
        if case is not None:
            self.helper.form_action = reverse("debrief-action-add", args=[case.pk])
        self.helper.form_class = "debrief-add"
        self.helper.layout = Layout(
            Field("what", autocomplete="off"),
            Div(Field("owner"), Field("due"), css_class="debrief-owner-due"),
            Submit("add", "Add the action", css_class="btn-primary btn-lg"),
        )

    def _owner_choices(self) -> list:
        people = self.people()
        return [
            ("", "Choose…"),
            ("Role", [(f"{ROLE}{value}", label) for value, label in ClinicalRole.choices]),
            ("Person", [(key, display_name(person)) for key, person in people.items()]),
        ]

    def people(self) -> dict[str, User]:
        if self._people is None:
            self._people = {f"{PERSON}{person.pk}": person for person in theatre_people()}
        return self._people

    def owned_by(self) -> dict[str, object]:
        """The cleaned owner as the workflow takes it: ``owner`` or ``owner_role``."""
        chosen = self.cleaned_data["owner"]
        if chosen.startswith(ROLE):
            return {"owner_role": chosen.removeprefix(ROLE)}
        return {"owner": self.people()[chosen]}


class DebriefActionClosedForm(forms.Form):
    note = forms.CharField(
        label="What was done",
        max_length=max_length(DebriefAction, "closing_note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say what was done to close the action."},
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)
