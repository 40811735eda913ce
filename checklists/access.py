"""Writing the access log: one entry for each view of a patient's name or MRN.

Every page, export and admin page that shows a patient's identity calls ``log_view`` (or
``log_access``, where there is no request) once per view, so "who saw this case" has one answer.
Reading a record is not a change to it, so this is not workflow: it writes no audit event.
"""

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone

from accounts.context import NO_CONTEXT, RequestContext, request_context
from accounts.models import EnrolledDevice
from checklists.choices import AccessAction
from checklists.models import RecordAccess


def log_access(
    *,
    user: User,
    action: AccessAction,
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


def log_view(request: HttpRequest, *, action: AccessAction, case_id: int) -> RecordAccess:
    """The signed-in person saw case ``case_id``'s patient identity on this request's page."""
    user = request.user
    assert isinstance(user, User), "only a signed-in person sees a patient's identity"
    return log_access(user=user, action=action, case_id=case_id, context=request_context(request))


def log_display(device: EnrolledDevice, *, case_id: int) -> RecordAccess:
    """A room's wall display showed case ``case_id``'s patient identity to the room."""
    return RecordAccess.objects.create(
        device=device, case_id=case_id, action=AccessAction.WALL_DISPLAY, at=timezone.now()
    )
