"""What every change to a case shares: who may act, the locked case, the reasons a record keeps."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import User

from checklists import compliance
from checklists.choices import CaseStatus
from checklists.errors import NotFound, NotPermitted, RuleViolation
from checklists.models import Case, CaseStep

MAX_TEXT = 2000


@dataclass(frozen=True)
class RequestContext:
    """Where a change came from, for the audit trail. Views build it; tests may omit it."""

    remote_addr: str | None = None
    user_agent: str = ""


NO_CONTEXT = RequestContext()


def required_reason(text: str, *, missing: str) -> str:
    """A reason the record keeps: required, and no longer than any text the record holds."""
    text = text.strip()
    if not text:
        raise RuleViolation(missing)
    if len(text) > MAX_TEXT:
        raise RuleViolation(f"The reason is too long (at most {MAX_TEXT} characters).")
    return text


def require_permission(actor: User, permission: str, message: str) -> None:
    if not (actor.is_active and actor.has_perm(permission)):
        raise NotPermitted(message)


def lock_case(case_id: int) -> Case:
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound("There is no such case.")
    return case


def get_step(case: Case, step_id: int) -> CaseStep:
    step = case.steps.filter(pk=step_id).first()
    if step is None:
        raise NotFound("That step is not part of this case.")
    return step


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


def person_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds")
