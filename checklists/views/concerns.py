"""A Stop called by anyone in the room, and its resolution: a form each on the checklist page,
posted and answered with the page again (a rare, loud event: every tablet redraws it anyway)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.context import request_context
from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import requires
from checklists import selectors, workflow
from checklists.errors import WorkflowError
from checklists.forms import ConcernForm, ConcernResolvedForm


@requires("checklists.record_step")
@require_POST
def concern_raise(request: AuthenticatedHttpRequest, case_id: int) -> HttpResponse:
    case = selectors.get_case(case_id=case_id)
    form = ConcernForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(map(str, form.errors["reason"])))
        return redirect("case-detail", case_id=case.pk)
    try:
        workflow.raise_concern(
            actor=request.user,
            case_id=case.pk,
            reason=form.cleaned_data["reason"],
            context=request_context(request),
        )
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.warning(request, "Stop called. Procedure steps wait until it is resolved.")
    return redirect("case-detail", case_id=case.pk)


@requires("checklists.record_step")
@require_POST
def concern_resolve(
    request: AuthenticatedHttpRequest, case_id: int, concern_id: int
) -> HttpResponse:
    case = selectors.get_case(case_id=case_id)
    form = ConcernResolvedForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(map(str, form.errors["resolution"])))
        return redirect("case-detail", case_id=case.pk)
    try:
        workflow.resolve_concern(
            actor=request.user,
            case_id=case.pk,
            concern_id=concern_id,
            resolution=form.cleaned_data["resolution"],
            context=request_context(request),
        )
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The Stop is resolved.")
    return redirect("case-detail", case_id=case.pk)
