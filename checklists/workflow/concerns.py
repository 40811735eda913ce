"""A Stop called by anyone in the room (a ``Concern``), and its resolution.

Anyone recording on the case may call it, in a few words; while it stands, procedure steps are
refused (``steps.check_gates``), and the tablets and the wall display show it. A Stop called
after the Time Out began makes that Time Out stale (``time_out.invalidate_time_outs``): the team
repeats it once the Stop is resolved. Anyone recording on the case resolves it, with a note of
what was done. Each is one audit event; each Time Out made stale, one more.
"""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.context import NO_CONTEXT, RequestContext
from checklists import payloads
from checklists.choices import AuditAction
from checklists.errors import CaseLocked, NotFound
from checklists.models import Case, Concern, max_length
from checklists.workflow.chain import append_event
from checklists.workflow.common import (
    lock_case,
    locked_message,
    require_permission,
    required_reason,
)
from checklists.workflow.time_out import invalidate_time_outs


def raise_concern(
    *, actor: User, case_id: int, reason: str, context: RequestContext = NO_CONTEXT
) -> Concern:
    """Call a Stop on the case, with why. The same reason again while that Stop stands is the
    same call (a double tap): it is returned, not called twice."""
    require_permission(actor, "checklists.record_step", "Your role cannot call a Stop.")
    reason = required_reason(
        reason,
        missing="Say in a few words why you call the Stop.",
        limit=max_length(Concern, "reason"),
    )
    with transaction.atomic():
        case = _open_case(case_id)
        same = case.concerns.filter(resolved_at__isnull=True, reason=reason).first()
        if same is not None:
            return same
        concern = Concern.objects.create(
            case=case, reason=reason, raised_by=actor, raised_at=timezone.now()
        )
        append_event(
            case,
            actor=actor,
            action=AuditAction.CONCERN_RAISED,
            after=payloads.concern_raised(concern=concern.pk, reason=reason),
            context=context,
            now=concern.raised_at,
        )
        invalidate_time_outs(
            case,
            actor=actor,
            reason=f"a Stop was called: {reason}",
            now=concern.raised_at,
            context=context,
        )
    return concern


def resolve_concern(
    *,
    actor: User,
    case_id: int,
    concern_id: int,
    resolution: str,
    context: RequestContext = NO_CONTEXT,
) -> Concern:
    """Resolve a Stop, with a note of what was done. Resolving one already resolved changes
    nothing (a second tablet, a double tap): it is returned as it is."""
    require_permission(actor, "checklists.record_step", "Your role cannot resolve a Stop.")
    resolution = required_reason(
        resolution,
        missing="Say how the Stop was resolved.",
        limit=max_length(Concern, "resolution"),
    )
    with transaction.atomic():
        case = _open_case(case_id)
        concern = case.concerns.filter(pk=concern_id).first()
        if concern is None:
            raise NotFound("That Stop is not part of this case. Reload the page.")
        if not concern.is_open:
            return concern
        concern.resolution, concern.resolved_by = resolution, actor
        concern.resolved_at = timezone.now()
        concern.save(update_fields=["resolution", "resolved_by", "resolved_at"])
        append_event(
            case,
            actor=actor,
            action=AuditAction.CONCERN_RESOLVED,
            after=payloads.concern_resolved(concern=concern.pk, resolution=resolution),
            context=context,
            now=concern.resolved_at,
        )
    return concern


def _open_case(case_id: int) -> Case:
    case = lock_case(case_id)
    if case.is_locked:
        raise CaseLocked(locked_message(case))
    return case
