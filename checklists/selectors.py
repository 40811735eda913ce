"""Reads across cases and their relations. Writes live in checklists.workflow."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import TYPE_CHECKING, TypedDict, TypeVar

from django.db.models import Count, Model, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.dates import local_midnight
from accounts.text import natural_key
from checklists.choices import CaseStatus, Side
from checklists.models import (
    TEAM_ROLES,
    Case,
    CaseStep,
    Concern,
    Implant,
    SideDisagreement,
    Signature,
    TimeOut,
    TimeOutGate,
    complete_q,
    gate_of,
)
from procedures.choices import Approach, Phase, StepKind

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

M = TypeVar("M", bound=Model)


class StepCounts(TypedDict):
    """What ``cases_for_day`` counts on each case (and per phase, read by name)."""

    steps_total: int
    steps_recorded: int


def cases_for_day(*, day: datetime.date) -> "QuerySet[WithAnnotations[Case, StepCounts]]":
    """Cases scheduled on ``day`` (local time), by room then time, with their step counts.

    One query, whatever the number of cases: ``steps_total`` and ``steps_recorded``, and per
    phase ``<phase>_total`` and ``<phase>_recorded`` (e.g. ``time_out_recorded``), are
    conditional counts over the one join to the case's steps. "Recorded" counts the complete
    steps (``CaseStep.is_complete``): a Stop is not done.
    """
    recorded = complete_q("steps__")
    by_phase = {}
    for phase in Phase.values:
        in_phase = Q(steps__phase=phase)
        by_phase[f"{phase}_total"] = Count("steps", filter=in_phase)
        by_phase[f"{phase}_recorded"] = Count("steps", filter=in_phase & recorded)
    return (
        Case.objects.filter(
            scheduled_start__gte=local_midnight(day),
            scheduled_start__lt=local_midnight(day + datetime.timedelta(days=1)),
        )
        .select_related("procedure", "surgeon")
        .annotate(steps_total=Count("steps"), steps_recorded=Count("steps", filter=recorded))
        .annotate(**by_phase)
        .order_by("room", "scheduled_start", "pk")
    )


@dataclass(frozen=True)
class PhaseProgress:
    phase: str
    label: str
    recorded: int
    total: int

    @property
    def complete(self) -> bool:
        """Every step of the phase recorded (a phase without steps is not "complete")."""
        return 0 < self.total == self.recorded


@dataclass(frozen=True)
class BoardCase:
    """A case as the board shows it: never the patient's name, only their initials."""

    case: Case
    initials: str
    recorded: int
    total: int
    phases: list[PhaseProgress]

    @property
    def percent(self) -> int:
        return round(100 * self.recorded / self.total) if self.total else 0


@dataclass(frozen=True)
class BoardRoom:
    room: str
    cases: list[BoardCase]


def board_for_day(*, day: datetime.date) -> list[BoardRoom]:
    """The day's cases grouped by room (rooms in natural order: OR 2 before OR 10), by time."""
    rooms: dict[str, list[BoardCase]] = {}
    for case in cases_for_day(day=day):
        phases = [
            PhaseProgress(
                phase=phase,
                label=label,
                recorded=getattr(case, f"{phase}_recorded"),
                total=getattr(case, f"{phase}_total"),
            )
            for phase, label in Phase.choices
            if getattr(case, f"{phase}_total")  # a phase the procedure has, as on the checklist
        ]
        entry = BoardCase(
            case=case,
            initials=patient_initials(case.patient_name),
            recorded=case.steps_recorded,
            total=case.steps_total,
            phases=phases,
        )
        rooms.setdefault(case.room, []).append(entry)
    return [BoardRoom(room=room, cases=rooms[room]) for room in sorted(rooms, key=natural_key)]


def patient_initials(name: str) -> str:
    """Initials only ("PE" for Pat Example): the board is read by anyone passing the tablet."""
    letters = (next((char for char in word if char.isalnum()), "") for word in name.split())
    return "".join(letters).upper()


def get_case(*, case_id: int) -> Case:
    """The case with its procedure and surgeon, or a 404."""
    return get_object_or_404(Case.objects.select_related("procedure", "surgeon"), pk=case_id)


def in_order(rows: QuerySet[M], *fields: str) -> list[M]:
    """``rows`` sorted by ``fields`` here, not by the database: one case's rows are few, and
    Django compiles an ORDER BY by comparing it with every column selected, which costs a
    query joined to the people who recorded the rows some 1,000 to 2,000 function calls (the
    case's steps and Time Outs were a tenth of the tablet's fetch; bench/request_costs.py)."""
    return sorted(rows.order_by(), key=attrgetter(*fields))


def open_side_disagreements(case: Case) -> list[SideDisagreement]:
    """The side disagreements of ``case`` that stand, oldest first, with who recorded each:
    the whole case waits on them (``workflow.sides``)."""
    standing = case.side_disagreements.filter(resolved_at__isnull=True)
    return in_order(standing.select_related("raised_by"), "raised_at", "pk")


def open_concerns(case: Case) -> list[Concern]:
    """The Stops the team called on ``case`` that stand, oldest first, with who called each."""
    standing = case.concerns.filter(resolved_at__isnull=True)
    return in_order(standing.select_related("raised_by"), "raised_at", "pk")


def standing_time_outs(case: Case) -> list[TimeOut]:
    """The Time Outs of ``case`` that hold or are in progress (none invalidated): what a change
    of surgeon or a Stop would make stale. One query."""
    return list(case.time_outs.filter(invalidated_at__isnull=True).order_by("started_at", "pk"))


def signatures_for(case: Case) -> QuerySet[Signature]:
    """The case's e-signatures, oldest first: printed name, time, meaning (and amendments)."""
    return case.signatures.select_related("signer", "amended_step").order_by("signed_at", "pk")


# --- the checklist page ----------------------------------------------------------------------

# A minimally invasive fusion typically places three implants per side; fewer than two is worth a
# second look. The page warns and never blocks: the surgeon decides.
MIN_IMPLANTS_PER_SIDE = 2


@dataclass(frozen=True)
class StepRow:
    """One step as the checklist shows it, with what holds it back, if anything: another step
    (``waiting_for``: a pending hard stop, a pending step of a gating phase, a Stop;
    ``waiting_for.gate`` says which), or else the Time Out record (``time_out_due``, the Time
    Out it waits for by name, and ``time_out_wait``, why, in ``TimeOutGate.waits``'s words)."""

    step: CaseStep
    waiting_for: CaseStep | None = None
    time_out_due: str = ""
    time_out_wait: str = ""

    @property
    def locked(self) -> bool:
        return self.waiting_for is not None or bool(self.time_out_due)

    @property
    def is_open(self) -> bool:
        """Still to record, and nothing holds it back: where "Next open step" goes."""
        return not self.step.is_recorded and not self.locked

    @property
    def answer_buttons(self) -> tuple[str, ...]:
        """The answers the row offers, one button each. A choice option meaning "not
        applicable" is left out where the step may be marked not applicable: that state has one
        control, the one that asks for the reason."""
        answers = self.step.answers()
        if self.step.hard_stop:  # a hard stop is never "not applicable" (workflow.answers)
            return answers
        return tuple(answer for answer in answers if answer.lower() not in NOT_APPLICABLE_WORDS)


# How a template's choice options spell "not applicable" (the seeded ones: "Not applicable").
NOT_APPLICABLE_WORDS = frozenset({"not applicable", "n/a", "n.a."})


# When each WHO phase is performed, as the checklist says it under the phase's name: the WHO
# "Sign Out" is a moment of the team, not the surgeon signing the case, nor logging out.
PHASE_MOMENTS: dict[str, str] = {
    Phase.SIGN_IN: "before induction of anaesthesia",
    Phase.INDUCTION: "after the Sign In, before the Time Out",
    Phase.TIME_OUT: "before skin incision",
    Phase.SIGN_OUT: "before the patient leaves the room",
}


@dataclass(frozen=True)
class ChecklistPhase:
    phase: str
    label: str
    rows: list[StepRow]

    @property
    def moment(self) -> str:
        return PHASE_MOMENTS.get(self.phase, "")

    # Counted once: a page asks for them for the phase's progress, its fold and its stepper,
    # and the checklist's from every phase (the counts were some 6 % of a tick's calls).
    @cached_property
    def recorded(self) -> int:
        """The steps recorded and complete: a Stop is not done."""
        return sum(row.step.is_complete for row in self.rows)

    @cached_property
    def stops(self) -> int:
        return sum(row.step.is_stop for row in self.rows)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def complete(self) -> bool:
        return self.recorded == self.total


@dataclass(frozen=True)
class Checklist:
    case: Case
    phases: list[ChecklistPhase]
    # The Time Out record the rows were locked by (an open case's), else None: nothing held.
    gate: TimeOutGate | None = None

    @cached_property
    def rows(self) -> list[StepRow]:
        return [row for phase in self.phases for row in phase.rows]

    @cached_property
    def recorded(self) -> int:
        return sum(phase.recorded for phase in self.phases)

    @cached_property
    def total(self) -> int:
        return sum(phase.total for phase in self.phases)

    @cached_property
    def stops(self) -> int:
        return sum(phase.stops for phase in self.phases)

    @property
    def percent(self) -> int:
        return round(100 * self.recorded / self.total) if self.total else 0

    @property
    def has_implant_steps(self) -> bool:
        return any(row.step.kind == StepKind.IMPLANTS for row in self.rows)

    def row(self, step_id: int) -> StepRow | None:
        return next((row for row in self.rows if row.step.pk == step_id), None)

    @cached_property
    def time_out_due(self) -> StepRow | None:
        """The first row still to record that waits for a Time Out (``StepRow.time_out_due``),
        when no open row comes before it: the team's next move is that Time Out, read aloud
        from its panel, not a step of a later phase. None otherwise."""
        for row in self.rows:
            if row.is_open:
                return None
            if row.time_out_due and not row.step.is_recorded:
                return row
        return None

    @cached_property
    def next_row(self) -> StepRow | None:
        """Where "Next open step" goes: the first open row in checklist order
        (``StepRow.is_open``); when every row left is held back, the step the first of them
        waits for (a Stop to resolve); None when every step is complete, or when a Time Out
        comes first (``time_out_due``): never a step the Time Out record holds back, nor one
        beyond it."""
        if self.time_out_due is not None:
            return None
        open_row = next((row for row in self.rows if row.is_open), None)
        if open_row is not None:
            return open_row
        held = next((row for row in self.rows if row.waiting_for is not None), None)
        return self.row(held.waiting_for.pk) if held and held.waiting_for else None

    @property
    def next_phase(self) -> str:
        """The phase of the next open row, or of the Time Out due ("" if none): the stepper
        marks it as the current one. The case's Time Out is the Time Out phase's; a second
        side's, the procedure's."""
        due = self.time_out_due
        if due is not None:
            return Phase.TIME_OUT if due.time_out_due == "Time Out" else due.step.phase
        return self.next_row.step.phase if self.next_row else ""

    @property
    def all_recorded(self) -> bool:
        return self.recorded == self.total

    def implant_step_ids(self) -> dict[str, int]:
        """For each side, the implant step whose row holds that side's implant panel: the
        first implant step of the side, or of no side (a procedure whose implant step is not
        repeated per side shows every side's panel in it)."""
        holders: dict[str, int] = {}
        for side in self.case.sides():
            step = next(
                (
                    row.step
                    for row in self.rows
                    if row.step.kind == StepKind.IMPLANTS and row.step.side in (side, "")
                ),
                None,
            )
            if step is not None:
                holders[side] = step.pk
        return holders

    def rows_to_refresh(self, step_ids: Iterable[int]) -> list[StepRow]:
        """The rows of these steps, and every row whose lock a changed step may have moved
        (unlocked, or now waiting for another step): a row the step may gate in some state
        (``CaseStep.may_gate``), unless the row waits for an earlier step, as it did before
        the change (a row names the first step that holds it back)."""
        wanted = set(step_ids)
        changed = [row.step for row in self.rows if row.step.pk in wanted]
        # In a bilateral case, a procedure step recorded (or put back) may make its side the
        # first, and so the other side the second, whose rows then wait for their own Time Out
        # (or no longer): the other side's procedure rows are redrawn too.
        others = set()
        if self.gate is not None and len(self.case.sides()) > 1:
            moved = {step.side for step in changed if step.phase == Phase.PROCEDURE and step.side}
            others = {side for side in self.case.sides() if moved - {side}}
        return [
            row
            for row in self.rows
            if row.step.pk in wanted
            or any(_may_have_moved(row, step) for step in changed)
            or (row.step.phase == Phase.PROCEDURE and row.step.side in others)
        ]


def _may_have_moved(row: StepRow, changed: CaseStep) -> bool:
    waiting_for = row.waiting_for
    earlier = waiting_for is not None and waiting_for.position < changed.position
    return not earlier and changed.may_gate(row.step)


def checklist_for(case: Case, *, people: bool = True) -> Checklist:
    """The case's steps by phase, each row with its lock, in one query whatever their number,
    and one more for an open case's Time Outs (with their team, which the Time Out panel
    names: ``read_aloud.time_out_panel`` reads them from ``Checklist.gate``). Without
    ``people`` (the wall display, which names none of them) the people who recorded the steps
    and the Time Outs' team are not read with them: the joins cost the wall's answer some 3,800
    of its 25,500 Python function calls (bench/request_costs.py).

    A row is locked while another step holds it back (``CaseStep.is_gated_by``, as
    ``workflow.record_step`` checks): the first by position, which the row names; else while
    the Time Out record holds it back (``TimeOutGate``, as ``workflow.record_step`` checks too).
    """
    # (Not select_related() with no names: that would join every relation.)
    rows, time_outs = case.steps.all(), case.time_outs.order_by()  # gate_of sorts
    if people:
        rows = rows.select_related("recorded_by", "stop_overridden_by")
        time_outs = time_outs.select_related(*TEAM_ROLES)
    steps = in_order(rows, "position")
    gate = None
    if case.is_open:
        gate = gate_of(case, steps, time_outs)
    return checklist_of(case, steps, gate=gate)


def checklist_of(
    case: Case, steps: list[CaseStep], *, gate: TimeOutGate | None = None
) -> Checklist:
    """The checklist of these steps (in position order) of ``case``, saved or not (the
    procedure preview draws unsaved ones), its rows locked by the ``gate`` given too: no
    query."""
    gates = [step for step in steps if step.gate]
    rows: dict[str, list[StepRow]] = {phase: [] for phase in Phase.values}
    for step in steps:
        waiting_for = next((gate for gate in gates if step.is_gated_by(gate)), None)
        row = StepRow(step=step, waiting_for=waiting_for)
        if gate is not None and waiting_for is None and not step.is_recorded:
            row = StepRow(step=step, time_out_due=gate.due(step), time_out_wait=gate.waits(step))
        rows.setdefault(step.phase, []).append(row)
    phases = [
        ChecklistPhase(phase=phase, label=label, rows=rows[phase])
        for phase, label in Phase.choices
        if rows[phase]
    ]
    return Checklist(case=case, phases=phases, gate=gate)


@dataclass(frozen=True)
class ImplantSide:
    side: str
    label: str
    implants: list[Implant]
    expected_minimum: int

    @property
    def count(self) -> int:
        """The implants placed: those opened but not implanted are listed, not counted."""
        return sum(not implant.wasted_reason for implant in self.implants)

    @property
    def wasted(self) -> int:
        return len(self.implants) - self.count

    @property
    def awaiting_read_back(self) -> int:
        """The implants logged whose card the team has yet to read aloud before opening."""
        return sum(implant.awaiting_read_back for implant in self.implants)

    @property
    def below_minimum(self) -> bool:
        return self.count < self.expected_minimum


def implant_sides_for(case: Case, *, implants: list[Implant] | None = None) -> list[ImplantSide]:
    """The case's implant log, one entry per side of the case, in one query (none when the
    ``implants`` are given: the procedure preview's unsaved case has none)."""
    if implants is None:
        related = ("added_by", "read_back_by")
        implants = in_order(case.implants.select_related(*related), "side", "position")
    minimum = MIN_IMPLANTS_PER_SIDE if case.procedure.approach == Approach.MINIMALLY_INVASIVE else 0
    return [
        ImplantSide(
            side=side,
            label=Side(side).label,
            implants=[implant for implant in implants if implant.side == side],
            expected_minimum=minimum,
        )
        for side in case.sides()
    ]


def theatre_list(*, day: datetime.date, room: str | None) -> QuerySet[Case]:
    """The day's cases imported from the theatre list (``checklists.schedule_import``) that
    have not started, for ``room`` (all rooms when None): what the new-case page offers
    instead of typing a patient's identity again. One query."""
    cases = Case.objects.filter(
        source_appointment_id__isnull=False,
        status=CaseStatus.SCHEDULED,
        scheduled_start__gte=local_midnight(day),
        scheduled_start__lt=local_midnight(day + datetime.timedelta(days=1)),
    )
    if room is not None:
        cases = cases.filter(room=room)
    return cases.select_related("procedure", "surgeon").order_by("room", "scheduled_start", "pk")
