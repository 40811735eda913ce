"""What every change to a case shares: who may act, the locked case, the reasons a record keeps."""

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from accounts.text import validate_plain_text
from checklists import compliance
from checklists.choices import CaseStatus
from checklists.errors import NotFound, NotPermitted, RuleViolation
from checklists.models import Case, CaseStep


def required_reason(text: str, *, missing: str, limit: int) -> str:
    """A reason the record keeps: required, and no longer than the field that keeps it."""
    text = text.strip()
    if not text:
        raise RuleViolation(missing)
    check_text(text, limit, what="The reason")
    return text


def check_text(text: str, limit: int, *, what: str) -> None:
    """Refuse a text longer than ``limit``, its model field's ``max_length`` (read with
    ``checklists.models.max_length``), or holding a character no page may store or show
    (``accounts.text.validate_plain_text``, the forms' validator too)."""
    if len(text) > limit:
        raise RuleViolation(f"{what} is too long (at most {limit} characters).")
    try:
        validate_plain_text(text)
    except ValidationError as refused:
        raise RuleViolation(f"{what}: {refused.messages[0]}") from None


def field_error(error: ValidationError, label: str) -> RuleViolation:
    """A model field validator's refusal, in the workflow's words."""
    return RuleViolation(f"{label}: {error.messages[0]}")


def require_permission(actor: User, permission: str, message: str) -> None:
    if not (actor.is_active and actor.has_perm(permission)):
        raise NotPermitted(message)


def lock_case(case_id: int) -> Case:
    """The case, its row locked to the end of the transaction. (``get``, not ``first``: a
    look-up by key needs no ordering, and ``first`` would compile the case's.)"""
    try:
        return Case.objects.select_for_update().get(pk=case_id)
    except Case.DoesNotExist:
        raise NotFound("There is no such case.") from None


def get_step(case: Case, step_id: int) -> CaseStep:
    try:
        return case.steps.get(pk=step_id)
    except CaseStep.DoesNotExist:
        raise NotFound("That step is not part of this case.") from None


def locked_message(case: Case) -> str:
    if case.status == CaseStatus.CANCELLED:
        return "This case was cancelled; it can no longer change."
    return "This case is signed out and locked. A change now needs an amendment by a surgeon."


def set_compliance(case: Case) -> None:
    """Set the case's compliance facts from its steps as they now stand, for the save that
    closes or amends it (its ``case_fields`` name ``compliance.CASE_FIELDS``). Reviewers'
    lists read these columns rather than every case's steps, so every change that can move
    them after the case closes stores them again."""
    facts = compliance.case_compliance(case_id=case.pk)
    case.time_out_at, case.incision_at = facts.time_out_at, facts.incision_at
    case.required_complete = facts.required_complete
