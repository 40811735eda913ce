"""The dashboard: compliance figures over signed-out cases, each computed by the database."""

import datetime
import itertools
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, F, Min, Q, QuerySet

from accounts.dates import local_midnight
from accounts.people import display_name_from
from checklists.choices import Side, StepStatus
from checklists.models import Case, CaseStep, Implant
from procedures.choices import PHASE_ORDER, Phase
from procedures.models import Procedure
from review.selectors.cases import REVIEWABLE_STATUSES, scheduled_between
from review.selectors.spreads import MinutesBetween, Spread, spreads


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
        }


def dashboard(
    *,
    date_from: datetime.date,
    date_to: datetime.date,
    procedure: Procedure | None = None,
    surgeon: User | None = None,
) -> Dashboard:
    """Compliance figures over signed-out cases scheduled between two days (both included).

    Seven queries whatever the number of cases: cases per month; step counts by step (the
    phase figures are sums of those rows); Time Out to incision per case (the times stored on
    the case), summed up overall and by procedure; case duration (first step recorded to
    sign-out) by procedure, and by surgeon; implants placed by procedure and side; implants
    opened but not implanted, by product.
    """
    cases = Case.objects.filter(status__in=REVIEWABLE_STATUSES)
    cases = scheduled_between(cases, date_from=date_from, date_to=date_to)
    if procedure is not None:
        cases = cases.filter(procedure=procedure)
    if surgeon is not None:
        cases = cases.filter(surgeon=surgeon)
    steps = _step_rates(cases)
    time_out_to_incision = MinutesBetween(F("time_out_at"), F("incision_at"))
    duration = MinutesBetween(F("started_at"), F("completed_at"))
    surgeon_columns = {
        "group_key": F("surgeon_id"),
        "first": F("surgeon__first_name"),
        "last": F("surgeon__last_name"),
        "username": F("surgeon__username"),
    }
    return Dashboard(
        date_from=date_from,
        date_to=date_to,
        months=_months(cases, date_from=date_from, date_to=date_to),
        phases=_phase_rates(steps),
        steps=steps,
        time_out_to_incision=spreads(
            cases.annotate(group_key=F("procedure__title"), value=time_out_to_incision),
            label=lambda key: key[0],
            overall=True,
        ),
        durations_by_procedure=spreads(
            cases.annotate(group_key=F("procedure__title"), value=duration),
            label=lambda key: key[0],
        ),
        durations_by_surgeon=spreads(
            cases.annotate(**surgeon_columns, value=duration),
            group=tuple(surgeon_columns),
            label=_surgeon_label,
        ),
        implants=_implants_per_side(cases),
        waste=_waste_by_product(cases),
    )


def _months(
    cases: QuerySet[Case], *, date_from: datetime.date, date_to: datetime.date
) -> list[MonthCount]:
    """Every month of the period (those without cases too), counted in one pass: a filtered
    count per month between local midnights, rather than truncating each case's date."""
    starts, month = [], date_from.replace(day=1)
    while month <= date_to:
        starts.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    ends = [*starts[1:], month]
    counts = cases.aggregate(
        **{
            f"month_{index}": Count(
                "pk",
                filter=Q(
                    scheduled_start__gte=local_midnight(start),
                    scheduled_start__lt=local_midnight(end),
                ),
            )
            for index, (start, end) in enumerate(zip(starts, ends, strict=True))
        }
    )
    return [
        MonthCount(month=start, cases=counts[f"month_{index}"])
        for index, start in enumerate(starts)
    ]


def _step_rates(cases: QuerySet[Case]) -> list[StepRate]:
    rows = (
        CaseStep.objects.filter(case__in=cases.values("pk"))
        .order_by()
        .values("phase", "title")
        .annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(status=StepStatus.DONE)),
            not_applicable=Count("pk", filter=Q(status=StepStatus.NOT_APPLICABLE)),
            missing=Count("pk", filter=Q(status=StepStatus.PENDING)),
            first_position=Min("position"),
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
            total=row["total"],
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


def _surgeon_label(key: tuple[Any, ...]) -> str:
    _, first, last, username = key
    return display_name_from(first, last, username)


def _implants_per_side(cases: QuerySet[Case]) -> list[ImplantsPerSide]:
    rows = (
        Implant.objects.filter(case__in=cases.values("pk"), wasted_reason="")
        .order_by()
        .values("case__procedure__title", "side")
        .annotate(implants=Count("pk"), sides=Count("case", distinct=True))
        .order_by("case__procedure__title", "side")
    )
    return [
        ImplantsPerSide(
            procedure=row["case__procedure__title"],
            side=Side(row["side"]).label,
            implants=row["implants"],
            sides=row["sides"],
        )
        for row in rows
    ]


def _waste_by_product(cases: QuerySet[Case]) -> list[WasteByProduct]:
    """The products with an implant opened but not implanted, most wasted first."""
    rows = (
        Implant.objects.filter(case__in=cases.values("pk"))
        .order_by()
        .values("manufacturer", "product")
        .annotate(opened=Count("pk"), wasted=Count("pk", filter=~Q(wasted_reason="")))
        .filter(wasted__gt=0)
        .order_by("-wasted", "manufacturer", "product")
    )
    return [WasteByProduct(**row) for row in rows]
