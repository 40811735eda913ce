"""What the API writes to the access log: every answer that shows a patient's identity is one
entry, by the token's user, as a page's read is (``checklists.access``)."""

from rest_framework.request import Request

from accounts.context import request_context
from checklists.access import log_access
from checklists.choices import AccessAction


def logged_read(request: Request, case_id: int) -> None:
    """An answer with the patient's identity: one access-log entry, by the token's user."""
    log_access(
        user=request.user,
        action=AccessAction.API_READ,
        case_id=case_id,
        context=request_context(request),
    )
