"""Putting a recorded answer back to pending (``workflow.record_step`` with status "pending"):
a step that gates others needs a reason, which its audit event keeps."""

import pytest

from checklists import payloads, workflow
from checklists.choices import AuditAction, StepStatus
from checklists.errors import RuleViolation, StaleRevision
from tests.conftest import events, make_case, make_procedure, record

STOP = "Identity confirmed"
STEPS = (
    {"title": STOP, "phase": "sign_in", "hard_stop": True},
    {"title": "Consent signed", "phase": "sign_in", "kind": "yes_no"},
    {"title": "Counts correct", "phase": "sign_out"},
)


@pytest.fixture
def case(nurse, surgeon):
    return make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon)


def step_events(case, title: str) -> list:
    return events(case, action=AuditAction.STEP_RECORDED, step__title=title)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_hard_stop_is_not_put_back_to_pending_without_a_reason(case, nurse, reason):
    record(case, STOP, nurse)

    with pytest.raises(RuleViolation, match="gates the steps after it") as refused:
        record(case, STOP, nurse, status="pending", reason=reason)

    assert refused.value.status_code == 422
    assert "Give the reason" in refused.value.message
    step = case.steps.get(title=STOP)
    assert (step.status, step.revision) == (StepStatus.DONE, 1)
    assert len(step_events(case, STOP)) == 1  # the recording; nothing for the refusal


def test_with_a_reason_the_hard_stop_goes_back_to_pending_and_the_audit_keeps_it(case, nurse):
    record(case, STOP, nurse)

    step = record(case, STOP, nurse, status="pending", reason="  Wrong patient's band read  ")

    assert (step.status, step.recorded_by, step.revision) == (StepStatus.PENDING, None, 2)
    recorded, reverted = step_events(case, STOP)
    assert reverted.actor == nurse
    assert reverted.before == recorded.after
    # The state as it is always stored, and the reason (written last: see test_payloads).
    assert reverted.after == {**step.state(), "reason": "Wrong patient's band read"}


def test_a_revert_without_a_reason_stores_the_plain_state(case, nurse):
    record(case, STOP, nurse)
    record(case, "Consent signed", nurse, value="yes")

    step = record(case, "Consent signed", nurse, status="pending")

    assert step.status == StepStatus.PENDING
    reverted = step_events(case, "Consent signed")[-1]
    assert reverted.after == payloads.step_state(step)  # no "reason" key at all


def test_an_ordinary_step_keeps_a_reason_when_one_is_given(case, nurse):
    record(case, STOP, nurse)
    record(case, "Counts correct", nurse)

    record(case, "Counts correct", nurse, status="pending", reason="Recount asked for")

    assert step_events(case, "Counts correct")[-1].after["reason"] == "Recount asked for"


@pytest.mark.parametrize("status", ["done", "na"])
def test_only_a_revert_takes_a_reason(case, nurse, status):
    record(case, STOP, nurse)

    with pytest.raises(RuleViolation, match="only when an answer is put back to pending"):
        record(case, "Counts correct", nurse, status=status, na_reason="x", reason="Because")

    assert case.steps.get(title="Counts correct").status == StepStatus.PENDING
    assert step_events(case, "Counts correct") == []


def test_a_reason_too_long_is_refused(case, nurse):
    record(case, STOP, nurse)
    too_long = "x" * (workflow.REVERT_REASON_LENGTH + 1)

    with pytest.raises(RuleViolation, match="too long"):
        record(case, STOP, nurse, status="pending", reason=too_long)

    assert len(step_events(case, STOP)) == 1


def test_a_late_revert_drawn_before_the_change_it_would_undo_is_a_conflict(case, nurse, scrub):
    """The revision is checked before the reason: a late tap is refused whatever it carries."""
    record(case, STOP, nurse)
    seen = case.steps.get(title=STOP).revision  # the tablet draws the row now
    record(case, STOP, scrub, status="pending", reason="Band re-read")
    record(case, STOP, scrub)

    with pytest.raises(StaleRevision, match="Sam Scrub"):
        workflow.record_step(
            actor=nurse,
            case_id=case.pk,
            step_id=case.steps.get(title=STOP).pk,
            answer=workflow.Answer(status="pending"),
            revision=seen,
            reason="Late tap",
        )

    assert case.steps.get(title=STOP).status == StepStatus.DONE
    assert len(step_events(case, STOP)) == 3


def test_a_repeated_revert_is_a_no_op_even_without_its_reason(case, nurse):
    record(case, STOP, nurse)
    reverted = record(case, STOP, nurse, status="pending", reason="Band re-read")

    again = workflow.record_step(
        actor=nurse,
        case_id=case.pk,
        step_id=reverted.pk,
        answer=workflow.Answer(status="pending"),
        revision=1,  # the second tap carries the revision the first was sent with
    )

    assert (again.status, again.revision) == (StepStatus.PENDING, 2)
    assert len(step_events(case, STOP)) == 2


def test_the_later_steps_are_still_refused_first(case, nurse):
    """A reason does not let a gate go while steps recorded after it depend on it."""
    record(case, STOP, nurse)
    record(case, "Consent signed", nurse, value="yes")

    with pytest.raises(RuleViolation, match="“Consent signed” was recorded after it"):
        record(case, STOP, nurse, status="pending", reason="Band re-read")

    assert len(step_events(case, STOP)) == 1
