"""Writing the access log. Reading a record is not a change to it, so this is not workflow."""

from django.contrib.auth.models import User
from django.utils import timezone

from accounts.context import NO_CONTEXT, RequestContext
from review.models import RecordAccess


def log_access(
    *,
    user: User,
    action: str,
    case_id: int | None = None,
    filters: str = "",
    context: RequestContext = NO_CONTEXT,
) -> RecordAccess:
    """Append one entry. ``filters`` must never hold patient identity (see review.filters)."""
    return RecordAccess.objects.create(
        user=user,
        case_id=case_id,
        action=action,
        at=timezone.now(),
        filters=filters,
        remote_addr=context.remote_addr,
        user_agent=context.user_agent[:300],
    )
