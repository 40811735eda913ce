"""The case's audit chain: each change appends one event, hashed onto the one before it."""

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from accounts.context import NO_CONTEXT, RequestContext
from checklists.models import AuditEvent, Case, CaseStep


def append_event(
    case: Case,
    *,
    actor: User,
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
