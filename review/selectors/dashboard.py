"""The dashboard: compliance figures over signed-out cases, from the counts the workflow keeps.

Counts are sums of the day-by-day rows the workflow keeps (``checklists.summary``), the
quality of the checks month by month too (``QualityCount``). Medians and percentiles come
from histograms (``review.selectors.spreads``): the month-by-month ``SpreadCount`` rows for
the period's whole months, and the cases themselves, grouped the same way, for the days of
its partial months. No query reads every case of the period."""

import datetime
import itertools
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Case as SqlCase
from django.db.models import DateField, F, Min, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import TruncMonth

from accounts.dates import local_midnight
from accounts.people import display_name_from
from checklists.choices import Measure, Side
from checklists.models import (
    Case,
    CaseCount,
    ImplantProductCount,
    ImplantSideCount,
    QualityCount,
    SpreadCount,
    StepCount,
)
from procedures.choices import PHASE_ORDER, Phase
from procedures.models import Procedure
from review.selectors.cases import REVIEWABLE_STATUSES
from review.selectors.spreads import Histograms, Spread, of_measure, spreads


@dataclass(frozen=True)
class StepRate:
    phase: str
    phase_label: str
    title: str
    total: int
    done: int
    not_applicable: int
    missing: int

    def percent(self, count: int) -> float:
        return round(100 * count / self.total, 1) if self.total else 0.0

    @property
    def done_percent(self) -> float:
        return self.percent(self.done)

    @property
    def not_applicable_percent(self) -> float:
        return self.percent(self.not_applicable)

    @property
    def missing_percent(self) -> float:
        return self.percent(self.missing)


@dataclass(frozen=True)
class PhaseRate(StepRate):
    """A phase's steps over all its cases: completion counts done and not applicable."""

    @property
    def completion_percent(self) -> float:
        return self.percent(self.done + self.not_applicable)


@dataclass(frozen=True)
class MonthCount:
    month: datetime.date
    cases: int


@dataclass(frozen=True)
class ImplantsPerSide:
    procedure: str
    side: str
    implants: int
    sides: int

    @property
    def mean(self) -> float:
        return round(self.implants / self.sides, 2) if self.sides else 0.0


@dataclass(frozen=True)
class WasteByProduct:
    """Implants of one product opened in the period, and those of them not implanted."""

    manufacturer: str
    product: str
    opened: int
    wasted: int

    @property
    def percent(self) -> float:
        return round(100 * self.wasted / self.opened, 1) if self.opened else 0.0


@dataclass(frozen=True)
class MonthQuality:
    """How well the checks of one month's signed-out cases were done (``CaseQuality``).

    The team's and the attestations' shares are of the cases with a Time Out read aloud (a
    checklist whose Time Out does not gate the procedure has none to measure); the others are
    of every case with its facts stored."""

    month: datetime.date
    cases: int
    read_aloud: int
    full_team: int
    attested_well: int
    after_the_fact: int
    stops: int
    median_time_out_seconds: float | None

    @staticmethod
    def _percent(count: int, total: int) -> float | None:
        return round(100 * count / total, 1) if total else None

    @property
    def full_team_percent(self) -> float | None:
        return self._percent(self.full_team, self.read_aloud)

    @property
    def attested_well_percent(self) -> float | None:
        return self._percent(self.attested_well, self.read_aloud)

    @property
    def after_the_fact_percent(self) -> float | None:
        return self._percent(self.after_the_fact, self.cases)

    @property
    def stops_per_100(self) -> float | None:
        return self._percent(self.stops, self.cases)


@dataclass(frozen=True)
class Dashboard:
    date_from: datetime.date
    date_to: datetime.date
    months: list[MonthCount]
    phases: list[PhaseRate]
    steps: list[StepRate]
    time_out_to_incision: list[Spread]
    durations_by_procedure: list[Spread]
    durations_by_surgeon: list[Spread]
    implants: list[ImplantsPerSide]
    waste: list[WasteByProduct]
    quality: list[MonthQuality]

    @property
    def cases_completed(self) -> int:
        return sum(month.cases for month in self.months)

    def chart_data(self) -> dict[str, Any]:
        """The numbers the charts draw: the same ones the tables print."""

        def spreads(rows: list[Spread]) -> dict[str, list[Any]]:
            return {
                "labels": [row.label for row in rows],
                "median": [row.median for row in rows],
                "p90": [row.p90 for row in rows],
            }

        return {
            "months": {
                "labels": [f"{month.month:%b %Y}" for month in self.months],
                "cases": [month.cases for month in self.months],
            },
            "phases": {
                "labels": [phase.phase_label for phase in self.phases],
                "completion": [phase.completion_percent for phase in self.phases],
            },
            "steps": {
                "labels": [step.title for step in self.steps],
                "done": [step.done_percent for step in self.steps],
                "not_applicable": [step.not_applicable_percent for step in self.steps],
                "missing": [step.missing_percent for step in self.steps],
            },
            "time_out_to_incision": spreads(self.time_out_to_incision),
            "durations_by_procedure": spreads(self.durations_by_procedure),
            "durations_by_surgeon": spreads(self.durations_by_surgeon),
            "implants": {
                "labels": [f"{row.procedure}, {row.side.lower()}" for row in self.implants],
                "mean": [row.mean for row in self.implants],
            },
            "quality": {
                "labels": [f"{month.month:%b %Y}" for month in self.quality],
                "full_team": [month.full_team_percent for month in self.quality],
                "attested_well": [month.attested_well_percent for month in self.quality],
                "after_the_fact": [month.after_the_fact_percent for month in self.quality],
                "stops_per_100": [month.stops_per_100 for month in self.quality],
                "median_time_out": [month.median_time_out_seconds for month in self.quality],
            },
        }


def dashboard(
    *,
    date_from: datetime.date,
    date_to: datetime.date,
    procedure: Procedure | None = None,
    surgeon: User | None = None,
) -> Dashboard:
    """Compliance figures over signed-out cases scheduled between two days (both included).

    Eight queries whatever the number of cases, none reading every case of the period. From
    the day-by-day rows the workflow keeps as cases close (``checklists.summary``): cases per
    month; step counts by step (the phase figures are sums of those rows); implants placed by
    procedure and side; implants opened but not implanted, by product; the quality of the
    checks by month. Medians and 90th percentiles, in whole minutes (the Time Out's in
    seconds), from histograms of the whole months and of the cases of the partial ones: Time
    Out to incision, overall and by procedure, with case duration (first step recorded to
    sign-out) by procedure, in one query; duration by surgeon in one; the median Time Out
    duration by month in one.
    """
    cases = Case.objects.filter(status__in=REVIEWABLE_STATUSES)
    days = Q(day__gte=date_from, day__lte=date_to)
    kept = SpreadCount.objects.all()
    if procedure is not None:
        cases = cases.filter(procedure=procedure)
        days &= Q(procedure=procedure)
        kept = kept.filter(procedure=procedure)
    if surgeon is not None:
        cases = cases.filter(surgeon=surgeon)
        days &= Q(surgeon=surgeon)
        kept = kept.filter(surgeon=surgeon)
    histograms = Histograms(cases, kept, date_from=date_from, date_to=date_to)
    steps = _step_rates(days)
    procedure_id, surgeon_id = F("procedure_id"), F("surgeon_id")
    by_procedure = histograms.rows(
        (Measure.TIME_OUT_TO_INCISION, Measure.DURATION),
        (procedure_id, procedure_id),
        labels=[_of_procedure("title")],
    )
    by_surgeon = histograms.rows(
        (Measure.DURATION,),
        (surgeon_id, surgeon_id),
        labels=[_of_surgeon(name) for name in ("first_name", "last_name", "username")],
    )
    return Dashboard(
        date_from=date_from,
        date_to=date_to,
        months=_months(days, date_from=date_from, date_to=date_to),
        phases=_phase_rates(steps),
        steps=steps,
        time_out_to_incision=spreads(
            of_measure(by_procedure, Measure.TIME_OUT_TO_INCISION),
            label=_procedure_label,
            overall=True,
        ),
        durations_by_procedure=spreads(
            of_measure(by_procedure, Measure.DURATION), label=_procedure_label
        ),
        durations_by_surgeon=spreads(
            of_measure(by_surgeon, Measure.DURATION), label=_surgeon_label
        ),
        implants=_implants_per_side(days),
        waste=_waste_by_product(days),
        quality=_quality_by_month(days, histograms, date_from=date_from, date_to=date_to),
    )


def _month_starts(date_from: datetime.date, date_to: datetime.date) -> list[datetime.date]:
    """The first day of every month the period touches, and of the month after it."""
    starts, month = [], date_from.replace(day=1)
    while month <= date_to:
        starts.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return [*starts, month]


def _months(days: Q, *, date_from: datetime.date, date_to: datetime.date) -> list[MonthCount]:
    """Every month of the period (those without cases too), summed in one query."""
    bounds = _month_starts(date_from, date_to)
    starts, ends = bounds[:-1], bounds[1:]
    counts = CaseCount.objects.filter(days).aggregate(
        **{
            f"month_{index}": Sum("signed_out", filter=Q(day__gte=start, day__lt=end))
            for index, (start, end) in enumerate(zip(starts, ends, strict=True))
        }
    )
    return [
        MonthCount(month=start, cases=counts[f"month_{index}"] or 0)
        for index, start in enumerate(starts)
    ]


def _quality_by_month(
    days: Q, histograms: Histograms, *, date_from: datetime.date, date_to: datetime.date
) -> list[MonthQuality]:
    """Every month of the period (those without cases too): the quality counts summed by
    month in one query, the median Time Out duration from the histograms in one more."""
    counts = {
        _month_key(row["month"]): row
        for row in QualityCount.objects.filter(days)
        .order_by()
        .values(month=TruncMonth("day", output_field=DateField()))
        .annotate(
            cases=Sum("cases"),
            read_aloud=Sum("read_aloud"),
            full_team=Sum("full_team"),
            attested_well=Sum("attested_well"),
            after_the_fact=Sum("after_the_fact"),
            stops=Sum("stops"),
        )
    }
    rows = histograms.rows(
        (Measure.TIME_OUT,), (F("month"), _local_month(date_from=date_from, date_to=date_to))
    )
    medians = {
        spread.label: spread.median
        for spread in spreads(of_measure(rows, Measure.TIME_OUT), label=_month_key)
    }
    empty = dict.fromkeys(
        ("cases", "read_aloud", "full_team", "attested_well", "after_the_fact", "stops"), 0
    )
    result = []
    for start in _month_starts(date_from, date_to)[:-1]:
        row = {**empty, **counts.get(_month_key(start), {})}
        result.append(
            MonthQuality(
                month=start,
                cases=row["cases"],
                read_aloud=row["read_aloud"],
                full_team=row["full_team"],
                attested_well=row["attested_well"],
                after_the_fact=row["after_the_fact"],
                stops=row["stops"],
                median_time_out_seconds=medians.get(_month_key(start)),
            )
        )
    return result


def _local_month(*, date_from: datetime.date, date_to: datetime.date) -> SqlCase:
    """The month a case of the period was scheduled in, in the hospital's time zone, by
    comparing its start with the local midnights that begin the period's months: the same as
    ``TruncMonth`` in that zone, which costs a call per case (on SQLite, of a Python function:
    half the dashboard's time over a month of partial days)."""
    bounds = _month_starts(date_from, date_to)
    return SqlCase(
        *(
            When(scheduled_start__lt=local_midnight(end), then=Value(start))
            for start, end in itertools.pairwise(bounds)
        ),
        output_field=DateField(),
    )


def _month_key(month: datetime.date | datetime.datetime) -> str:
    """A month's first day as text. Where PostgreSQL unites a kept month (a date) with a
    case's (the local midnight that began it), the month comes as a datetime."""
    if isinstance(month, datetime.datetime):
        month = month.date()
    return month.isoformat()


def _step_rates(days: Q) -> list[StepRate]:
    rows = (
        StepCount.objects.filter(days)
        .order_by()
        .values("phase", "title")
        .annotate(
            done=Sum("done"),
            not_applicable=Sum("not_applicable"),
            missing=Sum("pending"),
            first_position=Min("first_position"),
        )
    )
    ordered = sorted(
        rows, key=lambda row: (PHASE_ORDER[row["phase"]], row["first_position"], row["title"])
    )
    return [
        StepRate(
            phase=row["phase"],
            phase_label=Phase(row["phase"]).label,
            title=row["title"],
            total=row["done"] + row["not_applicable"] + row["missing"],
            done=row["done"],
            not_applicable=row["not_applicable"],
            missing=row["missing"],
        )
        for row in ordered
    ]


def _phase_rates(steps: list[StepRate]) -> list[PhaseRate]:
    """Sums of the per-step rows (a few dozen rows, not cases): no query of its own."""
    phases = []
    for phase, group in itertools.groupby(steps, key=lambda step: step.phase):
        rows = list(group)
        phases.append(
            PhaseRate(
                phase=phase,
                phase_label=Phase(phase).label,
                title=Phase(phase).label,
                total=sum(row.total for row in rows),
                done=sum(row.done for row in rows),
                not_applicable=sum(row.not_applicable for row in rows),
                missing=sum(row.missing for row in rows),
            )
        )
    return phases


# A group's name, read by its id once the group is counted (``Histograms.rows``' labels):
# sorting some 30,000 kept rows by names rather than numbers took most of each query's time
# (55 of 80 ms at 350k cases on PostgreSQL).
def _of_procedure(field: str) -> Subquery:
    return Subquery(
        Procedure.objects.filter(pk=OuterRef("procedure_id")).order_by().values(field)[:1]
    )


def _of_surgeon(field: str) -> Subquery:
    return Subquery(User.objects.filter(pk=OuterRef("surgeon_id")).order_by().values(field)[:1])


def _procedure_label(key: tuple[Any, ...]) -> str:
    _, title = key
    return title


def _surgeon_label(key: tuple[Any, ...]) -> str:
    _, first, last, username = key
    return display_name_from(first, last, username)


def _implants_per_side(days: Q) -> list[ImplantsPerSide]:
    rows = (
        ImplantSideCount.objects.filter(days)
        .order_by()
        .values("procedure__title", "side")
        .annotate(implants=Sum("implants"), sides=Sum("sides"))
        .filter(implants__gt=0)
        .order_by("procedure__title", "side")
    )
    return [
        ImplantsPerSide(
            procedure=row["procedure__title"],
            side=Side(row["side"]).label,
            implants=row["implants"],
            sides=row["sides"],
        )
        for row in rows
    ]


def _waste_by_product(days: Q) -> list[WasteByProduct]:
    """The products with an implant opened but not implanted, most wasted first."""
    rows = (
        ImplantProductCount.objects.filter(days)
        .order_by()
        .values("manufacturer", "product")
        .annotate(opened=Sum("opened"), wasted=Sum("wasted"))
        .filter(wasted__gt=0)
        .order_by("-wasted", "manufacturer", "product")
    )
    return [WasteByProduct(**row) for row in rows]
