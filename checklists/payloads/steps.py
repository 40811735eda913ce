"""The payloads of a step's events: recorded, amended after sign-out, its Stop overridden."""

from typing import NotRequired, TypedDict, cast

from checklists.payloads.rows import (
    SignatureRow,
    SignatureState,
    StepRow,
    StepState,
    signature_state,
    step_state,
)


class StepRecorded(StepState):
    """``step_recorded`` after: the step's new state, and why a recorded answer was put back
    to pending (``reason``), when a reason was given.

    ``reason`` is optional: it is present only on a revert that gave one (a revert of a step
    that gates others always does: ``CaseStep.gates_others``), and absent from every other
    event, including all written before it existed, whose JSON is unchanged. Stored after the
    ``StepState`` keys."""

    reason: NotRequired[str]  # why the answer went back to pending; never ""


class StepAmended(StepState):
    """``step_amended`` after: the step's new state, the amendment's reason, its signature.

    Stored as the ``StepState`` keys, then ``reason``, then ``signature``."""

    reason: str  # why the signed record changed
    signature: SignatureState  # the amendment's own signature


class StopOverridden(TypedDict):
    """``stop_overridden`` after: a surgeon let the case go on past a Stop (an expected answer
    not given), and why. The answer itself is unchanged: it is the event's ``before``."""

    expected_answer: str  # what the step expects ("yes"), the answer it was not given
    reason: str  # the surgeon's reason
    revision: int  # the row's revision after the override


def step_recorded(step: StepRow, *, reason: str = "") -> StepRecorded:
    """A step's state after ``step_recorded``; ``reason`` is stored only when given."""
    state = step_state(step)
    if not reason:
        return cast(StepRecorded, state)  # the StepState keys alone: ``reason`` is optional
    return {**state, "reason": reason}


def step_amended(step: StepRow, *, reason: str, signature: SignatureRow) -> StepAmended:
    return {
        **step_state(step),
        "reason": reason,
        "signature": signature_state(signature),
    }


def stop_overridden(*, expected_answer: str, reason: str, revision: int) -> StopOverridden:
    return {"expected_answer": expected_answer, "reason": reason, "revision": revision}
