"""A Stop called by anyone in the room, and its resolution: a form each on the checklist page,
posted and answered with the page again (a rare, loud event: every tablet redraws it anyway)."""

from django.contrib import messages
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from accounts.context import request_context
from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import requires
from checklists import workflow
from checklists.forms import ConcernForm, ConcernResolvedForm
from checklists.views.common import change_and_go_back


@requires("checklists.record_step")
@require_POST
def concern_raise(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    return change_and_go_back(
        request,
        case_id,
        ConcernForm(request.POST),
        change=lambda data: workflow.raise_concern(
            actor=request.user,
            case_id=case_id,
            reason=data["reason"],
            context=request_context(request),
        ),
        done="Stop called. Procedure steps wait until it is resolved.",
        level=messages.WARNING,
    )


@requires("checklists.record_step")
@require_POST
def concern_resolve(
    request: AuthenticatedHttpRequest, case_id: int, concern_id: int
) -> HttpResponse:
    return change_and_go_back(
        request,
        case_id,
        ConcernResolvedForm(request.POST),
        change=lambda data: workflow.resolve_concern(
            actor=request.user,
            case_id=case_id,
            concern_id=concern_id,
            resolution=data["resolution"],
            context=request_context(request),
        ),
        done="The Stop is resolved.",
    )
