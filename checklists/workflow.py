"""Every change to a case, one function each.

Each function runs in one transaction, locks the case row (``select_for_update``; on SQLite the
IMMEDIATE transaction serialises writers instead), checks the rules, writes exactly one audit
event per change and bumps the case's ``version``. A rule that says no raises a
``checklists.errors.WorkflowError`` whose message is meant for the person at the tablet.
Sign-out, amendment and cancellation also store the case's compliance facts on it
(``checklists.compliance``), in the same save, for the reviewers' lists to read.

Views, the admin, management commands and tests call these functions; nothing else writes to a
case. They take the acting person as an argument and never read a request.
"""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal, DecimalException
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from accounts import roles
from accounts.context import NO_CONTEXT, RequestContext
from accounts.people import display_name
from checklists import compliance
from checklists.choices import (
    AuditAction,
    CaseStatus,
    Laterality,
    Side,
    SignatureMeaning,
    StepStatus,
)
from checklists.errors import (
    CaseLocked,
    HardStopPending,
    NotFound,
    NotPermitted,
    RuleViolation,
    SignatureLocked,
    SignatureRefused,
    SignOutBlocked,
    StaleRevision,
)
from checklists.models import AuditEvent, Case, CaseStep, Implant, Signature, sha256_json
from checklists.udi import UdiError, parse_udi
from procedures.choices import StepKind
from procedures.models import Procedure

logger = logging.getLogger(__name__)

MAX_TEXT = 2000
# No answer in an operating room is a million of anything (or finer than 1/10,000).
MAX_NUMBER_DIGITS = 6


@dataclass(frozen=True)
class Answer:
    """The state a step should be in after a change: the request names it, never "toggle"."""

    status: str
    value: str = ""
    note: str = ""
    na_reason: str = ""


# --- creating a case ---------------------------------------------------------------------------


def create_case(
    *,
    actor: AbstractBaseUser,
    procedure: Procedure,
    patient_mrn: str,
    patient_name: str,
    patient_birth_date: datetime.date,
    laterality: str,
    surgeon: AbstractBaseUser,
    room: str,
    scheduled_start: datetime.datetime,
    context: RequestContext = NO_CONTEXT,
) -> Case:
    """Schedule a case and snapshot its procedure's steps (per side for a bilateral case)."""
    _require(actor, "checklists.add_case", "Your role cannot schedule cases.")
    patient_mrn, patient_name, room = patient_mrn.strip(), patient_name.strip(), room.strip()
    if not (patient_mrn and patient_name and room):
        raise RuleViolation("MRN, patient name and room are all needed to schedule a case.")
    limits = {"MRN": (patient_mrn, 32), "Patient name": (patient_name, 200), "Room": (room, 32)}
    for label, (text, limit) in limits.items():
        if len(text) > limit:
            raise RuleViolation(f"{label} is too long (at most {limit} characters).")
    if patient_birth_date > timezone.localdate():
        raise RuleViolation("The date of birth cannot be in the future.")
    if laterality not in Laterality.values:
        raise RuleViolation("Choose the side: left, right or bilateral.")
    if not procedure.active:
        raise RuleViolation(f"{procedure.title} is no longer offered; choose an active procedure.")
    if not (surgeon.is_active and surgeon.groups.filter(name=roles.SURGEON).exists()):
        raise RuleViolation("The case's surgeon must be an active member of the Surgeon role.")

    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.create(
            patient_mrn=patient_mrn,
            patient_name=patient_name,
            patient_birth_date=patient_birth_date,
            procedure=procedure,
            laterality=laterality,
            surgeon=surgeon,
            room=room,
            scheduled_start=scheduled_start,
            created_by=actor,
            created_at=now,
        )
        steps = CaseStep.objects.bulk_create(_snapshot_steps(case, procedure))
        after = {
            "procedure": procedure.pk,
            "laterality": laterality,
            "surgeon": surgeon.pk,
            "room": room,
            "scheduled_start": _iso(scheduled_start),
            "steps": len(steps),
        }
        _audit(case, actor=actor, action=AuditAction.CASE_CREATED, after=after, context=context)
    return case


def _snapshot_steps(case: Case, procedure: Procedure) -> list[CaseStep]:
    """Copy the template; a run of per-side steps is repeated once per side, left side first."""
    sides = case.sides()
    template = list(procedure.steps.order_by("position"))
    ordered: list[tuple[Any, str]] = []
    run: list[Any] = []
    for step in [*template, None]:
        if step is not None and step.per_side:
            run.append(step)
            continue
        ordered.extend((side_step, side) for side in sides for side_step in run)
        run = []
        if step is not None:
            ordered.append((step, ""))
    return [
        CaseStep(
            case=case,
            template_step=step,
            position=position,
            side=side,
            **{field: getattr(step, field) for field in SNAPSHOT_FIELDS},
        )
        for position, (step, side) in enumerate(ordered, start=1)
    ]


SNAPSHOT_FIELDS = (
    "phase",
    "title",
    "guidance",
    "required",
    "hard_stop",
    "role",
    "kind",
    "unit",
    "min_value",
    "max_value",
    "options",
    "expected_answer",
    "details_required_for",
    "default_value",
)


# --- recording steps ---------------------------------------------------------------------------


def record_step(
    *,
    actor: AbstractBaseUser,
    case_id: int,
    step_id: int,
    answer: Answer,
    revision: int,
    context: RequestContext = NO_CONTEXT,
) -> CaseStep:
    """Put a step into the state ``answer`` names (done, pending or not applicable).

    A request for the state the step is already in changes nothing and writes no event, so a
    double tap is harmless. Otherwise ``revision`` must be the row's current revision. The step
    comes back with ``step.case``, the case as this change left it (status, version, audit).
    """
    _require(actor, "checklists.record_step", "Your role cannot record checklist steps.")
    with transaction.atomic():
        case = _lock_case(case_id)
        if case.is_locked:
            raise CaseLocked(_locked_message(case))
        step = _get_step(case, step_id)
        answer = _clean_answer(step, answer)
        if _same_state(step, answer):
            return step
        _check_revision(step, revision)
        if answer.status == StepStatus.PENDING:
            _check_no_recorded_dependents(case, step)
        else:
            _check_hard_stops(case, step)
            _check_implants_logged(case, step, answer)
        before = step.state()
        _apply(step, answer, actor=actor, now=timezone.now())
        case_fields = []
        if case.status == CaseStatus.SCHEDULED and answer.status != StepStatus.PENDING:
            case.status, case.started_at = CaseStatus.IN_PROGRESS, step.recorded_at
            case_fields = ["status", "started_at"]
        _audit(
            case,
            actor=actor,
            action=AuditAction.STEP_RECORDED,
            step=step,
            before=before,
            after=step.state(),
            context=context,
            case_fields=case_fields,
        )
    return step


def _clean_answer(step: CaseStep, answer: Answer) -> Answer:
    """Check an answer against the step's kind and bounds; return it in its stored form."""
    note = answer.note.strip()
    if len(note) > MAX_TEXT:
        raise RuleViolation(f"The note is too long (at most {MAX_TEXT} characters).")
    if answer.status == StepStatus.PENDING:
        return Answer(status=StepStatus.PENDING)
    if answer.status == StepStatus.NOT_APPLICABLE:
        reason = answer.na_reason.strip()
        if step.hard_stop:
            raise RuleViolation(f"“{step.label}” is a hard stop: it must be done, not skipped.")
        if not reason:
            raise RuleViolation(f"Give a reason why “{step.label}” does not apply.")
        if len(reason) > MAX_TEXT:
            raise RuleViolation(f"The reason is too long (at most {MAX_TEXT} characters).")
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
    if step.kind in (StepKind.YES_NO, StepKind.CHOICE):
        if value not in step.answers():
            raise RuleViolation(f"“{step.label}”: answer one of {', '.join(step.answers())}.")
        return value
    if step.kind == StepKind.NUMBER:
        return _clean_number(step, value)
    if len(value) > MAX_TEXT:
        raise RuleViolation(f"The answer is too long (at most {MAX_TEXT} characters).")
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
    significant = "".join(map(str, digits)).rstrip("0")
    if not significant:
        return 0
    return max(0, -(exponent + len(digits) - len(significant)))


def _plain(number: Decimal) -> str:
    """4.50 -> "4.5", 4E+1 -> "40": the form people write and the audit trail keeps."""
    text = f"{number.normalize():f}"
    return "0" if text in ("-0", "0") else text


def _same_state(step: CaseStep, answer: Answer) -> bool:
    return (step.status, step.value, step.note, step.na_reason) == (
        answer.status,
        answer.value,
        answer.note,
        answer.na_reason,
    )


def _check_revision(step: CaseStep, revision: int) -> None:
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


def _check_hard_stops(case: Case, step: CaseStep) -> None:
    same_side = Q(side="") | Q(side=step.side) if step.side else Q()
    blocking = (
        case.steps.filter(same_side, hard_stop=True, status=StepStatus.PENDING)
        .filter(position__lt=step.position)
        .order_by("position")
        .first()
    )
    if blocking:
        raise HardStopPending(
            f"“{step.label}” waits for the hard stop “{blocking.label}”. Record that step first.",
            blocking=blocking,
        )


def _check_no_recorded_dependents(case: Case, step: CaseStep) -> None:
    """Undoing a hard stop would leave later answers recorded before their gate."""
    if not step.hard_stop:
        return
    same_side = Q(side="") | Q(side=step.side) if step.side else Q()
    dependent = (
        case.steps.filter(same_side, position__gt=step.position)
        .exclude(status=StepStatus.PENDING)
        .order_by("position")
        .first()
    )
    if dependent:
        raise RuleViolation(
            f"“{step.label}” is a hard stop and “{dependent.label}” was recorded after it. "
            "Put the later steps back to pending first."
        )


def _check_implants_logged(case: Case, step: CaseStep, answer: Answer) -> None:
    if step.kind != StepKind.IMPLANTS or answer.status != StepStatus.DONE:
        return
    implants = case.implants.filter(side=step.side) if step.side else case.implants.all()
    if not implants.exists():
        where = f" on the {step.get_side_display().lower()} side" if step.side else ""
        raise RuleViolation(f"Log at least one implant{where} before ticking “{step.label}”.")


def _apply(step: CaseStep, answer: Answer, *, actor: AbstractBaseUser, now: datetime.datetime):
    step.status = answer.status
    step.value, step.note, step.na_reason = answer.value, answer.note, answer.na_reason
    recorded = answer.status != StepStatus.PENDING
    step.recorded_by = actor if recorded else None
    step.recorded_at = now if recorded else None
    step.revision += 1
    step.save(
        update_fields=[
            "status",
            "value",
            "note",
            "na_reason",
            "recorded_by",
            "recorded_at",
            "revision",
        ]
    )


# --- implants ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImplantEntry:
    """An implant as entered: typed fields, a scanned UDI, or both (the barcode wins ties)."""

    side: str
    manufacturer: str = ""
    product: str = ""
    size: str = ""
    lot: str = ""
    expiry: datetime.date | None = None
    serial: str = ""
    udi: str = ""
    expiry_override_reason: str = ""


def add_implant(
    *,
    actor: AbstractBaseUser,
    case_id: int,
    entry: ImplantEntry,
    context: RequestContext = NO_CONTEXT,
) -> Implant:
    """Log an implant on one side. A scanned GS1 UDI fills GTIN, expiry, lot and serial.

    An expired implant is refused unless a surgeon records why it is used anyway.
    """
    _require(actor, "checklists.record_step", "Your role cannot log implants.")
    fields = _implant_fields(entry)
    with transaction.atomic():
        case = _lock_case(case_id)
        if case.is_locked:
            raise CaseLocked(_locked_message(case))
        if entry.side not in case.sides():
            sides = " or ".join(Side(side).label.lower() for side in case.sides())
            raise RuleViolation(f"This case's implants go on the {sides} side.")
        _check_expiry(actor, fields)
        last = case.implants.filter(side=entry.side).aggregate(last=Max("position"))["last"]
        implant = Implant.objects.create(
            case=case,
            side=entry.side,
            position=(last or 0) + 1,
            added_by=actor,
            added_at=timezone.now(),
            **fields,
        )
        case_fields = []
        if case.status == CaseStatus.SCHEDULED:
            case.status, case.started_at = CaseStatus.IN_PROGRESS, implant.added_at
            case_fields = ["status", "started_at"]
        _audit(
            case,
            actor=actor,
            action=AuditAction.IMPLANT_ADDED,
            after={"implant": implant.pk, **implant.state()},
            context=context,
            case_fields=case_fields,
        )
    return implant


def _implant_fields(entry: ImplantEntry) -> dict[str, Any]:
    fields = {
        "manufacturer": entry.manufacturer.strip(),
        "product": entry.product.strip(),
        "size": entry.size.strip(),
        "lot": entry.lot.strip(),
        "expiry": entry.expiry,
        "serial": entry.serial.strip(),
        "gtin": "",
        "udi": entry.udi.strip(),
        "expiry_override_reason": entry.expiry_override_reason.strip(),
    }
    for name, limit in (("manufacturer", 200), ("product", 200), ("size", 50)):
        if len(fields[name]) > limit:
            raise RuleViolation(f"The implant's {name} is too long (at most {limit} characters).")
    for name in ("lot", "serial"):
        if len(fields[name]) > 20:
            raise RuleViolation(f"The implant's {name} is too long (at most 20 characters).")
    if fields["udi"]:
        try:
            parts = parse_udi(fields["udi"])
        except UdiError as error:
            raise RuleViolation(str(error)) from None
        scanned = {
            "gtin": parts.gtin,
            "expiry": parts.expiry,
            "lot": parts.lot,
            "serial": parts.serial,
        }
        for name, from_barcode in scanned.items():
            typed = fields[name]
            if typed and from_barcode and typed != from_barcode:
                raise RuleViolation(
                    f"The {name} typed ({typed}) differs from the barcode's ({from_barcode})."
                )
            fields[name] = from_barcode or typed
        fields["udi"] = parts.raw
    if not (fields["product"] or fields["gtin"]):
        raise RuleViolation("Name the implant's product or scan its barcode.")
    return fields


def _check_expiry(actor: AbstractBaseUser, fields: dict[str, Any]) -> None:
    expiry = fields["expiry"]
    if expiry is None or expiry >= timezone.localdate():
        fields["expiry_override_reason"] = ""
        return
    if not fields["expiry_override_reason"]:
        raise RuleViolation(
            f"This implant expired on {expiry:%d %b %Y}. A surgeon must give a reason to use it."
        )
    if not actor.has_perm("checklists.sign_case"):
        raise NotPermitted("Only a surgeon can accept an expired implant.")


def remove_implant(
    *,
    actor: AbstractBaseUser,
    case_id: int,
    implant_id: int,
    reason: str,
    context: RequestContext = NO_CONTEXT,
) -> None:
    """Take an implant off the log (a mis-scan, say); the audit trail keeps what it was."""
    _require(actor, "checklists.record_step", "Your role cannot change the implant log.")
    reason = _reason(reason, missing="Give a reason for removing the implant from the log.")
    with transaction.atomic():
        case = _lock_case(case_id)
        if case.is_locked:
            raise CaseLocked(_locked_message(case))
        implant = case.implants.filter(pk=implant_id).first()
        if implant is None:
            raise NotFound("That implant is not on this case's log.")
        others = case.implants.filter(side=implant.side).exclude(pk=implant.pk)
        done = case.steps.filter(
            Q(side="") | Q(side=implant.side), kind=StepKind.IMPLANTS, status=StepStatus.DONE
        ).first()
        if done and not others.exists():
            raise RuleViolation(
                f"“{done.label}” is ticked and this is its only implant. "
                "Put the step back to pending first."
            )
        before = {"implant": implant.pk, **implant.state()}
        implant.delete()
        _audit(
            case,
            actor=actor,
            action=AuditAction.IMPLANT_REMOVED,
            before=before,
            after={"reason": reason},
            context=context,
        )


# --- signing, amending, reviewing, cancelling ---------------------------------------------------


def missing_for_sign_out(case: Case) -> list[CaseStep]:
    """Steps that stop sign-out: required and still pending, or answered other than expected."""
    steps = case.steps.filter(
        Q(required=True, status=StepStatus.PENDING)
        | (Q(status=StepStatus.DONE) & ~Q(expected_answer="") & ~Q(value=F("expected_answer")))
    )
    return list(steps.order_by("position"))


def sign_out(
    *,
    actor: AbstractBaseUser,
    case_id: int,
    password: str,
    context: RequestContext = NO_CONTEXT,
) -> Signature:
    """The surgeon's e-signature: completes and locks the case, bound to its content by hash.

    A wrong password is refused and the refusal itself is audited; after
    ``SIGNATURE_MAX_FAILURES`` of them within ``SIGNATURE_LOCK_MINUTES`` the signer cannot sign
    (any case, even with the right password) until the oldest of them is that old.
    """
    _require(actor, "checklists.sign_case", "Only a surgeon can sign out a case.")
    with transaction.atomic():
        case = _lock_case(case_id)
        if case.status != CaseStatus.IN_PROGRESS:
            raise CaseLocked(
                _locked_message(case)
                if case.is_locked
                else "Nothing has been recorded yet: the checklist must be worked through first."
            )
        missing = missing_for_sign_out(case)
        if missing:
            titles = "; ".join(step.label for step in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise SignOutBlocked(
                f"The case cannot be signed out yet. Still missing: {titles}{more}.",
                missing=missing,
            )
        signature = None
        if _password_matches(case, actor, password, context, SignatureMeaning.SIGN_OUT):
            now = timezone.now()
            case.status, case.completed_at = CaseStatus.COMPLETED, now
            _set_compliance(case)
            signature = Signature.objects.create(
                case=case,
                signer=actor,
                printed_name=display_name(actor),
                meaning=SignatureMeaning.SIGN_OUT,
                signed_at=now,
                content_hash=case_content_hash(case),
            )
            _audit(
                case,
                actor=actor,
                action=AuditAction.SIGNED_OUT,
                after=_signature_state(signature),
                context=context,
                case_fields=["status", "completed_at", *compliance.CASE_FIELDS],
                now=now,
            )
    # Raised after the commit, so that the refusal's own audit event is kept.
    if signature is None:
        raise SignatureRefused("The password is not right. The case was not signed.")
    return signature


def amend(
    *,
    actor: AbstractBaseUser,
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
    _require(actor, "checklists.sign_case", "Only a surgeon can amend a signed case.")
    reason = _reason(reason, missing="An amendment needs a reason.")
    with transaction.atomic():
        case = _lock_case(case_id)
        if case.status not in (CaseStatus.COMPLETED, CaseStatus.REVIEWED):
            raise RuleViolation("Only a signed-out case is amended; change open cases directly.")
        step = _get_step(case, step_id)
        answer = _clean_answer(step, answer)
        if _same_state(step, answer):
            raise RuleViolation("The amendment changes nothing: that is already the answer.")
        _check_revision(step, revision)
        _check_stays_complete(step, answer)
        _check_implants_logged(case, step, answer)
        signature = None
        if _password_matches(case, actor, password, context, SignatureMeaning.AMENDMENT):
            now = timezone.now()
            before = step.state()
            _apply(step, answer, actor=actor, now=now)
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
            after = {**step.state(), "reason": reason, "signature": _signature_state(signature)}
            case.amended = True
            _set_compliance(case)
            _audit(
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
    if signature is None:
        raise SignatureRefused("The password is not right. The amendment was not saved.")
    return signature


def _check_stays_complete(step: CaseStep, answer: Answer) -> None:
    if step.required and answer.status == StepStatus.PENDING:
        raise RuleViolation(
            f"“{step.label}” is required: a signed case cannot have it pending. "
            "Amend it to another answer, or to not applicable with a reason."
        )
    expected = step.expected_answer
    if expected and answer.status == StepStatus.DONE and answer.value != expected:
        raise RuleViolation(f"“{step.label}” must be {step.expected_answer} on a signed case.")


def mark_reviewed(
    *,
    actor: AbstractBaseUser,
    case_id: int,
    comment: str = "",
    context: RequestContext = NO_CONTEXT,
) -> Case:
    """A reviewer files a completed case. Reviewing it again changes nothing."""
    _require(actor, "checklists.review_case", "Only a reviewer can mark a case reviewed.")
    comment = comment.strip()
    if len(comment) > MAX_TEXT:
        raise RuleViolation(f"The comment is too long (at most {MAX_TEXT} characters).")
    with transaction.atomic():
        case = _lock_case(case_id)
        if case.status == CaseStatus.REVIEWED:
            return case
        if case.status != CaseStatus.COMPLETED:
            raise RuleViolation("Only a signed-out case can be reviewed.")
        now = timezone.now()
        case.status, case.reviewed_at, case.reviewed_by = CaseStatus.REVIEWED, now, actor
        case.review_comment = comment
        _audit(
            case,
            actor=actor,
            action=AuditAction.REVIEWED,
            after={"comment": comment},
            context=context,
            case_fields=["status", "reviewed_at", "reviewed_by", "review_comment"],
            now=now,
        )
    return case


def cancel(
    *,
    actor: AbstractBaseUser,
    case_id: int,
    reason: str,
    context: RequestContext = NO_CONTEXT,
) -> Case:
    """Cancel a scheduled or in-progress case, with a reason. Cancelling again changes nothing."""
    _require(actor, "checklists.cancel_case", "Your role cannot cancel cases.")
    reason = _reason(reason, missing="Give a reason for cancelling the case.")
    with transaction.atomic():
        case = _lock_case(case_id)
        if case.status == CaseStatus.CANCELLED:
            return case
        if not case.is_open:
            raise CaseLocked(_locked_message(case))
        now = timezone.now()
        before = {"status": case.status}
        case.status, case.cancelled_at, case.cancel_reason = CaseStatus.CANCELLED, now, reason
        _set_compliance(case)
        _audit(
            case,
            actor=actor,
            action=AuditAction.CANCELLED,
            before=before,
            after={"status": case.status, "reason": reason},
            context=context,
            case_fields=["status", "cancelled_at", "cancel_reason", *compliance.CASE_FIELDS],
            now=now,
        )
    return case


def case_content_hash(case: Case) -> str:
    """SHA-256 of what a signature vouches for: identity, procedure, every answer, every implant."""
    steps = case.steps.order_by("position").values_list(
        "position", "title", "side", "status", "value", "note", "na_reason", "recorded_by_id"
    )
    implants = [implant.state() for implant in case.implants.order_by("side", "position")]
    return sha256_json(
        {
            "case": case.pk,
            "patient": [case.patient_mrn, case.patient_name, case.patient_birth_date.isoformat()],
            "procedure": case.procedure_id,
            "laterality": case.laterality,
            "surgeon": case.surgeon_id,
            "room": case.room,
            "steps": [list(step) for step in steps],
            "implants": implants,
        }
    )


# --- shared machinery --------------------------------------------------------------------------


def _reason(text: str, *, missing: str) -> str:
    """A reason the record keeps: required, and no longer than any text the record holds."""
    text = text.strip()
    if not text:
        raise RuleViolation(missing)
    if len(text) > MAX_TEXT:
        raise RuleViolation(f"The reason is too long (at most {MAX_TEXT} characters).")
    return text


def _require(actor: AbstractBaseUser, permission: str, message: str) -> None:
    if not (actor.is_active and actor.has_perm(permission)):
        raise NotPermitted(message)


def _lock_case(case_id: int) -> Case:
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound("There is no such case.")
    return case


def _get_step(case: Case, step_id: int) -> CaseStep:
    step = case.steps.filter(pk=step_id).first()
    if step is None:
        raise NotFound("That step is not part of this case.")
    return step


def _locked_message(case: Case) -> str:
    if case.status == CaseStatus.CANCELLED:
        return "This case was cancelled; it can no longer change."
    return "This case is signed out and locked. A change now needs an amendment by a surgeon."


def _password_matches(
    case: Case,
    actor: AbstractBaseUser,
    password: str,
    context: RequestContext,
    meaning: str,
) -> bool:
    _check_signing_not_locked(actor)
    if actor.check_password(password):
        return True
    _audit(
        case,
        actor=actor,
        action=AuditAction.SIGNATURE_REFUSED,
        after={"meaning": meaning},
        context=context,
        bump_version=False,
    )
    return False


def _check_signing_not_locked(actor: AbstractBaseUser) -> None:
    """A signature password is guessable like any other: count this signer's recent refusals
    (on every case) and refuse to check another password while there are too many."""
    # Locking the signer's row serialises their attempts, so two at once cannot both slip in.
    get_user_model().objects.select_for_update().filter(pk=actor.pk).exists()
    window = datetime.timedelta(minutes=settings.SIGNATURE_LOCK_MINUTES)
    limit = settings.SIGNATURE_MAX_FAILURES
    refusals = AuditEvent.objects.filter(
        actor=actor,
        action=AuditAction.SIGNATURE_REFUSED,
        created_at__gte=timezone.now() - window,
    ).order_by("-created_at")
    counted = list(refusals.values_list("created_at", flat=True)[:limit])
    if len(counted) < limit:
        return
    until = timezone.localtime(counted[-1] + window)
    raise SignatureLocked(
        f"Too many wrong passwords: signing is locked for you until {until:%H:%M}. "
        "Nothing was signed. If those tries were not yours, tell an administrator."
    )


def _audit(
    case: Case,
    *,
    actor: AbstractBaseUser,
    action: str,
    step: CaseStep | None = None,
    before: Any = None,
    after: Any = None,
    context: RequestContext = NO_CONTEXT,
    case_fields: list[str] | tuple[str, ...] = (),
    now: datetime.datetime | None = None,
    bump_version: bool = True,
) -> AuditEvent:
    """Append the case's next chained event and save the case with it (the case row is locked)."""
    event = AuditEvent(
        case=case,
        seq=case.audit_seq + 1,
        step=step,
        actor=actor,
        action=action,
        before=before,
        after=after,
        created_at=now or timezone.now(),
        remote_addr=context.remote_addr,
        user_agent=context.user_agent[:300],
        prev_hash=case.audit_head,
    )
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    case.audit_seq, case.audit_head = event.seq, event.hash
    fields = ["audit_seq", "audit_head", *case_fields]
    if bump_version:
        case.version += 1
        fields.append("version")
    case.save(update_fields=fields)
    return event


def _set_compliance(case: Case) -> None:
    """Set the case's compliance facts from its steps as they now stand, for the save that
    closes or amends it (its ``case_fields`` name ``compliance.CASE_FIELDS``). Reviewers'
    lists read these columns rather than every case's steps, so every change that can move
    them after the case closes stores them again."""
    facts = compliance.case_compliance(case_id=case.pk)
    case.time_out_at, case.incision_at = facts.time_out_at, facts.incision_at
    case.required_complete = facts.required_complete


def _signature_state(signature: Signature) -> dict[str, Any]:
    return {
        "signature": signature.pk,
        "printed_name": signature.printed_name,
        "meaning": signature.get_meaning_display(),
        "content_hash": signature.content_hash,
    }


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds")
