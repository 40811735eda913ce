"""A Stop overridden: a surgeon lets the case go on past an expected answer not given."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.context import NO_CONTEXT, RequestContext
from accounts.people import display_name
from checklists import payloads
from checklists.choices import AuditAction
from checklists.errors import CaseLocked, RuleViolation
from checklists.models import CaseStep, max_length
from checklists.workflow.chain import append_event
from checklists.workflow.common import (
    get_step,
    lock_case,
    locked_message,
    require_permission,
    required_reason,
)
from checklists.workflow.sides import check_sides_agree
from checklists.workflow.steps import check_revision


def override_stop(
    *,
    actor: User,
    case_id: int,
    step_id: int,
    revision: int,
    reason: str,
    context: RequestContext = NO_CONTEXT,
) -> CaseStep:
    """A surgeon overrides the Stop on a step (``CaseStep.is_stop``: an expected answer not
    given), with a reason: the answer stays as it was, and the step no longer holds the later
    phases back nor stops the sign-out. The override holds for that answer only: changing the
    answer clears it (``steps.apply_answer``).

    Overriding again with the same reason changes nothing (a double tap); ``revision`` must
    otherwise be the row's current one. The step comes back with ``step.case``, as for
    ``record_step``.
    """
    require_permission(actor, "checklists.sign_case", "Only a surgeon can override a Stop.")
    reason = required_reason(
        reason,
        missing="Give the reason for going on despite the Stop.",
        limit=max_length(CaseStep, "stop_override_reason"),
    )
    with transaction.atomic():
        case = lock_case(case_id)
        if case.is_locked:
            raise CaseLocked(locked_message(case))
        step = get_step(case, step_id)
        if step.stop_overridden and step.stop_override_reason == reason:
            return step
        check_revision(step, revision)
        check_sides_agree(case)
        if not step.departs_from_expected:
            raise RuleViolation(f"“{step.label}” is not a Stop: there is nothing to override.")
        if step.stop_overridden:
            assert step.stop_overridden_by is not None  # the property says so
            raise RuleViolation(
                f"The Stop on “{step.label}” was already overridden by "
                f"{display_name(step.stop_overridden_by)}."
            )
        before = payloads.step_state(step)
        step.stop_override_reason, step.stop_overridden_by = reason, actor
        step.stop_overridden_at = timezone.now()
        step.revision += 1
        step.save(
            update_fields=[
                "stop_override_reason",
                "stop_overridden_by",
                "stop_overridden_at",
                "revision",
            ]
        )
        after = payloads.stop_overridden(
            expected_answer=step.expected_answer, reason=reason, revision=step.revision
        )
        append_event(
            case,
            actor=actor,
            action=AuditAction.STOP_OVERRIDDEN,
            step=step,
            before=before,
            after=after,
            context=context,
            now=step.stop_overridden_at,
        )
    return step
