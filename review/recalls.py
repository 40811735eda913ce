"""The recall look-up's search, read from the URL: a device's DI (GTIN), and perhaps one lot or
one serial. django-filter reads and checks it; ``review.selectors.recalled_implants`` answers.

The searched values are a device's identifiers, not a patient's: the access log keeps them
(``describe``), so that an administrator can see what each look-up was for.
"""

from typing import Any

import django_filters
from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse

from catalogue.gtin import normalise_gtin
from checklists.models import Implant, max_length
from review import selectors

LOT_LENGTH = max_length(Implant, "lot")
SERIAL_LENGTH = max_length(Implant, "serial")
PAGE_SIZE = 100


class RecallLookupForm(forms.Form):
    """The base form of ``RecallLookup`` (which adds the fields): a GTIN as printed under a
    barcode, 8 to 14 digits, its check digit right, is kept as its GTIN-14."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_action = reverse("review:recalls")
        self.helper.form_class = "review-filters"
        self.helper.attrs = {"aria-label": "Look up a device"}
        self.helper.layout = Layout(
            Div("gtin", "lot", "serial", css_class="review-filter-grid"),
            StrictButton("Find the cases", type="submit", css_class="btn btn-primary"),
        )

    def clean_gtin(self) -> str:
        try:
            return normalise_gtin(self.cleaned_data["gtin"])
        except ValidationError as error:
            raise ValidationError(error.messages) from None


def _text(label: str, limit: int, help_text: str, **extra: Any) -> django_filters.CharFilter:
    what = label.lower()
    return django_filters.CharFilter(
        label=label,
        max_length=limit,
        help_text=help_text,
        error_messages={
            "max_length": f"A {what} has at most {limit} characters: check what was typed.",
            "required": f"Enter the {what} of the recalled device.",
        },
        method="keep",
        **extra,
    )


class RecallLookup(django_filters.FilterSet):
    """The search: a GTIN (required), and a lot, a serial, or both, to narrow it."""

    gtin = _text(
        "GTIN (device identifier)",
        40,  # as typed, spaces around it and all; normalise_gtin says what is wrong
        "The 14 digits after (01) on the label; 8, 12 or 13 digits are read too.",
        required=True,
    )
    lot = _text("Lot", LOT_LENGTH, "Optional: only this lot (10).")
    serial = _text("Serial", SERIAL_LENGTH, "Optional: only this serial number (21).")

    class Meta:
        model = Implant
        fields: list[str] = []
        form = RecallLookupForm

    def __init__(self, data: QueryDict | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(data, *args, queryset=Implant.objects.none(), **kwargs)

    def keep(self, queryset: QuerySet[Implant], name: str, value: Any) -> QuerySet[Implant]:
        return queryset  # all three go to the selector together (filter_queryset)

    def filter_queryset(self, queryset: QuerySet[Implant]) -> QuerySet[Implant]:
        data = self.form.cleaned_data
        return selectors.recalled_implants(
            gtin=data["gtin"], lot=data.get("lot") or "", serial=data.get("serial") or ""
        )

    def query(self) -> QueryDict:
        """The search, checked, as a query string's data (for the export and the pages)."""
        query = QueryDict(mutable=True)
        if self.is_bound and self.is_valid():
            for name, value in self.form.cleaned_data.items():
                if value:
                    query[name] = value
        return query

    def describe(self) -> str:
        """The search in words for the access log: device identifiers only, as typed if they
        could not be read (cut short), never more."""
        if not self.is_bound:
            return ""
        values = self.form.cleaned_data if self.is_valid() else self.data
        parts = [f"{name}={str(values.get(name, ''))[:40]}" for name in self.filters]
        return "recall look-up: " + "; ".join(p for p in parts if not p.endswith("="))
