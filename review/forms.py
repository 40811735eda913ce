"""Forms check what a reviewer typed and nothing more; selectors read, the workflow writes."""

import datetime
from typing import Any, cast

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Layout
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.urls import reverse
from django.utils import timezone

from accounts.dates import FIRST_DAY, LAST_DAY
from accounts.forms import PATIENT_FIELD, PersonChoiceField
from accounts.text import validate_plain_text
from checklists.models import Case, max_length
from review import selectors
from review.models import EmergencyAccess

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_FORMATS = ["%Y-%m-%d"]  # what a date input sends; no guessing at 03/04/25
PAGE_SIZES = (25, 50, 100)
# The longest period the dashboard accepts.
MAX_DAYS = 5 * 366


def default_period_start(date_to: datetime.date) -> datetime.date:
    """The dashboard's default period: the month of ``date_to`` so far and the twelve whole
    months before it. The months chart then has no partial first month, and only the days of
    this month are read from the cases (the whole months from the kept counts)."""
    month = date_to.replace(day=1)
    return month.replace(year=month.year - 1)


# Dates a hospital can have cases on: anything else is a typo, and date arithmetic on the
# extremes (9999-12-31 plus a day) would overflow.
DATE_BOUNDS = [
    MinValueValidator(FIRST_DAY, "Enter a date from 1900 on."),
    MaxValueValidator(LAST_DAY, "Enter a date before the year 3000."),
]


class ReviewFilterForm(forms.Form):
    """The base form of ``review.filters.ReviewCaseFilter`` (which adds the fields)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("date_from", "date_to"):
            field = cast(forms.DateField, self.fields[name])
            field.input_formats = DATE_FORMATS
            field.validators.extend(DATE_BOUNDS)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_action = reverse("review:case-list")
        self.helper.form_class = "review-filters"
        self.helper.attrs = {"aria-label": "Filter cases"}
        visible = [name for name in self.fields if name not in ("mrn", "cancelled")]
        self.helper.layout = Layout(
            Div(*visible, "cancelled", css_class="review-filter-grid"),
            Field("mrn"),
            Div(
                StrictButton("Apply filters", type="submit", css_class="btn btn-primary"),
                HTML(
                    f'<a class="btn btn-outline-secondary" href="{reverse("review:case-list")}">'
                    "Clear filters</a>"
                ),
                css_class="d-flex flex-wrap gap-2",
            ),
        )


class MrnSearchForm(forms.Form):
    """An exact MRN search. It is POSTed, never put in a URL (see review.views.mrn_search)."""

    mrn = forms.CharField(
        label="MRN (exact match)",
        max_length=max_length(Case, "patient_mrn"),
        required=False,
        strip=True,
        widget=forms.TextInput(attrs=PATIENT_FIELD),
        help_text="Kept for this session only; never shown in the address bar.",
    )
    # The list's other filters, to come back to (a query string without any MRN).
    filters = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Its own ids: the filter form on the same page has an ``mrn`` field too (hidden).
        kwargs.setdefault("auto_id", "mrn-search-%s")
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("review:mrn-search")
        self.helper.form_class = "review-mrn-search"
        self.helper.layout = Layout(
            Field("mrn"),
            "filters",
            StrictButton("Search by MRN", type="submit", css_class="btn btn-outline-primary"),
        )


COMMENT_LENGTH = max_length(Case, "review_comment")


class MarkReviewedForm(forms.Form):
    comment = forms.CharField(
        label="Review comment",
        required=False,
        max_length=COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": f"The comment is too long (at most {COMMENT_LENGTH} characters)."
        },
    )

    def __init__(self, *args: Any, case_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("review:mark-reviewed", args=[case_id])
        self.helper.form_class = "review-mark-form no-print"
        self.helper.layout = Layout(
            Field("comment"),
            StrictButton("Mark reviewed", type="submit", css_class="btn btn-success"),
        )


class DashboardForm(forms.Form):
    date_from = forms.DateField(
        label="From",
        required=False,
        input_formats=DATE_FORMATS,
        widget=DATE_WIDGET,
        validators=DATE_BOUNDS,
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        input_formats=DATE_FORMATS,
        widget=DATE_WIDGET,
        validators=DATE_BOUNDS,
    )
    procedure = forms.ModelChoiceField(
        queryset=selectors.procedures(), required=False, empty_label="Any procedure"
    )
    surgeon = PersonChoiceField(
        queryset=selectors.surgeons(), required=False, empty_label="Any surgeon"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_action = reverse("review:dashboard")
        self.helper.form_class = "review-filters"
        self.helper.attrs = {"aria-label": "Dashboard period and filters"}
        self.helper.layout = Layout(
            Div("date_from", "date_to", "procedure", "surgeon", css_class="review-filter-grid"),
            StrictButton("Show figures", type="submit", css_class="btn btn-primary"),
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        today = timezone.localdate()
        date_to = data.get("date_to") or today
        date_from = data.get("date_from") or default_period_start(date_to)
        if date_from > date_to:
            raise forms.ValidationError("The start of the period must be before its end.")
        if (date_to - date_from).days > MAX_DAYS:
            raise forms.ValidationError("Choose a period of at most five years.")
        data["date_from"], data["date_to"] = date_from, date_to
        return data

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        today = timezone.localdate()
        return {
            "date_from": default_period_start(today),
            "date_to": today,
            "procedure": None,
            "surgeon": None,
        }


REASON_LENGTH = max_length(EmergencyAccess, "reason")


class EmergencyAccessForm(forms.Form):
    """The reason for opening a record in an emergency: required, plain text, kept with the
    grant for an administrator to review. Nothing else is asked."""

    reason = forms.CharField(
        label="Why do you need this record now?",
        max_length=REASON_LENGTH,
        strip=True,
        validators=[validate_plain_text],
        widget=forms.Textarea(attrs={"rows": 3, **PATIENT_FIELD}),
        help_text="For example: the patient is back in theatre and the team needs the implants "
        "logged. An administrator reads every reason.",
        error_messages={
            "required": "Give the reason you need this record: it cannot be opened without one.",
            "max_length": f"The reason is too long (at most {REASON_LENGTH} characters).",
        },
    )

    def __init__(self, *args: Any, case_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("review:emergency-access", args=[case_id])
        self.helper.form_class = "emergency-access-form"
        # The server's messages are the clearer ones (as on the other forms).
        self.helper.attrs = {"aria-label": "Emergency access", "novalidate": ""}
        self.helper.layout = Layout(
            Field("reason"),
            Div(
                StrictButton("Open the record", type="submit", css_class="btn btn-danger btn-lg"),
                HTML(
                    f'<a class="btn btn-outline-secondary btn-lg" '
                    f'href="{reverse("case-detail", args=[case_id])}">Back to the checklist</a>'
                ),
                css_class="d-flex flex-wrap gap-2",
            ),
        )
