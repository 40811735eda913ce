"""A side disagreement resolved by the surgeon: a form in the red banner of the checklist page,
posted and answered with the page again (every tablet redraws the whole page for it anyway)."""

from django.http import HttpResponse
from django.views.decorators.http import require_POST

from accounts.context import request_context
from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import requires
from checklists import workflow
from checklists.forms import SideDisagreementResolvedForm
from checklists.views.common import change_and_go_back


@requires("checklists.sign_case")
@require_POST
def side_disagreement_resolve(
    request: AuthenticatedHttpRequest, case_id: int, disagreement_id: int
) -> HttpResponse:
    return change_and_go_back(
        request,
        case_id,
        SideDisagreementResolvedForm(request.POST),
        change=lambda data: workflow.resolve_side_disagreement(
            actor=request.user,
            case_id=case_id,
            disagreement_id=disagreement_id,
            resolution=data["resolution"],
            context=request_context(request),
        ),
        done="The side disagreement is resolved. The case goes on.",
    )
