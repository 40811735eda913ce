"""A step's answer: the state a request names, checked against the step's kind and bounds.

Pure functions of the step snapshot and the answer; they read and write nothing.
"""

from dataclasses import dataclass
from decimal import Decimal, DecimalException

from checklists.choices import StepStatus
from checklists.errors import RuleViolation
from checklists.models import CaseStep, max_length
from checklists.workflow.common import check_text
from procedures.choices import StepKind

# No answer in an operating room is a million of anything (or finer than 1/10,000).
MAX_NUMBER_DIGITS = 6


@dataclass(frozen=True)
class Answer:
    """The state a step should be in after a change: the request names it, never "toggle"."""

    status: str
    value: str = ""
    note: str = ""
    na_reason: str = ""


def clean_answer(step: CaseStep, answer: Answer) -> Answer:
    """Check an answer against the step's kind and bounds; return it in its stored form."""
    note = answer.note.strip()
    check_text(note, max_length(CaseStep, "note"), what="The note")
    if answer.status == StepStatus.PENDING:
        return Answer(status=StepStatus.PENDING)
    if answer.status == StepStatus.NOT_APPLICABLE:
        reason = answer.na_reason.strip()
        if step.hard_stop:
            raise RuleViolation(f"“{step.label}” is a hard stop: it must be done, not skipped.")
        if not reason:
            raise RuleViolation(f"Give a reason why “{step.label}” does not apply.")
        check_text(reason, max_length(CaseStep, "na_reason"), what="The reason")
        return Answer(status=StepStatus.NOT_APPLICABLE, note=note, na_reason=reason)
    if answer.status != StepStatus.DONE:
        raise RuleViolation("Unknown step state: choose done, pending or not applicable.")
    value = _clean_value(step, answer.value.strip())
    if step.details_required_for and value == step.details_required_for and not note:
        raise RuleViolation(f"“{step.label}”: give the details in the note.")
    return Answer(status=StepStatus.DONE, value=value, note=note)


def _clean_value(step: CaseStep, value: str) -> str:
    if step.kind in (StepKind.CHECK, StepKind.IMPLANTS):
        return ""
    if not value:
        raise RuleViolation(f"“{step.label}” needs an answer.")
    if step.kind in (StepKind.YES_NO, StepKind.CHOICE, StepKind.SIDE):
        if value not in step.answers():
            raise RuleViolation(f"“{step.label}”: answer one of {', '.join(step.answers())}.")
        return value
    if step.kind == StepKind.NUMBER:
        return _clean_number(step, value)
    check_text(value, max_length(CaseStep, "value"), what="The answer")
    return value


def _clean_number(step: CaseStep, value: str) -> str:
    try:
        number = Decimal(value.replace(",", "."))
        # adjusted() compares magnitudes without arithmetic, which would overflow on 1e999999999.
        ordinary = (
            number.is_finite()
            and number.adjusted() < MAX_NUMBER_DIGITS
            and _decimal_places(number) <= 4
        )
    except DecimalException:
        raise RuleViolation(f"“{step.label}” needs a number, such as 4 or 4.5.") from None
    if not ordinary:
        raise RuleViolation(f"“{step.label}” needs an ordinary number, such as 4 or 4.5.")
    unit = f" {step.unit}" if step.unit else ""
    if step.min_value is not None and number < step.min_value:
        raise RuleViolation(
            f"{_plain(number)}{unit} is below the minimum of {_plain(step.min_value)}{unit} "
            f"for “{step.label}”."
        )
    if step.max_value is not None and number > step.max_value:
        raise RuleViolation(
            f"{_plain(number)}{unit} is above the maximum of {_plain(step.max_value)}{unit} "
            f"for “{step.label}”."
        )
    return _plain(number)


def _decimal_places(number: Decimal) -> int:
    """Digits after the point once trailing zeros go (4.50 -> 1), with no context arithmetic:
    normalize() would round 1e-999999999 to 0 instead of saying it is absurdly fine."""
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # a finite number (the caller checks), not NaN or infinity
    significant = "".join(map(str, digits)).rstrip("0")
    if not significant:
        return 0
    return max(0, -(exponent + len(digits) - len(significant)))


def _plain(number: Decimal) -> str:
    """4.50 -> "4.5", 4E+1 -> "40": the form people write and the audit trail keeps."""
    text = f"{number.normalize():f}"
    return "0" if text in ("-0", "0") else text


def same_state(step: CaseStep, answer: Answer) -> bool:
    return (step.status, step.value, step.note, step.na_reason) == (
        answer.status,
        answer.value,
        answer.note,
        answer.na_reason,
    )
