"""A case's life outside its steps: scheduled, reviewed, cancelled."""

import datetime
from typing import Any, cast

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field
from django.utils import timezone

from accounts import roles
from accounts.context import NO_CONTEXT, RequestContext
from accounts.models import Room
from accounts.people import display_name
from accounts.text import normalise_identity
from checklists import compliance, payloads, quality, summary
from checklists.choices import AuditAction, CaseStatus, Laterality
from checklists.errors import CaseLocked, RuleViolation, SurgeonChanged
from checklists.models import Case, CaseStep, audit_key_id, max_length, validate_birth_date
from checklists.workflow.chain import append_event
from checklists.workflow.common import (
    check_text,
    field_error,
    lock_case,
    locked_message,
    require_permission,
    required_reason,
    set_compliance,
)
from checklists.workflow.time_out import invalidate_time_outs
from procedures.models import Procedure, ProcedureVersion, Step

# As long as a Stop's reason: a few words the Time Out's record repeats.
SURGEON_CHANGE_REASON_LENGTH = 200


def create_case(
    *,
    actor: User,
    procedure: Procedure,
    patient_mrn: str,
    patient_name: str,
    patient_birth_date: datetime.date,
    laterality: str,
    surgeon: User,
    room: str,
    scheduled_start: datetime.datetime,
    source_appointment_id: str | None = None,
    context: RequestContext = NO_CONTEXT,
) -> Case:
    """Schedule a case and snapshot the steps of its procedure's published version (per side
    for a bilateral case); the case names that version. A draft is never used.
    ``source_appointment_id`` is the appointment's id in the scheduling system, for a case
    imported from the theatre list (one case per appointment)."""
    require_permission(actor, "checklists.add_case", "Your role cannot schedule cases.")
    patient_mrn, room = patient_mrn.strip(), room.strip()
    patient_name = normalise_identity(patient_name)
    if not (patient_mrn and patient_name and room):
        raise RuleViolation("MRN, patient name and room are all needed to schedule a case.")
    for label, text, field in (
        ("MRN", patient_mrn, "patient_mrn"),
        ("Patient name", patient_name, "patient_name"),
        ("Room", room, "room"),
    ):
        check_text(text, max_length(Case, field), what=label)
        for validate in cast(Field, Case._meta.get_field(field)).validators:  # the form's too
            try:
                validate(text)
            except ValidationError as error:
                raise field_error(error, label) from None
    try:
        validate_birth_date(patient_birth_date)
    except ValidationError as error:
        raise RuleViolation(error.messages[0]) from None
    if laterality not in Laterality.values:
        raise RuleViolation("Choose the side: left, right, bilateral or no side.")
    if not procedure.active:
        raise RuleViolation(f"{procedure.title} is no longer offered; choose an active procedure.")
    version = procedure.published_version()
    if version is None:
        raise RuleViolation(
            f"{procedure.title} has no published version yet: an administrator publishes it first."
        )
    if laterality == Laterality.NONE and version.asks_for_side():
        raise RuleViolation(
            f"{procedure.title} is done on a side (its steps ask for it): choose left, right "
            "or bilateral."
        )
    _check_room(room)
    if source_appointment_id is not None:
        source_appointment_id = source_appointment_id.strip()
        check_text(
            source_appointment_id,
            max_length(Case, "source_appointment_id"),
            what="The appointment id",
        )
        if not source_appointment_id:
            raise RuleViolation("The appointment id is empty.")
        if Case.objects.filter(source_appointment_id=source_appointment_id).exists():
            raise RuleViolation("A case was already scheduled from this appointment.")
    _check_surgeon(surgeon)

    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.create(
            patient_mrn=patient_mrn,
            patient_name=patient_name,
            patient_birth_date=patient_birth_date,
            procedure=procedure,
            procedure_version=version,
            laterality=laterality,
            surgeon=surgeon,
            room=room,
            scheduled_start=scheduled_start,
            source_appointment_id=source_appointment_id,
            created_by=actor,
            created_at=now,
        )
        steps = CaseStep.objects.bulk_create(snapshot_steps(case, version))
        after = payloads.case_created(
            procedure_id=procedure.pk,
            laterality=laterality,
            surgeon_id=surgeon.pk,
            room=room,
            scheduled_start=scheduled_start,
            steps=len(steps),
            identity=case.identity_seal(key_id=audit_key_id()),
        )
        append_event(
            case, actor=actor, action=AuditAction.CASE_CREATED, after=after, context=context
        )
    return case


def reschedule_case(
    *,
    actor: User,
    case_id: int,
    room: str,
    scheduled_start: datetime.datetime,
    context: RequestContext = NO_CONTEXT,
) -> Case:
    """Move a case not yet started to another time or room, as the day's theatre list now
    says. A case whose first step is recorded stays where the team is; the same time and
    room again changes nothing."""
    require_permission(actor, "checklists.add_case", "Your role cannot schedule cases.")
    room = room.strip()
    check_text(room, max_length(Case, "room"), what="Room")
    with transaction.atomic():
        case = lock_case(case_id)
        if (case.room, case.scheduled_start) == (room, scheduled_start):
            return case
        if case.status != CaseStatus.SCHEDULED:
            if not case.is_open:
                raise CaseLocked(locked_message(case))
            raise RuleViolation(
                "This case has started: its time and room no longer change from the list."
            )
        if room != case.room:
            _check_room(room)
        before = payloads.scheduling(room=case.room, scheduled_start=case.scheduled_start)
        case.room, case.scheduled_start = room, scheduled_start
        append_event(
            case,
            actor=actor,
            action=AuditAction.CASE_RESCHEDULED,
            before=before,
            after=payloads.scheduling(room=room, scheduled_start=scheduled_start),
            context=context,
            case_fields=["room", "scheduled_start"],
        )
    return case


def change_surgeon(
    *,
    actor: User,
    case_id: int,
    surgeon: User,
    reason: str,
    seen_surgeon_id: int | None = None,
    context: RequestContext = NO_CONTEXT,
) -> Case:
    """Hand an open case to another surgeon, with why. A Time Out done, or in progress, with the
    surgeon before no longer holds (``time_out.invalidate_time_outs``): the new surgeon repeats
    it with the team before the next procedure step. The same surgeon again changes nothing.

    ``seen_surgeon_id`` is the surgeon the person saw on the case when asking (the page's form
    carries it): if someone else changed the surgeon since, the change is refused as a
    conflict, never applied over theirs. A step ticked meanwhile is no reason to refuse: only
    the surgeon is compared, not the case's version."""
    require_permission(actor, "checklists.add_case", "Your role cannot change a case's surgeon.")
    reason = required_reason(
        reason,
        missing="Say why the surgeon changes.",
        limit=SURGEON_CHANGE_REASON_LENGTH,
    )
    _check_surgeon(surgeon)
    with transaction.atomic():
        case = lock_case(case_id)
        if not case.is_open:
            raise CaseLocked(locked_message(case))
        if case.surgeon_id == surgeon.pk:
            return case
        if seen_surgeon_id is not None and case.surgeon_id != seen_surgeon_id:
            raise _surgeon_changed(case)
        now = timezone.now()
        before = payloads.surgeon_state(surgeon=case.surgeon_id)
        case.surgeon = surgeon
        append_event(
            case,
            actor=actor,
            action=AuditAction.SURGEON_CHANGED,
            before=before,
            after=payloads.surgeon_changed(surgeon=surgeon.pk, reason=reason),
            context=context,
            case_fields=["surgeon"],
            now=now,
        )
        invalidate_time_outs(
            case, actor=actor, reason=f"the surgeon changed: {reason}", now=now, context=context
        )
    return case


def _surgeon_changed(case: Case) -> SurgeonChanged:
    last = (
        case.audit_events.filter(action=AuditAction.SURGEON_CHANGED)
        .select_related("actor")
        .order_by("-seq")
        .first()
    )
    who = display_name(last.actor) if last else "someone"
    when = timezone.localtime(last.created_at).strftime("%H:%M") if last else "just now"
    current = display_name(User.objects.get(pk=case.surgeon_id))
    return SurgeonChanged(
        f"{who} made {current} the surgeon at {when} while you were looking at the case. "
        "Your change was not saved; the case's surgeon now is shown."
    )


def _check_surgeon(surgeon: User) -> None:
    if not (surgeon.is_active and surgeon.groups.filter(name=roles.SURGEON).exists()):
        raise RuleViolation("The case's surgeon must be an active member of the Surgeon role.")


def _check_room(room: str) -> None:
    if not Room.objects.filter(name=room, active=True).exists():
        raise RuleViolation(f"“{room}” is not a room in use: choose one of the rooms offered.")


def snapshot_steps(case: Case, version: ProcedureVersion) -> list[CaseStep]:
    """The version's steps as this case's, unsaved (see ``snapshot_of``): one query."""
    return snapshot_of(case, list(version.steps.order_by("position")))


def snapshot_of(case: Case, template: list[Step]) -> list[CaseStep]:
    """Copy the template steps (in position order) for the case's sides, unsaved: a run of
    per-side steps is repeated once per side, left side first. Pure: reads only
    ``case.laterality`` and the steps given, so the bulk generator snapshots with it too."""
    sides = case.sides()
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
    "gates_later_phases",
    "role",
    "kind",
    "unit",
    "min_value",
    "max_value",
    "options",
    "expected_answer",
    "details_required_for",
    "default_value",
    "milestone",
)


def mark_reviewed(
    *,
    actor: User,
    case_id: int,
    comment: str = "",
    context: RequestContext = NO_CONTEXT,
) -> Case:
    """A reviewer files a completed case. Reviewing it again changes nothing."""
    require_permission(actor, "checklists.review_case", "Only a reviewer can mark a case reviewed.")
    comment = comment.strip()
    check_text(comment, max_length(Case, "review_comment"), what="The comment")
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status == CaseStatus.REVIEWED:
            return case
        if case.status != CaseStatus.COMPLETED:
            raise RuleViolation("Only a signed-out case can be reviewed.")
        now = timezone.now()
        case.status, case.reviewed_at, case.reviewed_by = CaseStatus.REVIEWED, now, actor
        case.review_comment = comment
        append_event(
            case,
            actor=actor,
            action=AuditAction.REVIEWED,
            after=payloads.reviewed(comment=comment),
            context=context,
            case_fields=["status", "reviewed_at", "reviewed_by", "review_comment"],
            now=now,
        )
    return case


def cancel(
    *,
    actor: User,
    case_id: int,
    reason: str,
    context: RequestContext = NO_CONTEXT,
) -> Case:
    """Cancel a scheduled or in-progress case, with a reason. Cancelling again changes nothing."""
    require_permission(actor, "checklists.cancel_case", "Your role cannot cancel cases.")
    reason = required_reason(
        reason,
        missing="Give a reason for cancelling the case.",
        limit=max_length(Case, "cancel_reason"),
    )
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status == CaseStatus.CANCELLED:
            return case
        if not case.is_open:
            raise CaseLocked(locked_message(case))
        now = timezone.now()
        before = payloads.case_status(status=case.status)
        case.status, case.cancelled_at, case.cancel_reason = CaseStatus.CANCELLED, now, reason
        set_compliance(case)
        append_event(
            case,
            actor=actor,
            action=AuditAction.CANCELLED,
            before=before,
            after=payloads.cancelled(status=case.status, reason=reason),
            context=context,
            case_fields=["status", "cancelled_at", "cancel_reason", *compliance.CASE_FIELDS],
            now=now,
        )
        quality.store_closing_case(case)
        summary.count_closed_cases(Case.objects.filter(pk=case.pk), cancelled=True)
    return case
