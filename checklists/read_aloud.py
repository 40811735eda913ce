"""What the read-aloud Time Out shows: one item at a time, large, with the role who answers;
and the Time Out's place on the checklist page (start, resume, repeat, the second side's).

The team walks the items in order (``ReadAloud.index``, from the page's address). An item whose
step is still pending is confirmed as spoken, which records it
(``workflow.confirm_time_out_item``); an item already recorded (a repeated Time Out, or one
ticked on the checklist) and a side Time Out's items are read and passed with "Spoken: next",
which records nothing. After the last item the team ends the Time Out with the team present
and its attestations (``workflow.end_time_out``).
"""

from dataclasses import dataclass

from checklists import selectors, workflow
from checklists.models import TEAM_ROLES, Case, CaseStep, TimeOut, TimeOutGate, gate_of
from procedures.choices import Phase, StepKind, StepRole
from procedures.models import BOTH, LEFT, RIGHT

# As the wall shows the case's side (wall.screen.SIDE_ARROWS): left points left.
SIDE_ARROWS = {LEFT: "◀", RIGHT: "▶", BOTH: "◀ ▶"}


@dataclass(frozen=True)
class ReadAloudItem:
    title: str
    role: str  # a StepRole value
    step: CaseStep | None = None  # the checklist step it records, for the case's Time Out

    @property
    def role_label(self) -> str:
        return StepRole(self.role).label.lower()

    @property
    def to_confirm(self) -> bool:
        """Still to record: confirming it as spoken records its step."""
        return self.step is not None and not self.step.is_recorded

    @property
    def is_side(self) -> bool:
        """A side seen (the images' side): asked as Left, Right or Both, none chosen."""
        return self.step is not None and self.step.kind == StepKind.SIDE

    @property
    def side_answers(self) -> list[tuple[str, str]]:
        """A side item's answers, each with the arrow the button shows."""
        return [(answer, SIDE_ARROWS.get(answer, "")) for answer in self.answers]

    @property
    def answers(self) -> tuple[str, ...]:
        """The answers offered, one button each ("not applicable", which needs a reason, is
        given on the checklist)."""
        if self.step is None:
            return ()
        return selectors.StepRow(step=self.step).answer_buttons


@dataclass(frozen=True)
class ReadAloud:
    case: Case
    time_out: TimeOut
    items: list[ReadAloudItem]
    index: int

    @property
    def current(self) -> ReadAloudItem | None:
        """The item being read; None once every item is read: the ending."""
        return self.items[self.index] if self.index < len(self.items) else None

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def unconfirmed(self) -> list[ReadAloudItem]:
        """Required items still pending: the Time Out does not end before they are confirmed."""
        return [i for i in self.items if i.to_confirm and i.step and i.step.required]


def read_aloud(case: Case, time_out: TimeOut, *, index: int) -> ReadAloud:
    """The read-aloud screen of ``time_out`` at item ``index`` (0 the first; past the last: the
    ending): one query for the items."""
    if time_out.side:
        items = [
            ReadAloudItem(item.title, item.role)
            for item in workflow.side_items(case, time_out.side)
        ]
    else:
        steps = case.steps.filter(phase=Phase.TIME_OUT).order_by("position")
        items = [ReadAloudItem(step.label, step.role, step) for step in steps]
    return ReadAloud(case, time_out, items, max(0, min(index, len(items))))


@dataclass(frozen=True)
class TimeOutPanel:
    """The Time Out's state on the checklist page, and what the team may do next."""

    gate: TimeOutGate
    can_start: bool  # the Time Out's items are not held back by an earlier phase

    @property
    def in_progress(self) -> TimeOut | None:
        return next((t for t in self.gate.time_outs if t.in_progress), None)

    @property
    def latest(self) -> TimeOut | None:
        return self.gate.latest("")

    @property
    def to_start(self) -> str | None:
        """The side whose Time Out is to start now ("" the case's), or None."""
        if not self.gate.required or self.in_progress or not self.can_start:
            return None
        if not self.gate.holds(""):
            return ""
        second = self.gate.second_side
        return second if second and not self.gate.holds(second) else None

    @property
    def side_done(self) -> TimeOut | None:
        second = self.gate.second_side
        latest = self.gate.latest(second) if second else None
        return latest if latest and latest.holds else None


def time_out_panel(case: Case, checklist: selectors.Checklist) -> TimeOutPanel:
    """The panel from the checklist already read, with the gate its rows were locked by (an
    open case's: no query); else the case's Time Outs are read (one query)."""
    gate = checklist.gate
    if gate is None:
        time_outs = list(case.time_outs.select_related(*TEAM_ROLES))
        gate = gate_of(case, [row.step for row in checklist.rows], time_outs)
    first = next((row for row in checklist.rows if row.step.phase == Phase.TIME_OUT), None)
    return TimeOutPanel(
        gate=gate,
        can_start=first is not None and (first.step.is_recorded or not first.locked),
    )
