"""Reads for reviewers: cases with their compliance, the whole record, the dashboard figures.

A case's compliance facts are stored on it when it closes (``checklists.compliance``, written
by the workflow), so lists, filters and the dashboard read the case table, not every case's
steps. Every figure is computed by the database (annotations and aggregates); nothing here
loops over cases issuing queries, so each page costs the same number of queries however many
cases there are. Nothing here writes: a reviewer's one change, "Mark reviewed", goes through
``checklists.workflow.mark_reviewed``.
"""

import datetime
import heapq
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import (
    BooleanField,
    Count,
    F,
    FloatField,
    Func,
    Min,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.shortcuts import get_object_or_404

from accounts import roles
from accounts.dates import local_midnight
from accounts.people import display_name, display_name_from
from accounts.text import natural_key
from checklists.audit import Verdict, verify_chains
from checklists.choices import (
    AuditAction,
    CaseStatus,
    Side,
    SignatureMeaning,
    StepStatus,
)
from checklists.compliance import StepFacts, compliance_of
from checklists.models import AuditEvent, Case, CaseStep, Implant, Signature
from procedures.choices import PHASE_ORDER, Phase, StepRole
from procedures.models import Procedure

REVIEWABLE_STATUSES = (CaseStatus.COMPLETED, CaseStatus.REVIEWED)
LISTED_STATUSES = (*REVIEWABLE_STATUSES, CaseStatus.CANCELLED)

User = get_user_model()


# --- compliance, stored on the case ----------------------------------------------------------


def with_compliance(cases: QuerySet[Case]) -> QuerySet[Case]:
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


def review_cases() -> QuerySet[Case]:
    """Signed-out cases (completed or reviewed) and cancelled ones, with their compliance.

    ``review.filters.ReviewCaseFilter`` narrows it (cancelled cases only on request).
    """
    cases = Case.objects.filter(status__in=LISTED_STATUSES).select_related("procedure", "surgeon")
    return with_compliance(cases)


def review_page(cases: QuerySet[Case], *, number: Any, per_page: int) -> Page:
    """One page of the filtered, sorted list, its cases carrying their compliance.

    The page's case ids come first, then only those cases with their procedure and surgeon.
    Sorting and skipping narrow rows of ids is cheaper than carrying every matching case's
    joined columns through the sort: at 100k cases, one query took about twice as long sorted
    by Time Out (88 against 47 ms), and up to 8x on deep pages, on both databases.
    """
    page = Paginator(cases.values_list("pk", flat=True), per_page).get_page(number)
    wanted = list(page.object_list)
    found = review_cases().filter(pk__in=wanted).in_bulk()
    page.object_list = [found[pk] for pk in wanted]
    return page


def surgeons() -> QuerySet[AbstractBaseUser]:
    """Members of the Surgeon role, inactive ones too: their past cases are still reviewed."""
    return User.objects.filter(groups__name=roles.SURGEON).order_by(
        "last_name", "first_name", "username"
    )


def procedures() -> QuerySet[Procedure]:
    return Procedure.objects.order_by("title")


def rooms() -> list[str]:
    """The rooms of listed cases, in natural order (OR 2 before OR 10)."""
    names = (
        Case.objects.filter(status__in=LISTED_STATUSES)
        .order_by()
        .values_list("room", flat=True)
        .distinct()
    )
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


def case_export_rows(cases: QuerySet[Case]) -> Iterator[dict[str, Any]]:
    """The rows of a one-row-per-case export, streamed from one query (flat memory).

    ``cases`` is the filtered list (``review_cases()`` through the filter set), in its order.
    """
    rows = cases.values(*CASE_EXPORT_FIELDS).iterator(chunk_size=2000)
    yield from rows


def step_export_rows(cases: QuerySet[Case]) -> Iterator[tuple[dict[str, Any], Any]]:
    """(case, step) rows of a one-row-per-step export, in the list's order of cases; each step
    a named tuple of ``STEP_EXPORT_FIELDS`` (with ``__`` in names, e.g. ``recorded_by__username``).

    The cases stream from one query; their steps are read per chunk of cases, one query per
    ``STEP_EXPORT_CHUNK`` cases, so memory stays flat whatever the number of cases.
    """
    case_rows = cases.values(*CASE_EXPORT_FIELDS).iterator(chunk_size=2000)
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


# --- the record ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Amendment:
    """One change to a signed case: the values before (as signed) and after, and why."""

    seq: int
    step: CaseStep | None
    step_label: str
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str
    by: str
    at: datetime.datetime

    @property
    def original(self) -> str:
        return describe_state(self.before)

    @property
    def amended(self) -> str:
        return describe_state(self.after)


@dataclass(frozen=True)
class RecordStep:
    step: CaseStep
    amendments: list[Amendment]


@dataclass(frozen=True)
class RecordPhase:
    phase: str
    label: str
    steps: list[RecordStep]

    @property
    def recorded(self) -> int:
        return sum(entry.step.is_recorded for entry in self.steps)

    @property
    def total(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class TeamMember:
    name: str
    roles: list[str]
    steps_recorded: int


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: datetime.datetime
    by: str
    action: str
    action_label: str
    step_label: str
    detail: str


@dataclass(frozen=True)
class CaseTime:
    label: str
    at: datetime.datetime | None


@dataclass(frozen=True)
class CaseRecord:
    """A case as a reviewer files it. ``case`` carries the compliance annotations."""

    case: Case
    phases: list[RecordPhase]
    team: list[TeamMember]
    implants: list[Implant]
    signatures: list[Signature]
    amendments: list[Amendment]
    timeline: list[TimelineEntry]
    chain: Verdict

    @property
    def times(self) -> list[CaseTime]:
        case = self.case
        return [
            CaseTime("Scheduled start", case.scheduled_start),
            CaseTime("In room (first step recorded)", case.started_at),
            CaseTime("Time Out complete", case.time_out_at),
            CaseTime("Incision", case.incision_at),
            CaseTime("Signed out", case.completed_at),
            CaseTime("Reviewed", case.reviewed_at),
            CaseTime("Cancelled", case.cancelled_at),
        ]

    @property
    def duration_minutes(self) -> int | None:
        if self.case.started_at and self.case.completed_at:
            return round((self.case.completed_at - self.case.started_at).total_seconds() / 60)
        return None

    @property
    def can_be_reviewed(self) -> bool:
        return self.case.status == CaseStatus.COMPLETED


def case_record(*, case_id: int) -> CaseRecord:
    """The whole record of one case, or a 404. Seven queries, whatever the case's size:
    the case, its steps, implants, signatures and audit events, and the chain's verification
    (which reads the events again, through ``checklists.audit``, the one verifier)."""
    cases = Case.objects.select_related("procedure", "surgeon", "reviewed_by", "created_by")
    case = get_object_or_404(with_compliance(cases), pk=case_id)
    steps = list(case.steps.select_related("recorded_by").order_by("position"))
    implants = list(case.implants.select_related("added_by").order_by("side", "position"))
    signatures = list(
        case.signatures.select_related("signer", "amended_step").order_by("signed_at", "pk")
    )
    events = list(AuditEvent.objects.filter(case=case).select_related("actor").order_by("seq"))
    chain = verify_chains(case_ids=[case.pk])
    if case.is_open:
        _show_compliance_so_far(case, steps)

    steps_by_id = {step.pk: step for step in steps}
    amendments = [
        _amendment(event, steps_by_id.get(event.step_id))
        for event in events
        if event.action == AuditAction.STEP_AMENDED
    ]
    return CaseRecord(
        case=case,
        phases=_record_phases(steps, amendments),
        team=_team(case, steps, implants, signatures),
        implants=implants,
        signatures=signatures,
        amendments=amendments,
        timeline=[_timeline_entry(event, steps_by_id.get(event.step_id)) for event in events],
        chain=chain,
    )


def _show_compliance_so_far(case: Case, steps: list[CaseStep]) -> None:
    """An open case has no stored compliance yet (the workflow stores it when the case
    closes): its record shows the facts as its steps stand, by the same definition, from the
    rows already read. Set on this instance only, for the page; nothing is saved."""
    facts = compliance_of(StepFacts.of(step) for step in steps)
    case.time_out_at, case.incision_at = facts.time_out_at, facts.incision_at
    case.required_complete = facts.required_complete
    case.time_out_before_incision = facts.time_out_before_incision


def _record_phases(steps: list[CaseStep], amendments: list[Amendment]) -> list[RecordPhase]:
    by_step: dict[int, list[Amendment]] = {}
    for amendment in amendments:
        if amendment.step is not None:
            by_step.setdefault(amendment.step.pk, []).append(amendment)
    phases: dict[str, list[RecordStep]] = {phase: [] for phase in Phase.values}
    for step in steps:
        entry = RecordStep(step=step, amendments=by_step.get(step.pk, []))
        phases.setdefault(step.phase, []).append(entry)
    return [
        RecordPhase(phase=phase, label=label, steps=phases[phase])
        for phase, label in Phase.choices
        if phases[phase]
    ]


def _team(
    case: Case, steps: list[CaseStep], implants: list[Implant], signatures: list[Signature]
) -> list[TeamMember]:
    """Everyone who took part, with the roles they attested steps for (surgeon of record
    first), from the rows already read: no query of its own."""
    roles_of: dict[int, list[str]] = {case.surgeon_id: ["Surgeon of record"]}
    people: dict[int, AbstractBaseUser] = {case.surgeon_id: case.surgeon}
    counts: dict[int, int] = {}
    for step in steps:
        if step.recorded_by_id is None:
            continue
        people[step.recorded_by_id] = step.recorded_by
        counts[step.recorded_by_id] = counts.get(step.recorded_by_id, 0) + 1
        label = StepRole(step.role).label
        if label not in roles_of.setdefault(step.recorded_by_id, []):
            roles_of[step.recorded_by_id].append(label)
    for implant in implants:
        people.setdefault(implant.added_by_id, implant.added_by)
        roles_of.setdefault(implant.added_by_id, [])
    for signature in signatures:
        people.setdefault(signature.signer_id, signature.signer)
        label = f"Signed: {signature.get_meaning_display().lower()}"
        if label not in roles_of.setdefault(signature.signer_id, []):
            roles_of[signature.signer_id].append(label)
    return [
        TeamMember(
            name=display_name(people[pk]),
            roles=roles_of[pk] or ["Implant log"],
            steps_recorded=counts.get(pk, 0),
        )
        for pk in roles_of
    ]


def _amendment(event: AuditEvent, step: CaseStep | None) -> Amendment:
    after = event.after or {}
    return Amendment(
        seq=event.seq,
        step=step,
        step_label=step.label if step else "(step removed)",
        before=event.before or {},
        after=after,
        reason=after.get("reason", ""),
        by=display_name(event.actor),
        at=event.created_at,
    )


def _timeline_entry(event: AuditEvent, step: CaseStep | None) -> TimelineEntry:
    return TimelineEntry(
        seq=event.seq,
        at=event.created_at,
        by=display_name(event.actor),
        action=event.action,
        action_label=event.get_action_display(),
        step_label=step.label if step else "",
        detail=_event_detail(event),
    )


def _event_detail(event: AuditEvent) -> str:
    """What changed, in words. Audit payloads hold no patient identity (see workflow)."""
    before, after = event.before or {}, event.after or {}
    action = event.action
    if action in (AuditAction.STEP_RECORDED, AuditAction.STEP_AMENDED):
        change = f"{describe_state(before)} → {describe_state(after)}"
        return f"{change}. Reason: {after['reason']}" if after.get("reason") else change
    if action in (AuditAction.IMPLANT_ADDED, AuditAction.IMPLANT_REMOVED):
        implant = after if action == AuditAction.IMPLANT_ADDED else before
        side = Side(implant["side"]).label if implant.get("side") in Side.values else ""
        words = [implant.get("manufacturer"), implant.get("product"), implant.get("size")]
        text = " ".join(filter(None, words)) or implant.get("gtin", "")
        detail = f"{text}, {side.lower()} side" if side else text
        if action == AuditAction.IMPLANT_REMOVED and after.get("reason"):
            detail += f". Reason: {after['reason']}"
        return detail
    if action == AuditAction.SIGNED_OUT:
        return f"{after.get('printed_name', '')}: {after.get('meaning', '')}"
    if action == AuditAction.SIGNATURE_REFUSED:
        meaning = after.get("meaning", "")
        label = SignatureMeaning(meaning).label if meaning in SignatureMeaning.values else meaning
        return f"Wrong password; not signed ({label.lower()})"
    if action == AuditAction.REVIEWED:
        return after.get("comment") or "No comment"
    if action == AuditAction.CANCELLED:
        return after.get("reason", "")
    if action == AuditAction.CASE_CREATED:
        return f"{after.get('steps', 0)} steps, {after.get('room', '')}"
    return ""


def describe_state(state: dict[str, Any]) -> str:
    """A step's state from the audit trail, as a reviewer reads it."""
    status = state.get("status", "")
    if status == StepStatus.NOT_APPLICABLE:
        text = f"Not applicable ({state.get('na_reason', '')})"
    elif status == StepStatus.DONE:
        text = f"Done: {state['value']}" if state.get("value") else "Done"
    elif status == StepStatus.PENDING:
        text = "Pending"
    else:
        text = status or "—"
    return f"{text}; note: {state['note']}" if state.get("note") else text


# --- the dashboard ---------------------------------------------------------------------------


class MinutesBetween(Func):
    """Minutes from ``start`` to ``end`` as a number, computed by the database (NULL if either
    is missing). SQLite keeps datetimes as text: ``julianday()`` reads them in C, where Django's
    own datetime subtraction would call back into Python for every row."""

    output_field = FloatField()

    def __init__(self, start: Any, end: Any) -> None:
        super().__init__(end, start)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        template = "((julianday(%(expressions)s)) * 1440.0)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=") - julianday(")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        template = "(CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision) / 60.0)"
        return self.as_sql(compiler, connection, template=template, arg_joiner=" - ")


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks of sorted ``values``: the same
    definition as PostgreSQL's ``percentile_cont``, so both databases show the same numbers."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return values[lower] + (values[upper] - values[lower]) * (position - lower)


@dataclass(frozen=True)
class Spread:
    """Median and 90th percentile, in minutes, of a group of cases."""

    label: str
    cases: int
    median: float | None
    p90: float | None


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


ALL_CASES = "All cases"


def dashboard(
    *,
    date_from: datetime.date,
    date_to: datetime.date,
    procedure: Procedure | None = None,
    surgeon: AbstractBaseUser | None = None,
) -> Dashboard:
    """Compliance figures over signed-out cases scheduled between two days (both included).

    Six queries whatever the number of cases: cases per month; step counts by step (the phase
    figures are sums of those rows); Time Out to incision per case (the times stored on the
    case), summed up overall and by procedure; case duration (first step recorded to
    sign-out) by procedure, and by surgeon; implants by procedure and side.
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
        time_out_to_incision=_spreads(
            cases.annotate(group_key=F("procedure__title"), value=time_out_to_incision),
            label=lambda key: key[0],
            overall=True,
        ),
        durations_by_procedure=_spreads(
            cases.annotate(group_key=F("procedure__title"), value=duration),
            label=lambda key: key[0],
        ),
        durations_by_surgeon=_spreads(
            cases.annotate(**surgeon_columns, value=duration),
            group=tuple(surgeon_columns),
            label=_surgeon_label,
        ),
        implants=_implants_per_side(cases),
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
    for phase, rows in itertools.groupby(steps, key=lambda step: step.phase):
        rows = list(rows)
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


def _spreads(
    rows: QuerySet,
    *,
    label: Callable[[tuple[Any, ...]], str],
    group: tuple[str, ...] = ("group_key",),
    overall: bool = False,
) -> list[Spread]:
    """Median and 90th percentile of ``rows``' ``value`` (minutes) per ``group``, and first
    over all rows if ``overall``: ONE query for the whole group set.

    PostgreSQL computes them with ``percentile_cont`` over ``rows`` as a subquery (raw SQL:
    the ORM cannot aggregate over per-case aggregates, nor say ROLLUP). SQLite has no
    percentile aggregate, so its one query returns the values sorted by group and value, and
    they are interpolated here exactly as ``percentile_cont`` does: one number per case read,
    never a query per case.
    """
    rows = rows.filter(value__isnull=False).order_by()
    if connections[rows.db].vendor == "postgresql":
        return _spreads_in_postgresql(rows, label=label, group=group, overall=overall)
    groups = []
    sorted_rows = rows.order_by(*group, "value").values_list(*group, "value")
    for key, members in itertools.groupby(sorted_rows, key=lambda row: row[:-1]):
        groups.append((label(key), [row[-1] for row in members]))
    spreads = [_spread(name, values) for name, values in groups]
    if overall and groups:
        everything = list(heapq.merge(*(values for _, values in groups)))
        spreads.insert(0, _spread(ALL_CASES, everything))
    return spreads


def _spread(label: str, values: list[float]) -> Spread:
    return Spread(
        label=label,
        cases=len(values),
        median=_round(percentile(values, 0.5)),
        p90=_round(percentile(values, 0.9)),
    )


def _spreads_in_postgresql(
    rows: QuerySet,
    *,
    label: Callable[[tuple[Any, ...]], str],
    group: tuple[str, ...],
    overall: bool,
) -> list[Spread]:
    inner, params = rows.query.sql_with_params()
    connection = connections[rows.db]
    columns = ", ".join(f"g.{connection.ops.quote_name(name)}" for name in group)
    grouping = f"ROLLUP (({columns}))" if overall else columns
    # Column names come from this module (annotation names), never from a request.
    sql = (
        f"SELECT {columns}, GROUPING({columns}) AS total, COUNT(*), "  # noqa: S608
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY g.value), "
        "percentile_cont(0.9) WITHIN GROUP (ORDER BY g.value) "
        f"FROM ({inner}) AS g GROUP BY {grouping} ORDER BY total DESC, {columns}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    size = len(group)
    return [
        Spread(
            label=ALL_CASES if row[size] else label(tuple(row[:size])),
            cases=row[size + 1],
            median=_round(row[size + 2]),
            p90=_round(row[size + 3]),
        )
        for row in found
        if row[size + 1]  # ROLLUP's total row comes even when there are no rows at all
    ]


def _round(minutes: float | None) -> float | None:
    return None if minutes is None else round(minutes, 1)


def _implants_per_side(cases: QuerySet[Case]) -> list[ImplantsPerSide]:
    rows = (
        Implant.objects.filter(case__in=cases.values("pk"))
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
