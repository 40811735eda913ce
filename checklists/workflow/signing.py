"""Signatures: the surgeon's sign-out, amendments of a signed case, what a signature covers."""

from collections.abc import Iterable
from operator import attrgetter, itemgetter
from typing import NamedTuple

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.context import NO_CONTEXT, RequestContext
from accounts.people import display_name
from checklists import compliance, payloads, quality, summary
from checklists.choices import AuditAction, CaseStatus, SignatureMeaning, StepStatus
from checklists.errors import CaseLocked, RuleViolation, SignatureRefused, SignOutBlocked
from checklists.models import (
    Case,
    CaseStep,
    Signature,
    departs_from_expected,
    max_length,
    sha256_json,
)
from checklists.workflow.answers import Answer, clean_answer, same_state
from checklists.workflow.chain import append_event
from checklists.workflow.common import (
    get_step,
    lock_case,
    locked_message,
    require_permission,
    required_reason,
    set_compliance,
)
from checklists.workflow.passwords import password_matches
from checklists.workflow.sides import check_sides_agree
from checklists.workflow.steps import apply_answer, check_implants_logged, check_revision
from procedures.choices import StepKind


def missing_for_sign_out(case: Case) -> list[CaseStep]:
    """Steps that stop sign-out: required and still pending, a Stop (``CaseStep.is_stop``:
    answered other than expected, and not overridden by a surgeon), or an implant step whose
    side has an implant logged after it was ticked and not yet read back. Two queries."""
    unread = set(
        case.implants.filter(read_back_at__isnull=True, wasted_reason="").values_list(
            "side", flat=True
        )
    )
    steps = case.steps.order_by("position")
    return [
        step
        for step in steps
        if (step.required and step.status == StepStatus.PENDING)
        or step.is_stop
        or (step.kind == StepKind.IMPLANTS and unread and (not step.side or step.side in unread))
    ]


def sign_out(
    *,
    actor: User,
    case_id: int,
    password: str,
    context: RequestContext = NO_CONTEXT,
) -> Signature:
    """The surgeon's e-signature: completes and locks the case, bound to its content by hash.

    A wrong password is refused and the refusal itself is audited; after
    ``SIGNATURE_MAX_FAILURES`` of them within ``SIGNATURE_LOCK_MINUTES`` the signer cannot sign
    (any case, even with the right password) until the oldest of them is that old.
    """
    require_permission(actor, "checklists.sign_case", "Only a surgeon can sign the case.")
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status != CaseStatus.IN_PROGRESS:
            raise CaseLocked(
                locked_message(case)
                if case.is_locked
                else "Nothing has been recorded yet: the checklist must be worked through first."
            )
        check_sides_agree(case)
        missing = missing_for_sign_out(case)
        if missing:
            titles = "; ".join(step.label for step in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise SignOutBlocked(
                f"The case cannot be signed out yet. Still missing: {titles}{more}.",
                missing=missing,
            )
        signature = None
        if password_matches(case, actor, password, context, SignatureMeaning.SIGN_OUT):
            now = timezone.now()
            case.status, case.completed_at = CaseStatus.COMPLETED, now
            set_compliance(case)
            signature = Signature.objects.create(
                case=case,
                signer=actor,
                printed_name=display_name(actor),
                meaning=SignatureMeaning.SIGN_OUT,
                signed_at=now,
                content_hash=case_content_hash(case),
            )
            append_event(
                case,
                actor=actor,
                action=AuditAction.SIGNED_OUT,
                after=payloads.signature_state(signature),
                context=context,
                case_fields=["status", "completed_at", *compliance.CASE_FIELDS],
                now=now,
            )
            quality.store_closing_case(case)
            summary.count_closed_cases(Case.objects.filter(pk=case.pk))  # counts the facts too
    # Raised after the commit, so that the refusal's own audit event is kept.
    if signature is None:
        raise SignatureRefused("The password is not right. The case was not signed.")
    return signature


def amend(
    *,
    actor: User,
    case_id: int,
    step_id: int,
    answer: Answer,
    revision: int,
    reason: str,
    password: str,
    context: RequestContext = NO_CONTEXT,
) -> Signature:
    """Change one step of a signed case: a reason and a new signature; the old value is kept.

    The password is checked, and wrong ones counted, as for ``sign_out``.
    """
    require_permission(actor, "checklists.sign_case", "Only a surgeon can amend a signed case.")
    reason = required_reason(
        reason, missing="An amendment needs a reason.", limit=max_length(Signature, "reason")
    )
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status not in (CaseStatus.COMPLETED, CaseStatus.REVIEWED):
            raise RuleViolation("Only a signed-out case is amended; change open cases directly.")
        step = get_step(case, step_id)
        answer = clean_answer(step, answer)
        if same_state(step, answer):
            raise RuleViolation("The amendment changes nothing: that is already the answer.")
        check_revision(step, revision)
        _check_stays_complete(step, answer)
        check_implants_logged(case, step, answer)
        signature = None
        if password_matches(case, actor, password, context, SignatureMeaning.AMENDMENT):
            now = timezone.now()
            before, status_before = payloads.step_state(step), step.status
            # The Time Out and incision times may move with the answer (``set_compliance``).
            times_before = (case.time_out_at, case.incision_at)
            apply_answer(step, answer, actor=actor, now=now)
            signature = Signature.objects.create(
                case=case,
                signer=actor,
                printed_name=display_name(actor),
                meaning=SignatureMeaning.AMENDMENT,
                signed_at=now,
                content_hash=case_content_hash(case),
                reason=reason,
                amended_step=step,
            )
            after = payloads.step_amended(step, reason=reason, signature=signature)
            case.amended = True
            set_compliance(case)
            append_event(
                case,
                actor=actor,
                action=AuditAction.STEP_AMENDED,
                step=step,
                before=before,
                after=after,
                context=context,
                case_fields=["amended", *compliance.CASE_FIELDS],
                now=now,
            )
            summary.count_amendment(case, step, status_before=status_before)
            summary.move_time_out_to_incision(case, before=times_before)
    if signature is None:
        raise SignatureRefused("The password is not right. The amendment was not saved.")
    return signature


def _check_stays_complete(step: CaseStep, answer: Answer) -> None:
    if step.required and answer.status == StepStatus.PENDING:
        raise RuleViolation(
            f"“{step.label}” is required: a signed case cannot have it pending. "
            "Amend it to another answer, or to not applicable with a reason."
        )
    # A signed case has no Stop: an answer other than the expected one only if it is the one
    # a surgeon overrode the Stop for (``apply_answer`` keeps the override then).
    departs = departs_from_expected(step.expected_answer, answer.status, answer.value)
    overridden = step.stop_overridden and (answer.status, answer.value) == (
        step.status,
        step.value,
    )
    if departs and not overridden:
        raise RuleViolation(f"“{step.label}” must be {step.expected_answer} on a signed case.")


def case_content_hash(case: Case) -> str:
    """SHA-256 of what a signature vouches for, as the case stands in the database (see
    ``content_hash``): two queries."""
    steps = case.steps.values_list(*CONTENT_STEP_FIELDS)
    implants = [payloads.implant_state(implant) for implant in case.implants.all()]
    return content_hash(case, steps=[ContentStep(*row) for row in steps], implants=implants)


class ContentStep(NamedTuple):
    """The columns of a case step that a signature covers, in ``CONTENT_STEP_FIELDS`` order."""

    position: int
    title: str
    side: str
    status: str
    value: str
    note: str
    na_reason: str
    recorded_by_id: int | None


CONTENT_STEP_FIELDS = ContentStep._fields


def content_hash(
    case: Case, *, steps: Iterable[ContentStep], implants: Iterable[payloads.ImplantState]
) -> str:
    """SHA-256 of what a signature vouches for: identity, procedure, every answer, every implant.

    Pure: it reads the case's own columns (not its relations) and the rows given, in any
    order, so the bulk generator hashes the cases it builds in memory with it too."""
    return sha256_json(
        {
            "case": case.pk,
            "patient": [case.patient_mrn, case.patient_name, case.patient_birth_date.isoformat()],
            "procedure": case.procedure_id,
            "laterality": case.laterality,
            "surgeon": case.surgeon_id,
            "room": case.room,
            "steps": [list(step) for step in sorted(steps, key=attrgetter("position"))],
            "implants": sorted(implants, key=itemgetter("side", "position")),
        }
    )
