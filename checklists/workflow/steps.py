"""Recording a step: the gates it must pass and the one row it changes."""

import copy
import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.context import NO_CONTEXT, RequestContext
from accounts.people import display_name, holds_role
from checklists import payloads
from checklists.choices import AuditAction, CaseStatus, Gate, StepStatus
from checklists.errors import (
    CaseLocked,
    CaseStopped,
    HardStopPending,
    RuleViolation,
    StaleRevision,
    StepGated,
    TimeOutNeeded,
)
from checklists.models import Case, CaseStep, Signature, max_length, time_out_gate
from checklists.selectors import in_order
from checklists.workflow.answers import Answer, clean_answer, same_state
from checklists.workflow.chain import append_event
from checklists.workflow.common import (
    check_text,
    get_step,
    lock_case,
    locked_message,
    require_permission,
    required_reason,
)
from checklists.workflow.sides import check_sides_agree, disagree_with_step
from procedures.choices import Phase, StepKind

# As long as an amendment's reason: the other reason the trail keeps for changing an answer.
REVERT_REASON_LENGTH = max_length(Signature, "reason")


def record_step(
    *,
    actor: User,
    case_id: int,
    step_id: int,
    answer: Answer,
    revision: int,
    reason: str = "",
    context: RequestContext = NO_CONTEXT,
) -> CaseStep:
    """Put a step into the state ``answer`` names (done, pending or not applicable).

    A request for the state the step is already in changes nothing and writes no event, so a
    double tap is harmless. Otherwise ``revision`` must be the row's current revision, so a
    late tap based on an older drawing of the row is refused, never applied. Putting a
    recorded answer back to pending takes a ``reason`` (kept in the audit event), which a step
    that gates others (``CaseStep.gates_others``) must give; no other change takes one. The
    step comes back with ``step.case``, the case as this change left it (status, version,
    audit).

    While a side disagreement stands, every change is refused (``sides.check_sides_agree``);
    a side step answered with a side that is not the case's raises one, with its own event
    after the answer's (``sides.disagree_with_step``).
    """
    require_permission(actor, "checklists.record_step", "Your role cannot record checklist steps.")
    if reason.strip() and answer.status != StepStatus.PENDING:
        raise RuleViolation("A reason is kept only when an answer is put back to pending.")
    with transaction.atomic():
        case = lock_case(case_id)
        if case.is_locked:
            raise CaseLocked(locked_message(case))
        return record_on_locked_case(
            case,
            actor=actor,
            step=get_step(case, step_id),
            answer=answer,
            revision=revision,
            reason=reason,
            context=context,
        )


def record_on_locked_case(
    case: Case,
    *,
    actor: User,
    step: CaseStep,
    answer: Answer,
    revision: int,
    reason: str = "",
    context: RequestContext = NO_CONTEXT,
) -> CaseStep:
    """``record_step``'s rules and its one event, on a case already locked and open in the
    caller's transaction (``record_step``; an item confirmed aloud in the Time Out,
    ``workflow.time_out``)."""
    answer = clean_answer(step, answer)
    if same_state(step, answer):
        return step
    check_revision(step, revision)
    check_sides_agree(case)  # a side disagreement holds every step of the case
    if answer.status == StepStatus.PENDING:
        _check_no_recorded_dependents(case, step)
        reason = _revert_reason(step, reason)
    else:
        check_gates(case, step)
        check_implants_logged(case, step, answer)
    before = payloads.step_state(step)
    apply_answer(step, answer, actor=actor, now=timezone.now())
    case_fields = []
    if case.status == CaseStatus.SCHEDULED and answer.status != StepStatus.PENDING:
        case.status, case.started_at = CaseStatus.IN_PROGRESS, step.recorded_at
        case_fields = ["status", "started_at"]
    append_event(
        case,
        actor=actor,
        action=AuditAction.STEP_RECORDED,
        step=step,
        before=before,
        after=payloads.step_recorded(step, reason=reason),
        context=context,
        case_fields=case_fields,
    )
    disagree_with_step(case, step, actor=actor, context=context)
    step.case = case
    return step


def check_revision(step: CaseStep, revision: int) -> None:
    if step.revision == revision:
        return
    last = step.audit_events.select_related("actor").order_by("-seq").first()
    who = display_name(last.actor) if last else "someone"
    when = timezone.localtime(last.created_at).strftime("%H:%M") if last else "just now"
    raise StaleRevision(
        f"“{step.label}” was changed by {who} at {when} while you were looking at it. "
        "Your change was not saved; the current answer is shown.",
        current=step,
    )


def check_gates(case: Case, step: CaseStep) -> None:
    """Refuse to record a step that another holds back (``CaseStep.is_gated_by``): a pending
    hard stop, a pending step of a gating phase (the Time Out), a Stop of an earlier phase; a
    procedure step while a Stop the team called stands (``workflow.concerns``), and one without
    a Time Out that holds (``TimeOutGate``: the case's, and the second side's)."""
    if step.phase == Phase.PROCEDURE:
        called = case.concerns.filter(resolved_at__isnull=True).select_related("raised_by")
        if standing := in_order(called, "raised_at", "pk"):
            concern = standing[0]
            raise CaseStopped(
                f"{display_name(concern.raised_by)} called a Stop: “{concern.reason}”. "
                "Procedure steps wait until it is resolved."
            )
    # Only these steps can ever hold another back (``CaseStep.may_gate``): one small query.
    candidates = case.steps.filter(
        Q(hard_stop=True) | Q(gates_later_phases=True) | ~Q(expected_answer="")
    ).exclude(pk=step.pk)
    blocking = next(
        (other for other in in_order(candidates, "position") if step.is_gated_by(other)), None
    )
    if blocking is None:
        check_time_out(case, step)
        return
    if blocking.gate == Gate.HARD_STOP:
        raise HardStopPending(
            f"“{step.label}” waits for the hard stop “{blocking.label}”. Record that step first.",
            blocking=blocking,
        )
    if blocking.gate == Gate.PHASE:
        phase = blocking.get_phase_display()
        raise StepGated(
            f"“{step.label}” waits for the whole {phase}: “{blocking.label}” is not recorded "
            f"yet. Record every required {phase} step first.",
            blocking=blocking,
        )
    raise StepGated(
        f"“{step.label}” waits for the Stop on “{blocking.label}” ({blocking.stop_summary}). "
        "Change that answer, or a surgeon overrides the Stop with a reason.",
        blocking=blocking,
    )


def check_time_out(case: Case, step: CaseStep) -> None:
    """Refuse a procedure step the Time Out record holds back (``TimeOutGate.waits``)."""
    if step.phase != Phase.PROCEDURE:
        return
    waiting = time_out_gate(case).waits(step)
    if waiting:
        raise TimeOutNeeded(waiting)


def _check_no_recorded_dependents(case: Case, step: CaseStep) -> None:
    """Putting a hard stop, or a step of a gating phase, back to pending would leave later
    answers recorded behind their gate."""
    if not (step.hard_stop or step.gates_later_phases):
        return
    as_pending = copy.copy(step)
    as_pending.status = StepStatus.PENDING
    recorded = case.steps.exclude(status=StepStatus.PENDING)
    dependent = next(
        (other for other in recorded.order_by("position") if other.is_gated_by(as_pending)),
        None,
    )
    if dependent is None:
        return
    if step.hard_stop:
        raise RuleViolation(
            f"“{step.label}” is a hard stop and “{dependent.label}” was recorded after it. "
            "Put the later steps back to pending first."
        )
    raise RuleViolation(
        f"The whole {step.get_phase_display()} comes before the "
        f"{dependent.get_phase_display()}, and “{dependent.label}” is recorded. "
        "Put the later steps back to pending first."
    )


def _revert_reason(step: CaseStep, reason: str) -> str:
    """Why a recorded answer goes back to pending: required where the revert locks others."""
    if step.gates_others:
        return required_reason(
            reason,
            missing=(
                f"“{step.label}” gates the steps after it: putting it back to pending locks "
                "them again. Give the reason; the audit trail keeps it."
            ),
            limit=REVERT_REASON_LENGTH,
        )
    reason = reason.strip()
    check_text(reason, REVERT_REASON_LENGTH, what="The reason")
    return reason


def check_implants_logged(case: Case, step: CaseStep, answer: Answer) -> None:
    if step.kind != StepKind.IMPLANTS or answer.status != StepStatus.DONE:
        return
    logged = case.implants.filter(wasted_reason="")  # placed, or about to be: not wasted
    implants = list(logged.filter(side=step.side) if step.side else logged)
    where = f" on the {step.get_side_display().lower()} side" if step.side else ""
    awaiting = [implant for implant in implants if implant.read_back_at is None]
    if awaiting:
        *others, last = [str(implant.position) for implant in awaiting]
        which = f"implants {', '.join(others)} and {last}" if others else f"implant {last}"
        raise RuleViolation(
            f"Read back {which}{where} aloud before ticking “{step.label}”: "
            "product, size, side, expiry and lot."
        )
    if not implants:
        raise RuleViolation(f"Log at least one implant{where} before ticking “{step.label}”.")


def apply_answer(step: CaseStep, answer: Answer, *, actor: User, now: datetime.datetime):
    if (answer.status, answer.value) != (step.status, step.value):
        # A Stop's override holds for the answer it was given for (a note may still change).
        step.stop_override_reason, step.stop_overridden_by, step.stop_overridden_at = "", None, None
    step.status = answer.status
    step.value, step.note, step.na_reason = answer.value, answer.note, answer.na_reason
    recorded = answer.status != StepStatus.PENDING
    step.recorded_by = actor if recorded else None
    step.recorded_at = now if recorded else None
    step.recorded_for = step.role if recorded and not holds_role(actor, step.role) else ""
    step.revision += 1
    step.save(
        update_fields=[
            "status",
            "value",
            "note",
            "na_reason",
            "recorded_by",
            "recorded_at",
            "recorded_for",
            "revision",
            "stop_override_reason",
            "stop_overridden_by",
            "stop_overridden_at",
        ]
    )
