"""The debrief's actions: one added at Sign Out, one closed (at a later case's Sign In, or from
the reviewers' list); each posted and answered with a redirect back to the page it came from."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.context import request_context
from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import requires
from checklists import workflow
from checklists.errors import NotFound, WorkflowError
from checklists.forms import DebriefActionClosedForm, DebriefActionForm
from checklists.views.common import change_and_go_back


@requires("checklists.record_step")
@require_POST
def debrief_action_add(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    form = DebriefActionForm(request.POST)
    return change_and_go_back(
        request,
        case_id,
        form,
        change=lambda data: workflow.add_debrief_action(
            actor=request.user,
            case_id=case_id,
            what=data["what"],
            due=data["due"],
            **form.owned_by(),  # type: ignore[arg-type]  # owner or owner_role, as cleaned
            context=request_context(request),
        ),
        done="Debrief action added. It is shown at the next cases' Sign In until it is closed.",
    )


# OR staff close at a later case's Sign In, reviewers from their list: the workflow says who.
@requires("checklists.view_case")
@require_POST
def debrief_action_close(request: AuthenticatedHttpRequest, action_id: int) -> HttpResponse:
    form = DebriefActionClosedForm(request.POST)
    back = _page_it_came_from(request)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back or "home")
    try:
        action = workflow.close_debrief_action(
            actor=request.user,
            action_id=action_id,
            note=form.cleaned_data["note"],
            context=request_context(request),
        )
    except NotFound:
        raise Http404("There is no such debrief action.") from None
    except WorkflowError as error:
        messages.error(request, error.message)
        return redirect(back or "home")
    messages.success(request, "Debrief action closed.")
    return redirect(back or reverse("case-detail", args=[action.case_id]))


def _page_it_came_from(request: AuthenticatedHttpRequest) -> str:
    """The form's ``next``: a path on this site, else "" (never another site, nor a name
    ``redirect`` would take for a view)."""
    back = request.POST.get("next", "")
    local = back.startswith("/") and back.isprintable() and " " not in back
    allowed = {request.get_host()}
    if local and url_has_allowed_host_and_scheme(back, allowed, request.is_secure()):
        return back
    return ""
