"""A hard stop's gate has one definition (``CaseStep.is_gated_by``): the workflow refuses by it,
the checklist page locks its rows by it."""

import pytest

from checklists import selectors
from checklists.choices import AuditAction
from checklists.errors import HardStopPending, RuleViolation
from checklists.models import CaseStep
from tests.conftest import events, make_case, make_procedure, record

STEPS = (
    {"title": "Identity confirmed", "phase": "sign_in", "hard_stop": True},
    {"title": "Site marked", "hard_stop": True, "per_side": True},
    {"title": "Implant placed", "per_side": True},
    {"title": "Wound closed"},
)


def at(position: int, side: str = "", *, hard_stop: bool = False) -> CaseStep:
    return CaseStep(position=position, side=side, hard_stop=hard_stop)


@pytest.mark.parametrize(
    ("stop", "step", "gated"),
    [
        pytest.param(at(1, hard_stop=True), at(2), True, id="no-side-gates-no-side"),
        pytest.param(at(1, hard_stop=True), at(2, "left"), True, id="no-side-gates-a-side"),
        pytest.param(at(1, "left", hard_stop=True), at(2, "left"), True, id="its-own-side"),
        pytest.param(at(1, "left", hard_stop=True), at(2), True, id="a-side-gates-no-side"),
        pytest.param(at(1, "left", hard_stop=True), at(2, "right"), False, id="not-the-other"),
        pytest.param(at(2, hard_stop=True), at(1), False, id="not-an-earlier-step"),
        pytest.param(at(2, hard_stop=True), at(2), False, id="not-itself"),
        pytest.param(at(1), at(2), False, id="only-a-hard-stop-gates"),
    ],
)
def test_a_hard_stop_gates_the_later_steps_of_its_side_and_of_no_side(stop, step, gated):
    assert step.is_gated_by(stop) is gated


@pytest.fixture
def case(nurse, surgeon):
    """Bilateral: Identity, Site marked L, Implant placed L, Site R, Implant R, Wound closed."""
    return make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon, laterality="bilateral")


def test_the_page_locks_exactly_the_rows_the_workflow_refuses(case, nurse):
    record(case, "Identity confirmed", nurse)
    record(case, "Site marked", nurse, side="right")
    locked = {
        (row.step.title, row.step.side): row.waiting_for.label
        for row in selectors.checklist_for(case).rows
        if row.locked
    }

    refused = {}
    for step in case.steps.filter(hard_stop=False).order_by("position"):
        try:
            record(case, step.title, nurse, side=step.side)
        except HardStopPending as error:
            refused[(step.title, step.side)] = error.blocking.label

    assert (
        locked
        == refused
        == {
            ("Implant placed", "left"): "Site marked (Left)",
            ("Wound closed", ""): "Site marked (Left)",
        }
    )
    recorded = [event.step.label for event in events(case, action=AuditAction.STEP_RECORDED)]
    assert recorded == ["Identity confirmed", "Site marked (Right)", "Implant placed (Right)"]


def test_a_sided_hard_stop_is_undone_while_only_the_other_sides_steps_are_recorded(case, nurse):
    record(case, "Identity confirmed", nurse)
    record(case, "Site marked", nurse, side="left")
    record(case, "Site marked", nurse, side="right")
    record(case, "Implant placed", nurse, side="right")

    undone = record(case, "Site marked", nurse, side="left", status="pending", reason="Re-marked")

    assert undone.status == "pending"
    assert events(case)[-1].step == undone
    with pytest.raises(RuleViolation, match="“Implant placed \\(Right\\)” was recorded after it"):
        record(case, "Site marked", nurse, side="right", status="pending")
    with pytest.raises(RuleViolation, match="“Site marked \\(Right\\)” was recorded after it"):
        record(case, "Identity confirmed", nurse, status="pending")
    assert events(case)[-1].step == undone
