"""Sides must agree: the side the team sees against the case's side.

Where the side is confirmed (the consent, the skin mark, the images), the template's step is a
side step (``StepKind.SIDE``): the person taps the side they see, left, right or both, and
nothing is filled in from the case, so that a wrong booking, a wrong consent or a wrong mark
shows as a difference instead of being ticked through. The side expected is the case's side
("both" for a bilateral case), or the step's own side on a per-side step of a bilateral case.
An implant is logged on a side too; an implant on a side the case does not have disagrees as
well.

A side seen that is not the case's side raises a ``SideDisagreement``, in the same transaction
as the answer or the implant (which is kept as it was given: the record shows what was seen).
While one stands the whole case is held: ``check_sides_agree`` refuses every step, every
implant change, a Stop's override and the sign-out; calling a Stop (``concerns``) and
cancelling the case stay possible. Only a surgeon resolves it, with a reason.

The resolution never changes the case's side. If the booking itself was wrong, the case is
cancelled with that reason and scheduled again on the right side: its steps per side, its
implants and its consent all hang on the side, and rewriting them under a running checklist
would hide the very error the check caught. If the answer was a slip, the surgeon resolves
with that reason and the step is then put back to pending and answered again (a side seen
that still disagrees raises a new one).
"""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.context import NO_CONTEXT, RequestContext
from checklists import payloads
from checklists.choices import AuditAction, Laterality, StepStatus
from checklists.errors import CaseLocked, NotFound, SidesDisagree
from checklists.models import Case, CaseStep, Implant, SideDisagreement, max_length
from checklists.selectors import in_order
from checklists.workflow.chain import append_event
from checklists.workflow.common import (
    lock_case,
    locked_message,
    require_permission,
    required_reason,
)
from procedures.choices import StepKind
from procedures.models import BOTH

NOT_RESOLVED = "Only the surgeon resolves it, with a reason; everything else waits."


def side_expected(case: Case, step: CaseStep) -> str:
    """The side a side step must show: its own on a per-side step, else the case's side,
    "both" on a bilateral case."""
    if step.side:
        return step.side
    return BOTH if case.laterality == Laterality.BILATERAL else case.laterality


def open_disagreement(case: Case) -> SideDisagreement | None:
    """The oldest side disagreement of ``case`` still standing, if any (one query; every
    change to a case asks, and there is none as a rule)."""
    standing = in_order(case.side_disagreements.filter(resolved_at__isnull=True), "raised_at", "pk")
    return standing[0] if standing else None


def check_sides_agree(case: Case) -> None:
    """Refuse any change while a side disagreement stands: the whole case waits for the
    surgeon. Called by every change that moves the operation on (steps, implants, a Stop's
    override, the sign-out); the case row is locked."""
    standing = open_disagreement(case)
    if standing is not None:
        raise SidesDisagree(f"The sides disagree: {standing.summary}. {NOT_RESOLVED}")


def disagree_with_step(
    case: Case, step: CaseStep, *, actor: User, context: RequestContext
) -> SideDisagreement | None:
    """After ``step`` was answered: a side step done with a side that is not the one expected
    raises a disagreement, with its audit event (the answer's own event comes first)."""
    if step.kind != StepKind.SIDE or step.status != StepStatus.DONE:
        return None
    if step.value == side_expected(case, step):
        return None
    return _raise(
        case,
        step=step,
        implant=None,
        place=step.label,
        seen=step.value,
        actor=actor,
        context=context,
    )


def disagree_with_implant(
    case: Case, implant: Implant, *, actor: User, context: RequestContext
) -> SideDisagreement | None:
    """After ``implant`` was logged: an implant on a side the case does not have raises a
    disagreement, with its audit event (the implant's own event comes first)."""
    if implant.side in case.sides():
        return None
    place = f"Implant {implant.position} ({implant.product or implant.gtin})"
    return _raise(
        case,
        step=None,
        implant=implant,
        place=place,
        seen=implant.side,
        actor=actor,
        context=context,
    )


def _raise(
    case: Case,
    *,
    step: CaseStep | None,
    implant: Implant | None,
    place: str,
    seen: str,
    actor: User,
    context: RequestContext,
) -> SideDisagreement:
    disagreement = SideDisagreement.objects.create(
        case=case,
        step=step,
        implant=implant,
        place=place[: max_length(SideDisagreement, "place")],
        side_seen=seen,
        case_side=case.laterality,
        raised_by=actor,
        raised_at=timezone.now(),
    )
    append_event(
        case,
        actor=actor,
        action=AuditAction.SIDE_DISAGREEMENT_RAISED,
        step=step,
        after=payloads.side_disagreement_raised(
            disagreement=disagreement.pk,
            place=disagreement.place,
            side_seen=seen,
            case_side=case.laterality,
            implant=implant.pk if implant else None,
        ),
        context=context,
        now=disagreement.raised_at,
    )
    return disagreement


def resolve_side_disagreement(
    *,
    actor: User,
    case_id: int,
    disagreement_id: int,
    resolution: str,
    context: RequestContext = NO_CONTEXT,
) -> SideDisagreement:
    """A surgeon resolves a side disagreement, with the reason the case may go on (what was
    checked, what was wrong). Resolving one already resolved changes nothing (a double tap, a
    second tablet): it is returned as it is. The case's side is not changed here: see the
    module's note."""
    require_permission(
        actor, "checklists.sign_case", "Only a surgeon can resolve a side disagreement."
    )
    resolution = required_reason(
        resolution,
        missing="Say why the case may go on: what was checked, and which side is right.",
        limit=max_length(SideDisagreement, "resolution"),
    )
    with transaction.atomic():
        case = lock_case(case_id)
        if case.is_locked:
            raise CaseLocked(locked_message(case))
        disagreement = case.side_disagreements.filter(pk=disagreement_id).first()
        if disagreement is None:
            raise NotFound("That side disagreement is not part of this case. Reload the page.")
        if not disagreement.is_open:
            return disagreement
        disagreement.resolution, disagreement.resolved_by = resolution, actor
        disagreement.resolved_at = timezone.now()
        disagreement.save(update_fields=["resolution", "resolved_by", "resolved_at"])
        append_event(
            case,
            actor=actor,
            action=AuditAction.SIDE_DISAGREEMENT_RESOLVED,
            after=payloads.side_disagreement_resolved(
                disagreement=disagreement.pk, resolution=resolution
            ),
            context=context,
            now=disagreement.resolved_at,
        )
    return disagreement
