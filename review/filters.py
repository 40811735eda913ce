"""The review list's filters and sorting, read from the URL so a view can be bookmarked.

The MRN search is the exception: an MRN is patient identity and never goes into a URL. The
search form POSTs it; the view keeps it in the (server-side) session and redirects to the list
with only ``mrn=held`` in the URL; this filter set then applies the held MRN (see views).
"""

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict

from accounts.forms import PersonChoiceField
from checklists import quality
from checklists.choices import CaseStatus
from checklists.models import Case
from review import selectors
from review.choices import Compliance, Quality, YesNo
from review.forms import DATE_WIDGET, PAGE_SIZES, ReviewFilterForm

if TYPE_CHECKING:
    from review.selectors.cases import CaseWithCompliance

MRN_HELD = "held"


class PersonChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = PersonChoiceField


class ReviewOrdering(django_filters.OrderingFilter):
    """Sorting by a column; the newest case first within equal values, so pages are stable."""

    TIE_BREAK = ("-scheduled_start", "-pk")
    # A parameter may stand for several fields (a surgeon sorts by last, then first name).
    EXPANDS = {"surgeon__last_name": ("surgeon__last_name", "surgeon__first_name")}

    def filter(self, qs: QuerySet, value: list[str] | None) -> QuerySet:
        ordering: list[str] = []
        for param in value or ():
            if not param:
                continue
            field = self.get_ordering_value(param)
            descending = field.startswith("-")
            for name in self.EXPANDS.get(field.lstrip("-"), (field.lstrip("-"),)):
                ordering.append(f"-{name}" if descending else name)
        return qs.order_by(*ordering, *self.TIE_BREAK)


SORTABLE = (
    ("scheduled_start", "date"),
    ("room", "room"),
    ("procedure__title", "procedure"),
    ("laterality", "side"),
    ("surgeon__last_name", "surgeon"),
    ("status", "status"),
    ("required_complete", "required"),
    ("time_out_before_incision", "time_out"),
    ("amended", "amended"),
    ("reviewed_at", "reviewed"),
)


COLUMN_LABELS = {
    "date": "Date",
    "room": "Room",
    "procedure": "Procedure",
    "side": "Side",
    "surgeon": "Surgeon",
    "status": "Status",
    "required": "Required steps complete",
    "time_out": "Time Out before incision",
    "amended": "Amended",
    "reviewed": "Reviewed",
}


@dataclass(frozen=True)
class Column:
    label: str
    param: str
    current: str

    @property
    def sorted(self) -> str:
        """ "ascending", "descending" or "" (for aria-sort)."""
        if self.current == self.param:
            return "ascending"
        return "descending" if self.current == f"-{self.param}" else ""

    @property
    def next_sort(self) -> str:
        """Ascending first, then descending; dates newest first to begin with."""
        if self.sorted == "ascending":
            return f"-{self.param}"
        if self.sorted == "descending":
            return self.param
        return f"-{self.param}" if self.param == "date" else self.param


class ReviewCaseFilter(django_filters.FilterSet):
    """Filters of the review list and its export: both use exactly this, so the export is
    exactly the filtered set."""

    date_from = django_filters.DateFilter(label="From", method="filter_dates", widget=DATE_WIDGET)
    date_to = django_filters.DateFilter(label="To", method="filter_dates", widget=DATE_WIDGET)
    surgeon = PersonChoiceFilter(queryset=selectors.surgeons(), empty_label="Any surgeon")
    procedure = django_filters.ModelChoiceFilter(
        queryset=selectors.procedures(), empty_label="Any procedure"
    )
    room = django_filters.ChoiceFilter(
        choices=lambda: [(room, room) for room in selectors.rooms()], empty_label="Any room"
    )
    status = django_filters.ChoiceFilter(
        choices=[
            (CaseStatus.COMPLETED, "Completed, not reviewed"),
            (CaseStatus.REVIEWED, "Reviewed"),
            (CaseStatus.CANCELLED, "Cancelled"),
        ],
        empty_label="Completed or reviewed",
    )
    compliance = django_filters.ChoiceFilter(
        label="Compliance",
        choices=Compliance.choices,
        method="filter_compliance",
        empty_label="Any",
    )
    quality = django_filters.ChoiceFilter(
        label="Quality of the checks",
        choices=Quality.choices,
        method="filter_quality",
        empty_label="Any",
    )
    amended = django_filters.ChoiceFilter(
        label="Amended after sign-out",
        choices=[(YesNo.YES, "Amended"), (YesNo.NO, "Not amended")],
        method="filter_amended",
        empty_label="Either",
    )
    reviewed = django_filters.ChoiceFilter(
        label="Reviewed",
        choices=[(YesNo.YES, "Reviewed"), (YesNo.NO, "Not reviewed yet")],
        method="filter_reviewed",
        empty_label="Either",
    )
    cancelled = django_filters.BooleanFilter(
        label="Include cancelled cases",
        method="keep",
        widget=forms.CheckboxInput,
    )
    mrn = django_filters.ChoiceFilter(
        label="MRN search",
        choices=[(MRN_HELD, "MRN search held for this session")],
        method="keep",
        widget=forms.HiddenInput,
    )
    sort = ReviewOrdering(fields=SORTABLE, label="Sort by", empty_label="Date, newest first")
    per_page = django_filters.ChoiceFilter(
        label="Rows per page",
        choices=[(str(size), str(size)) for size in PAGE_SIZES],
        method="keep",
        empty_label=None,
    )

    class Meta:
        model = Case
        fields: list[str] = []
        form = ReviewFilterForm

    def __init__(
        self, data: QueryDict | None = None, *args: Any, held_mrn: str = "", **kwargs: Any
    ) -> None:
        super().__init__(data, *args, queryset=selectors.review_cases(), **kwargs)
        self.held_mrn = held_mrn

    def keep(self, queryset: QuerySet[Case], name: str, value: Any) -> QuerySet[Case]:
        return queryset  # applied in filter_queryset: they change the defaults, not a column

    def filter_dates(
        self, queryset: QuerySet[Case], name: str, value: datetime.date
    ) -> QuerySet[Case]:
        bound = {"date_from" if name == "date_from" else "date_to": value}
        return selectors.scheduled_between(queryset, **bound)

    def filter_compliance(
        self, queryset: "QuerySet[CaseWithCompliance]", name: str, value: str
    ) -> "QuerySet[CaseWithCompliance]":
        if value == Compliance.COMPLIANT:
            return queryset.filter(required_complete=True, time_out_before_incision=True)
        if value == Compliance.REQUIRED_MISSING:
            return queryset.filter(required_complete=False)
        if value == Compliance.TIME_OUT_LATE:
            return queryset.filter(time_out_before_incision=False)
        return queryset.exclude(required_complete=True, time_out_before_incision=True)

    def filter_quality(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        """By the case's stored quality facts (``CaseQuality``, one row a closed case)."""
        facts = {
            Quality.TEAM_MISSING: quality.team_missing_q("quality__"),
            Quality.ATTESTED_BADLY: quality.attested_badly_q("quality__"),
            Quality.STOPS: Q(quality__stops__gt=0),
            Quality.REPEATED: Q(quality__time_outs_repeated__gt=0),
            Quality.AFTER_THE_FACT: Q(quality__recorded_after_the_fact=True),
            Quality.NOT_READ_ALOUD: Q(quality__surgeon_present__isnull=True),
        }
        return queryset.filter(facts[Quality(value)])

    def filter_amended(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(amended=value == YesNo.YES)

    def filter_reviewed(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(reviewed_at__isnull=value != YesNo.YES)

    def filter_queryset(self, queryset: QuerySet[Case]) -> QuerySet[Case]:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if not data.get("cancelled") and data.get("status") != CaseStatus.CANCELLED:
            queryset = queryset.exclude(status=CaseStatus.CANCELLED)
        if data.get("mrn") == MRN_HELD:
            # Nothing held (the session ended): no cases, rather than everyone's.
            held = self.held_mrn
            queryset = queryset.filter(patient_mrn=held) if held else queryset.none()
        if not data.get("sort"):
            queryset = queryset.order_by(*ReviewOrdering.TIE_BREAK)
        return queryset

    # What the dashboard's day counts (``CaseCount``) can count by: the rest narrow by what
    # only the cases hold, or do not narrow at all (sorting, page size).
    COUNTED_BY = frozenset({"date_from", "date_to", "procedure", "surgeon", "room", "status"})
    NOT_NARROWING = frozenset({"cancelled", "sort", "per_page"})

    def listed_days(self) -> list[tuple[datetime.date, int]] | None:
        """The list's cases by day, read from the day counts when it is narrowed only by what
        they count (``selectors.listed_days``); None when the cases must be counted: a filter
        they do not hold, a status they lump together, or a filter that is invalid."""
        if not self.is_valid():
            return None
        data = self.form.cleaned_data
        narrowing = {
            name for name, value in data.items() if value not in (None, "", [], False)
        } - self.NOT_NARROWING
        status = data.get("status")
        if narrowing - self.COUNTED_BY or status not in ("", None, CaseStatus.CANCELLED):
            return None
        return selectors.listed_days(
            signed_out=not status,
            cancelled=bool(status or data.get("cancelled")),
            **{name: data.get(name) for name in self.COUNTED_BY - {"status"}},
        )

    def cleaned(self, name: str) -> Any:
        """A filter's value if it was valid (the others apply; the form shows the errors)."""
        self.errors  # noqa: B018 -- validates the form, as django-filter's qs does
        return self.form.cleaned_data.get(name)

    @property
    def page_size(self) -> int:
        size = self.cleaned("per_page")
        return int(size) if size else PAGE_SIZES[0]

    @property
    def mrn_search(self) -> bool:
        """Whether the list is narrowed to the MRN held in the session."""
        return self.cleaned("mrn") == MRN_HELD

    def columns(self) -> list["Column"]:
        """The table's sortable columns: which one sorts the list, and each one's next sort."""
        current = (self.cleaned("sort") or ["-date"])[0]
        return [
            Column(label=label, param=param, current=current)
            for param, label in COLUMN_LABELS.items()
        ]

    def query(self) -> QueryDict:
        """The valid filters as a query string's data, for links (sorting, pages, export).

        Built from the known filters only: a link never repeats an unknown parameter.
        """
        query = QueryDict(mutable=True)
        if not self.is_bound:
            return query
        self.is_valid()
        for name in self.filters:
            if name in self.form.cleaned_data and self.data.get(name) not in (None, ""):
                query.setlist(name, self.data.getlist(name))
        return query

    def describe(self) -> str:
        """The filters in words for the access log: values of known filters, never an MRN."""
        if not self.is_bound:
            return ""
        self.is_valid()
        parts = []
        for name, value in self.form.cleaned_data.items():
            if value in (None, "", [], False):
                continue
            if name == "mrn":
                parts.append("MRN search (MRN not logged)")
            elif isinstance(value, list):
                parts.append(f"{name}={','.join(value)}")
            elif hasattr(value, "pk"):
                parts.append(f"{name}={value.pk}")
            else:
                parts.append(f"{name}={value}")
        return "; ".join(parts)
