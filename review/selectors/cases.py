"""The review list: cases with their stored compliance, the list's choices, and its export.

A case's compliance facts are stored on it when it closes (``checklists.compliance``, written
by the workflow), so the list, its filters and the export read the case table, not every
case's steps; each page costs the same number of queries however many cases there are.
"""

import datetime
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib.auth.models import User
from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, F, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models import Case as SqlCase
from django.utils.functional import cached_property

from accounts import roles
from accounts.dates import local_midnight
from accounts.text import natural_key
from checklists.choices import CaseStatus
from checklists.models import Case, CaseCount, CaseStep
from procedures.models import Procedure

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


REVIEWABLE_STATUSES = (CaseStatus.COMPLETED, CaseStatus.REVIEWED)
LISTED_STATUSES = (*REVIEWABLE_STATUSES, CaseStatus.CANCELLED)


# --- compliance, stored on the case ----------------------------------------------------------


class ComplianceAnnotation(TypedDict):
    """What ``with_compliance`` adds to each case."""

    time_out_before_incision: bool


if TYPE_CHECKING:
    CaseWithCompliance = WithAnnotations[Case, ComplianceAnnotation]


def with_compliance(cases: QuerySet[Case]) -> "QuerySet[CaseWithCompliance]":
    """Annotate each case with ``time_out_before_incision``, from its stored facts.

    The facts themselves are Case fields (see ``checklists.compliance`` for their
    definitions): ``required_complete``, ``time_out_at``, ``incision_at`` and ``amended``.
    ``time_out_before_incision`` is ``compliance.time_out_before_incision`` in SQL, so that
    the list can filter and sort by it: both recorded, and the Time Out no later than the
    incision (False when either is missing: compliance that cannot be shown is not compliance).
    """
    return cases.annotate(
        time_out_before_incision=SqlCase(
            When(time_out_at__lte=F("incision_at"), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def scheduled_between(
    cases: QuerySet[Case],
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Case]:
    """Cases whose operation was scheduled on those local days (both ends included).

    Bounds are local midnights, so the (scheduled_start, room) index serves the range.
    """
    if date_from:
        cases = cases.filter(scheduled_start__gte=local_midnight(date_from))
    if date_to:
        cases = cases.filter(
            scheduled_start__lt=local_midnight(date_to + datetime.timedelta(days=1))
        )
    return cases


# --- the review list and its export ----------------------------------------------------------


def review_cases() -> "QuerySet[CaseWithCompliance]":
    """Signed-out cases (completed or reviewed) and cancelled ones, with their compliance and
    their quality facts (``CaseQuality``, read in the same query).

    ``review.filters.ReviewCaseFilter`` narrows it (cancelled cases only on request).
    """
    cases = Case.objects.filter(status__in=LISTED_STATUSES).select_related(
        "procedure", "surgeon", "quality"
    )
    return with_compliance(cases)


def review_page(
    cases: QuerySet[Case],
    *,
    number: Any,
    per_page: int,
    after: Any = None,
    before: Any = None,
    days: list[tuple[datetime.date, int]] | None = None,
) -> Page:
    """One page of the filtered, sorted list, its cases carrying their compliance.

    The page's case ids come first, then only those cases with their procedure and surgeon.
    Sorting and skipping narrow rows of ids is cheaper than carrying every matching case's
    joined columns through the sort: at 100k cases, one query took about twice as long sorted
    by Time Out (88 against 47 ms), and up to 8x on deep pages, on both databases.

    Skipping rows costs the database a read of every row skipped, so a deep page is found by
    its neighbour instead where it can be (keyset pagination): ``after`` is the last case of
    the page before (the Next link's), ``before`` the first case of the page after (the
    Previous link's); the page starts just past that case in the list's order. A page asked
    for by number alone (a bookmark, the Last link) is counted from whichever end is nearer.
    A cursor that cannot be used (not a case of this list, or a sort by a column that may be
    empty) falls back to the page's number: every link still opens the page it names.

    ``days``, when given, are the list's cases by day, newest first (``listed_days``): the
    list is not counted again, and in the default order (newest first) a page asked for by
    number skips only the rows of its first day, the days before found by the counts.
    """
    ids = cases.values_list("pk", flat=True)
    count = None if days is None else sum(listed for _, listed in days)
    paginator: Paginator[Any] = _CountedPaginator(ids, per_page, count=count)
    page = paginator.get_page(number)  # its rows are not read: only the ids wanted below
    start = (page.number - 1) * per_page
    size = max(0, min(per_page, paginator.count - start))
    wanted = _keyset_ids(cases, size, after=after, before=before)
    if wanted is None and days is not None and _ordering(cases) == NEWEST_FIRST:
        wanted = _day_seek_ids(ids, start, size, days=days)
    if wanted is None:
        wanted = _nearer_end_ids(ids, start, size, count=paginator.count)
    found = review_cases().filter(pk__in=wanted).in_bulk()
    page.object_list = [found[pk] for pk in wanted if pk in found]
    return page


class _CountedPaginator(Paginator):
    """A paginator told its list's length, when it is known without a ``COUNT``."""

    def __init__(self, object_list: Any, per_page: int, *, count: int | None) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return super().count if self.known_count is None else self.known_count


def listed_days(
    *,
    signed_out: bool,
    cancelled: bool,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    **columns: Any,
) -> list[tuple[datetime.date, int]]:
    """How many signed-out and/or cancelled cases the list holds on each day, newest first,
    narrowed by days and by ``columns`` (procedure, surgeon, room): read from the dashboard's
    day counts (``CaseCount``: a row per day, procedure, surgeon and room of closed cases,
    kept by the workflow), not by counting cases. Their sum is the list's length; with them a
    page deep in the list is found from its day (``review_page``)."""
    counts = CaseCount.objects.filter(**{name: value for name, value in columns.items() if value})
    if date_from:
        counts = counts.filter(day__gte=date_from)
    if date_to:
        counts = counts.filter(day__lte=date_to)
    listed = [
        Sum(name) for name, kept in (("signed_out", signed_out), ("cancelled", cancelled)) if kept
    ]
    if not listed:
        return []
    total = listed[0] + listed[1] if len(listed) == 2 else listed[0]
    rows = counts.order_by("-day").values("day").annotate(cases=total).values_list("day", "cases")
    return [(day, cases) for day, cases in rows if cases]


def _ordering(cases: QuerySet[Case]) -> list[tuple[str, bool]] | None:
    """The list's order as (field, descending) pairs, or None when a field may be empty:
    NULLs sort differently on SQLite and PostgreSQL, so those sorts page by number. A field
    sorted by again (the date, newest first, then its tie-break) is left out: it orders
    nothing more."""
    ordering: list[tuple[str, bool]] = []
    for term in cases.query.order_by:
        if not isinstance(term, str):
            return None
        name = term.lstrip("-")
        if any(name == earlier for earlier, _ in ordering):
            continue
        if name != "pk" and name not in cases.query.annotations:
            model: Any = Case
            *path, last = name.split("__")
            for part in path:
                model = model._meta.get_field(part).related_model
            if model._meta.get_field(last).null:
                return None
        ordering.append((name, term.startswith("-")))
    return ordering or None


def _keyset_ids(cases: QuerySet, size: int, *, after: Any, before: Any) -> list[int] | None:
    """The page's ids found from a neighbouring case's sort values, in the same query (its
    values read by subqueries), or None when no cursor can be used or it finds no rows."""
    cursor, forward = (after, True) if after else (before, False)
    ordering = _ordering(cases)
    if not cursor or not str(cursor).isdigit() or ordering is None:
        return None
    ids = cases.values_list("pk", flat=True)
    boundary = cases.filter(pk=int(cursor)).order_by()
    beyond = Q()
    for index, (name, descending) in enumerate(ordering):
        value = Subquery(boundary.values(name)[:1])
        step = Q(**{f"{name}__lt" if descending == forward else f"{name}__gt": value})
        for earlier, _ in ordering[:index]:
            step &= Q(**{earlier: Subquery(boundary.values(earlier)[:1])})
        beyond |= step
    # The first column's bound again, on its own: implied by the terms above, but a database
    # cannot start an index scan from an OR of terms (at 1M cases, the date's index read from
    # the neighbour's date rather than from the newest case).
    first, descending = ordering[0]
    value = Subquery(boundary.values(first)[:1])
    beyond &= Q(**{f"{first}__lte" if descending == forward else f"{first}__gte": value})
    if forward:
        wanted = list(ids.filter(beyond)[:size])
    else:
        wanted = list(ids.filter(beyond).reverse()[:size])[::-1]
    return wanted or None


# The list's default order (``review.filters.ReviewOrdering.TIE_BREAK``) as ``_ordering`` reads it.
NEWEST_FIRST = [("scheduled_start", True), ("pk", True)]


def _day_seek_ids(
    ids: QuerySet, start: int, size: int, *, days: list[tuple[datetime.date, int]]
) -> list[int]:
    """The page's ids in the default order (newest first), skipping whole days by their
    counts: the rows are read from the end of the page's first day, skipping only that day's
    cases before the page (at 1M cases, a few thousand rows rather than half a million)."""
    skipped = 0
    for day, cases in days:
        if skipped + cases > start:
            before = local_midnight(day + datetime.timedelta(days=1))
            within = start - skipped
            return list(ids.filter(scheduled_start__lt=before)[within : within + size])
        skipped += cases
    return []


def _nearer_end_ids(ids: QuerySet, start: int, size: int, *, count: int) -> list[int]:
    """The page's ids, skipping rows from the start of the list or, for its later half, from
    its end read backwards (the list's order always ends with the case id, so backwards is
    exactly the reverse): the Last page reads only its own rows."""
    from_end = count - start - size
    if size <= 0:
        return []
    if from_end < start:
        return list(ids.reverse()[from_end : from_end + size])[::-1]
    return list(ids[start : start + size])


def surgeons() -> QuerySet[User]:
    """Members of the Surgeon role, inactive ones too: their past cases are still reviewed."""
    return User.objects.filter(groups__name=roles.SURGEON).order_by(
        "last_name", "first_name", "username"
    )


def procedures() -> QuerySet[Procedure]:
    return Procedure.objects.order_by("title")


def rooms() -> list[str]:
    """The rooms of listed cases, in natural order (OR 2 before OR 10). Read from the
    dashboard's counts (``CaseCount``), which hold a row for every closed case's day and room
    (the listed cases are the closed ones): thousands of rows rather than every case (157 ms
    at 400k cases on PostgreSQL, for every page of the list)."""
    names = CaseCount.objects.order_by().values_list("room", flat=True).distinct()
    return sorted(names, key=natural_key)


CASE_EXPORT_FIELDS = (
    "pk",
    "scheduled_start",
    "room",
    "procedure__title",
    "laterality",
    "surgeon__first_name",
    "surgeon__last_name",
    "surgeon__username",
    "status",
    "required_complete",
    "time_out_at",
    "incision_at",
    "amended",
    "started_at",
    "completed_at",
    "reviewed_at",
    "reviewed_by__first_name",
    "reviewed_by__last_name",
    "reviewed_by__username",
    "cancel_reason",
    # How the checks were done (``CaseQuality``), empty for a case without its facts.
    *(
        f"quality__{name}"
        for name in (
            "time_out_seconds",
            "surgeon_present",
            "anaesthetist_present",
            "circulating_nurse_present",
            "scrub_present",
            "all_items_spoken",
            "everyone_present",
            "interruptions",
            "stops",
            "longest_stop_seconds",
            "time_outs_repeated",
            "recorded_after_the_fact",
        )
    ),
)
STEP_EXPORT_FIELDS = (
    "case_id",
    "phase",
    "position",
    "title",
    "side",
    "required",
    "status",
    "value",
    "unit",
    "note",
    "na_reason",
    "recorded_by__first_name",
    "recorded_by__last_name",
    "recorded_by__username",
    "recorded_at",
)
# Cases whose steps are read per query in a one-row-per-step export (about 35 steps each).
STEP_EXPORT_CHUNK = 250
# Case rows fetched from the database at a time by an export: a server-side cursor on
# PostgreSQL, ``fetchmany`` on SQLite; memory holds one chunk, whatever the number of cases.
CASE_EXPORT_CHUNK = 2000


def case_export_rows(cases: QuerySet[Case]) -> Iterator[dict[str, Any]]:
    """The rows of a one-row-per-case export, streamed from one query (flat memory).

    ``cases`` is the filtered list (``review_cases()`` through the filter set), in its order.
    """
    rows = cases.values(*CASE_EXPORT_FIELDS).iterator(chunk_size=CASE_EXPORT_CHUNK)
    yield from rows


def step_export_rows(cases: QuerySet[Case]) -> Iterator[tuple[dict[str, Any], Any]]:
    """(case, step) rows of a one-row-per-step export, in the list's order of cases; each step
    a named tuple of ``STEP_EXPORT_FIELDS`` (with ``__`` in names, e.g. ``recorded_by__username``).

    The cases stream from one query; their steps are read per chunk of cases, one query per
    ``STEP_EXPORT_CHUNK`` cases, so memory stays flat whatever the number of cases.
    """
    case_rows = cases.values(*CASE_EXPORT_FIELDS).iterator(chunk_size=CASE_EXPORT_CHUNK)
    while chunk := list(itertools.islice(case_rows, STEP_EXPORT_CHUNK)):
        steps = (
            CaseStep.objects.filter(case_id__in=[row["pk"] for row in chunk])
            .order_by("case_id", "position")
            .values_list(*STEP_EXPORT_FIELDS, named=True)  # tuples: a third of dicts' memory
        )
        by_case = {
            case_id: list(rows)
            for case_id, rows in itertools.groupby(steps, key=lambda step: step.case_id)
        }
        for case_row in chunk:
            for step_row in by_case.get(case_row["pk"], ()):
                yield case_row, step_row
