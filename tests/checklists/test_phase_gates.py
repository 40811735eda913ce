"""A phase that gates the later ones (the seeded Time Out): no step of a later phase is recorded
while one of its required steps is pending. The same gate as the hard stops' and the Stops'
(``CaseStep.is_gated_by``): the workflow refuses by it, the page locks its rows by it."""

import re

import pytest

from checklists import selectors
from checklists.choices import AuditAction, Gate, StepStatus
from checklists.errors import HardStopPending, RuleViolation, StepGated
from checklists.models import CaseStep
from procedures.models import Step
from tests.checklists.checklist_html import (
    ANAESTHESIA,
    IDENTITY,
    INCISION,
    POSITIONED,
    TEAM,
    TIME_OUT_STOP,
    mi_procedure,
)
from tests.conftest import (
    events,
    make_case,
    make_procedure,
    perform_time_out,
    record,
    record_phase,
)

IMAGING = "Essential imaging displayed; fluoroscope positioned"


def at(phase: str, position: int, side: str = "", **fields) -> CaseStep:
    return CaseStep(phase=phase, position=position, side=side, **{"required": True, **fields})


@pytest.mark.parametrize(
    ("gate", "step", "gated"),
    [
        pytest.param(at("time_out", 5, gates_later_phases=True), at("procedure", 9), True,
                     id="a-later-phase"),
        pytest.param(at("time_out", 5, gates_later_phases=True), at("sign_out", 20), True,
                     id="every-later-phase"),
        pytest.param(at("time_out", 5, gates_later_phases=True), at("time_out", 6), False,
                     id="not-its-own-phase"),
        pytest.param(at("time_out", 5, gates_later_phases=True), at("induction", 4), False,
                     id="not-an-earlier-phase"),
        pytest.param(at("time_out", 5, gates_later_phases=True, status="done"),
                     at("procedure", 9), False, id="not-once-recorded"),
        pytest.param(at("time_out", 5, gates_later_phases=True, status="na"),
                     at("procedure", 9), False, id="not-once-not-applicable"),
        pytest.param(at("time_out", 5, gates_later_phases=True, required=False),
                     at("procedure", 9), False, id="not-an-optional-step"),
        pytest.param(at("time_out", 5, gates_later_phases=True, side="left"),
                     at("procedure", 9, "right"), False, id="not-the-other-side"),
        pytest.param(at("time_out", 5), at("procedure", 9), False, id="only-a-gating-phase"),
    ],
)  # fmt: skip
def test_a_gating_phase_holds_the_later_phases_while_a_required_step_is_pending(gate, step, gated):
    assert step.is_gated_by(gate) is gated
    if gated:
        assert gate.gate == Gate.PHASE


@pytest.fixture
def case(nurse, surgeon):
    """A left minimally invasive fusion of the seeded procedure, its Sign In done."""
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="left")
    record_phase(case, "sign_in", nurse)
    return case


def test_the_seeded_procedures_induce_and_position_before_the_time_out(case, anaesthetist, surgeon):
    anaesthesia = record(case, ANAESTHESIA, anaesthetist)
    positioned = record(case, POSITIONED, surgeon)

    assert (anaesthesia.phase, positioned.phase) == ("induction", "induction")
    assert case.steps.get(title=TEAM).status == StepStatus.PENDING  # the Time Out to come
    recorded = events(case, action=AuditAction.STEP_RECORDED)
    assert [event.step for event in recorded[-2:]] == [anaesthesia, positioned]


def test_a_procedure_step_waits_for_every_required_time_out_step(case, nurse, surgeon):
    record_phase(case, "induction", nurse)
    record(case, TIME_OUT_STOP, surgeon)  # the Time Out's hard stop alone no longer suffices
    count = len(events(case))

    with pytest.raises(StepGated) as refused:
        record(case, INCISION, surgeon, side="left", value="4")

    assert refused.value.message == (
        f"“{INCISION} (Left)” waits for the whole Time Out: “{TEAM}” is not recorded yet. "
        "Record every required Time Out step first."
    )
    assert refused.value.blocking.title == TEAM
    assert refused.value.status_code == 422
    assert len(events(case)) == count
    assert case.steps.get(title=INCISION).status == StepStatus.PENDING


def test_the_last_time_out_step_opens_the_procedure_phase(case, nurse, surgeon):
    record_phase(case, "induction", nurse)
    for step in case.steps.filter(phase="time_out").exclude(title=IMAGING):
        record(case, step.title, surgeon, value=step.options[0] if step.options else "")
    with pytest.raises(StepGated, match=IMAGING):
        record(case, INCISION, surgeon, side="left", value="4")

    record(case, IMAGING, nurse, status="na", na_reason="Navigation used; no fluoroscopy")
    perform_time_out(case, nurse)  # the items recorded, the team reads them aloud and attests
    incision = record(case, INCISION, surgeon, side="left", value="4")

    assert incision.status == StepStatus.DONE
    [event] = events(case, action=AuditAction.STEP_RECORDED, step=incision)
    assert (event.actor, event.after["value"]) == (surgeon, "4")


def test_a_pending_hard_stop_is_named_before_a_gating_phase(nurse, surgeon):
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="left")

    with pytest.raises(HardStopPending, match=re.escape(f"waits for the hard stop “{IDENTITY}”")):
        record(case, INCISION, surgeon, side="left", value="4")


def test_a_time_out_step_stays_recorded_once_a_procedure_step_is(case, nurse, surgeon):
    record_phase(case, "induction", nurse)
    record_phase(case, "time_out", nurse)
    record(case, INCISION, surgeon, side="left", value="4")
    count = len(events(case))

    with pytest.raises(RuleViolation) as refused:
        record(case, TEAM, nurse, status="pending")

    assert refused.value.message == (
        f"The whole Time Out comes before the Procedure, and “{INCISION} (Left)” is recorded. "
        "Put the later steps back to pending first."
    )
    assert len(events(case)) == count
    record(case, INCISION, surgeon, side="left", status="pending")
    undone = record(case, TEAM, nurse, status="pending", reason="Anaesthetist replaced")
    assert events(case)[-1].step == undone and undone.status == StepStatus.PENDING


def test_a_case_keeps_the_gate_its_procedure_had_when_it_was_made(case, nurse, surgeon):
    Step.objects.filter(version=case.procedure_version).update(gates_later_phases=False)
    later = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="left")
    record_phase(later, "sign_in", nurse)
    record(later, TIME_OUT_STOP, surgeon)  # a hard stop still

    incision = record(later, INCISION, surgeon, side="left", value="4")  # no gate any more

    assert incision.status == StepStatus.DONE
    with pytest.raises(StepGated):  # the case made before the change keeps its gate
        record(case, INCISION, surgeon, side="left", value="4")


@pytest.mark.parametrize(
    ("consent", "waited_for"),
    [("yes", "Side aloud"), ("no", "Consent")],
    ids=["a-pending-gating-step", "a-stop"],
)
def test_the_page_locks_exactly_the_rows_the_workflow_refuses(nurse, surgeon, consent, waited_for):
    steps = (
        {"title": "Identity", "phase": "sign_in", "hard_stop": True},
        {"title": "Consent", "phase": "sign_in", "kind": "yes_no", "expected_answer": "yes"},
        {"title": "Induced", "phase": "induction"},
        {"title": "Team introduced", "phase": "time_out", "gates_later_phases": True},
        {"title": "Side aloud", "phase": "time_out", "gates_later_phases": True},
        {"title": "Incision", "per_side": True},
        {"title": "Counts", "phase": "sign_out"},
    )
    case = make_case(make_procedure(*steps), actor=nurse, surgeon=surgeon, laterality="bilateral")
    record(case, "Identity", nurse)
    record(case, "Team introduced", nurse)  # a pending consent holds nothing back
    record(case, "Consent", nurse, value=consent)
    locked = {
        (row.step.title, row.step.side): row.waiting_for.title
        for row in selectors.checklist_for(case).rows
        if row.locked and not row.step.is_recorded
    }

    refused, ticked = {}, []
    # Last first, so that no step recorded here frees one tried after it.
    for step in case.steps.filter(status="pending").order_by("-position"):
        try:
            ticked.append(record(case, step.title, nurse, side=step.side).title)
        except StepGated as error:
            refused[(step.title, step.side)] = error.blocking.title

    held = [("Incision", "left"), ("Incision", "right"), ("Counts", "")]
    if consent == "no":
        held += [("Induced", ""), ("Side aloud", "")]
    assert locked == refused == dict.fromkeys(held, waited_for)
    assert ticked == ([] if consent == "no" else ["Side aloud", "Induced"])
    recorded = [event.step.title for event in events(case, action=AuditAction.STEP_RECORDED)]
    assert recorded == ["Identity", "Team introduced", "Consent", *ticked]
