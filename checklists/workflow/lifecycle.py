"""An implant's lifecycle after it is logged: read back aloud before it is opened, then
opened but not implanted (wasted), or implanted and perhaps explanted later.

The read-back (NatSSIPs: confirm type, size, side and expiry before opening) is the team's:
the tablet shows the scanned implant's card in large type, the scrub and the surgeon read it
aloud, and one tap records who confirmed it and when. Until then the implant is logged but not
counted as placed: its side's implant step cannot be ticked, nor the case signed out.

Wasting happens in the case, while it is open: the implant stays on the log, marked, and the
surgeon's signature covers it as it covers the rest of the log. An explant happens at a later
operation, usually after the case is signed. It is not an amendment: the signed record was
right (the device was implanted), so no new signature is asked and the case is not marked
amended; the explant is a fact of its own, with its day and reason, kept in its own audit
event (which the hash chain protects) and beside the implant, outside what signatures cover.
"""

import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.context import NO_CONTEXT, RequestContext
from checklists import payloads
from checklists.choices import SIGNED_STATUSES, AuditAction
from checklists.errors import CaseLocked, NotFound, RuleViolation
from checklists.models import Case, Implant, max_length
from checklists.workflow.chain import append_event
from checklists.workflow.common import (
    lock_case,
    locked_message,
    require_permission,
    required_reason,
)
from checklists.workflow.implants import check_not_the_last_placed
from checklists.workflow.sides import check_sides_agree

WASTED_REASON_LENGTH = max_length(Implant, "wasted_reason")
EXPLANT_REASON_LENGTH = max_length(Implant, "explant_reason")
SIGNED = SIGNED_STATUSES


def confirm_read_back(
    *,
    actor: User,
    case_id: int,
    implant_id: int,
    context: RequestContext = NO_CONTEXT,
) -> Implant:
    """Record that the team read a logged implant's card aloud before opening it. A second
    confirmation (a double tap) changes nothing and is not an error: the first one stands."""
    require_permission(actor, "checklists.record_step", "Your role cannot change the implant log.")
    with transaction.atomic():
        case = lock_case(case_id)
        if case.is_locked:
            raise CaseLocked(locked_message(case))
        check_sides_agree(case)
        implant = _implant_of(case, implant_id)
        if implant.read_back_at is not None:
            return implant
        if implant.wasted_reason:
            raise RuleViolation("This implant is recorded as opened, not implanted.")
        now = timezone.now()
        implant.read_back_by, implant.read_back_at = actor, now
        implant.save(update_fields=["read_back_by", "read_back_at"])
        append_event(
            case,
            actor=actor,
            action=AuditAction.IMPLANT_READ_BACK,
            after=payloads.implant_read_back(implant),
            context=context,
            now=now,
        )
    return implant


def waste_implant(
    *,
    actor: User,
    case_id: int,
    implant_id: int,
    reason: str,
    context: RequestContext = NO_CONTEXT,
) -> Implant:
    """Mark a logged implant opened but not implanted (dropped, the wrong size opened), with
    why. It stays on the log for the count of waste; the duplicate check no longer counts it
    as implanted. Only while the case is open."""
    require_permission(actor, "checklists.record_step", "Your role cannot change the implant log.")
    reason = required_reason(
        reason,
        missing="Say why the implant was opened but not implanted.",
        limit=WASTED_REASON_LENGTH,
    )
    with transaction.atomic():
        case = lock_case(case_id)
        if case.is_locked:
            raise CaseLocked(locked_message(case))
        check_sides_agree(case)
        implant = _implant_of(case, implant_id)
        if implant.wasted_reason:
            raise RuleViolation("This implant is already recorded as opened, not implanted.")
        check_not_the_last_placed(case, implant)
        before = payloads.logged_implant(implant)
        implant.wasted_reason = reason
        implant.save(update_fields=["wasted_reason"])
        append_event(
            case,
            actor=actor,
            action=AuditAction.IMPLANT_WASTED,
            before=before,
            after=payloads.implant_wasted(implant_id=implant.pk, reason=reason),
            context=context,
        )
    return implant


def explant_implant(
    *,
    actor: User,
    case_id: int,
    implant_id: int,
    explanted_on: datetime.date,
    reason: str,
    context: RequestContext = NO_CONTEXT,
) -> Implant:
    """Record that an implant of a signed case was taken out at a later operation, on
    ``explanted_on``, and why: by a surgeon, no earlier than the case and not in the future."""
    require_permission(actor, "checklists.sign_case", "Only a surgeon can record an explant.")
    reason = required_reason(
        reason, missing="Say why the implant was explanted.", limit=EXPLANT_REASON_LENGTH
    )
    with transaction.atomic():
        case = lock_case(case_id)
        if case.status not in SIGNED:
            raise RuleViolation(
                "An explant is recorded on a signed-out case. In an open case, take the implant "
                "off the log or mark it opened, not implanted."
            )
        implant = _implant_of(case, implant_id)
        if implant.wasted_reason:
            raise RuleViolation(
                "This implant was opened but not implanted: it cannot be explanted."
            )
        if implant.explanted_on is not None:
            raise RuleViolation(
                f"This implant is already recorded as explanted on {implant.explanted_on:%d %b %Y}."
            )
        placed_on = timezone.localdate(case.scheduled_start)
        if not placed_on <= explanted_on <= timezone.localdate():
            raise RuleViolation(
                f"The explant's day must be between the case's ({placed_on:%d %b %Y}) and today."
            )
        before = payloads.logged_implant(implant)
        implant.explanted_on, implant.explant_reason = explanted_on, reason
        implant.save(update_fields=["explanted_on", "explant_reason"])
        append_event(
            case,
            actor=actor,
            action=AuditAction.IMPLANT_EXPLANTED,
            before=before,
            after=payloads.implant_explanted(
                implant_id=implant.pk, explanted_on=explanted_on, reason=reason
            ),
            context=context,
        )
    return implant


def _implant_of(case: Case, implant_id: int) -> Implant:
    implant = case.implants.filter(pk=implant_id).first()
    if implant is None:
        raise NotFound("That implant is not on this case's log.")
    return implant
