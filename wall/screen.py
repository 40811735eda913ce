"""What a room's wall display shows, read from the room's case in progress.

During Sign In and the Time Out the team checks the patient against the wall: the patient's
name, date of birth and MRN are large, the side very large. In every other phase the wall shows
initials only, as the board does: anyone entering the room sees it. The item being read is the
checklist's next open step, with the role expected to answer; Stops and pending hard stops are
listed whatever the phase.
"""

import datetime
from dataclasses import dataclass
from functools import cached_property

from django.utils import timezone

from accounts.models import Room
from checklists import selectors, workflow
from checklists.choices import CaseStatus, Laterality, StepStatus
from checklists.models import Case, CaseStep, Concern, SideDisagreement, TimeOut
from checklists.selectors import Checklist, ChecklistPhase, ImplantSide, StepRow
from checklists.workflow import SideItem
from procedures.choices import Phase

IDENTITY_PHASES = frozenset({Phase.SIGN_IN, Phase.TIME_OUT})
SIDE_ARROWS = {
    Laterality.LEFT: "◀",
    Laterality.RIGHT: "▶",
    Laterality.BILATERAL: "◀ ▶",
    Laterality.NONE: "",
}


def current_case(room: Room) -> Case | None:
    """The room's case in progress (the most recently started, should there be two), or None:
    the room is empty, and the wall shows nothing of any patient."""
    in_progress = Case.objects.select_related("procedure", "surgeon").filter(
        room=room.name, status=CaseStatus.IN_PROGRESS
    )
    # Chosen here, not by an ORDER BY: one row as a rule, and the wall asks on every change.
    return max(in_progress.order_by(), key=_latest_started, default=None)


def _latest_started(case: Case) -> tuple[bool, datetime.datetime | None, int]:
    """A case started later ranks higher, any started case above one with no start recorded."""
    return case.started_at is not None, case.started_at, case.pk


def screen_key(case: Case | None) -> str:
    """What the wall shows changes with this: the case and its version. The display's poll
    sends it back; the same key needs no new screen. (The minutes since the Time Out count up
    on the display itself, static/js/wall.js.)"""
    return "empty" if case is None else f"{case.pk}.{case.version}"


@dataclass(frozen=True)
class Screen:
    room: Room
    case: Case | None
    now: datetime.datetime

    @cached_property
    def checklist(self) -> Checklist | None:
        return selectors.checklist_for(self.case, people=False) if self.case else None

    @property
    def key(self) -> str:
        return screen_key(self.case)

    @property
    def reading(self) -> StepRow | None:
        """The item being read now: the next open step (or the Stop holding the rest back);
        None while a Time Out comes first (``time_out_due``)."""
        return self.checklist.next_row if self.checklist else None

    @property
    def phase(self) -> ChecklistPhase | None:
        if self.checklist is None:
            return None
        current = self.checklist.next_phase
        return next((phase for phase in self.checklist.phases if phase.phase == current), None)

    @property
    def shows_identity(self) -> bool:
        """During Sign In and the Time Out, a side Time Out or a repeated one included."""
        in_phase = self.phase is not None and self.phase.phase in IDENTITY_PHASES
        return in_phase or self.time_out is not None

    @property
    def initials(self) -> str:
        return selectors.patient_initials(self.case.patient_name) if self.case else ""

    @property
    def side_arrow(self) -> str:
        return SIDE_ARROWS[Laterality(self.case.laterality)] if self.case else ""

    @cached_property
    def concerns(self) -> list[Concern]:
        """The Stops the team called that stand: the wall shows them first, in red."""
        return selectors.open_concerns(self.case) if self.case else []

    @cached_property
    def side_disagreements(self) -> list[SideDisagreement]:
        """Sides seen that are not the case's side: the whole case waits for the surgeon."""
        return selectors.open_side_disagreements(self.case) if self.case else []

    @property
    def stops(self) -> list[CaseStep]:
        """Answers that depart from the expected one, not overridden: the case waits on them."""
        return [row.step for row in self._rows if row.step.is_stop]

    @property
    def hard_stops_pending(self) -> list[CaseStep]:
        """The current phase's hard stops not yet recorded: nothing after them goes ahead."""
        rows = self.phase.rows if self.phase else []
        return [row.step for row in rows if row.step.hard_stop and not row.step.is_recorded]

    @property
    def allergy(self) -> str:
        """What the checklist says of allergies: the answer to its allergy step, with its note."""
        step = next((row.step for row in self._rows if "allerg" in row.step.title.lower()), None)
        if step is None or step.status == StepStatus.PENDING:
            return "Not yet asked"
        if step.status == StepStatus.NOT_APPLICABLE:
            return "Not applicable"
        answer = {"yes": "Yes", "no": "None known"}.get(step.value, step.value)
        return f"{answer}: {step.note}" if step.note else answer

    @cached_property
    def implants(self) -> list[ImplantSide]:
        return selectors.implant_sides_for(self.case) if self.case else []

    @cached_property
    def time_outs(self) -> list[TimeOut]:
        """The case's Time Outs, as the checklist read them for its locks (the room's case is
        in progress, so they were)."""
        gate = self.checklist.gate if self.checklist else None
        return list(gate.time_outs) if gate else []

    @property
    def time_out_due(self) -> str:
        """The Time Out the team does next, by name, when it comes before any step ("" if
        none): "Now" on the wall, instead of a procedure step it holds back."""
        due = self.checklist.time_out_due if self.checklist else None
        return due.time_out_due if due else ""

    @property
    def time_out(self) -> TimeOut | None:
        """The Time Out being read aloud now, if one is."""
        return next((t for t in self.time_outs if t.in_progress), None)

    @property
    def time_out_items(self) -> list[SideItem]:
        """What the team reads in a Time Out that records nothing item by item (a side Time
        Out, or one repeated with its items recorded): every item, for the wall to list. A
        first Time Out is followed item by item instead (``reading``)."""
        time_out, case = self.time_out, self.case
        if time_out is None or case is None:
            return []
        if time_out.side:
            return workflow.side_items(case, time_out.side)
        rows = [row for row in self._rows if row.step.phase == Phase.TIME_OUT]
        if any(not row.step.is_recorded for row in rows):
            return []
        return [SideItem(row.step.label, row.step.role) for row in rows]

    @property
    def time_out_done_at(self) -> datetime.datetime | None:
        """When the Time Out was done: the end of the case's Time Out read aloud that holds;
        for a checklist without one, its last Time Out step recorded."""
        done = next((t for t in reversed(self.time_outs) if not t.side and t.holds), None)
        if done is not None:
            return done.ended_at
        if self.checklist is None or (self.checklist.gate and self.checklist.gate.required):
            return None  # read aloud, or not done: its items ticked do not make it done
        time_out = next((p for p in self.checklist.phases if p.phase == Phase.TIME_OUT), None)
        if time_out is None or not time_out.complete:
            return None
        return max(row.step.recorded_at for row in time_out.rows if row.step.recorded_at)

    @property
    def since_time_out(self) -> int | None:
        """Whole minutes since the Time Out was complete, as the screen is drawn."""
        done = self.time_out_done_at
        return None if done is None else int((self.now - done).total_seconds() // 60)

    @property
    def _rows(self) -> list[StepRow]:
        return self.checklist.rows if self.checklist else []


def screen_for(room: Room) -> Screen:
    """What ``room``'s wall shows now."""
    return Screen(room=room, case=current_case(room), now=timezone.now())
