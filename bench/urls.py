"""The real URLconf plus two bare views, the yardstick of the load benchmarks, and the floor
of a step POST.

The bare views pass through the same middleware as every page (session, CSRF, login required,
session limits) and do nothing else, so "step POST / bare POST" measures the application's own
work. ``record_only`` is a step POST without its answer: the same permission check, form and
``checklists.views.record_step_from`` (``workflow.record_step``: its locked transaction and
audit event), then a few bytes instead of the row; what a step POST would cost if redrawing the
page were free. Served only under
``bench.settings``; never part of the production URLs.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from accounts.http import AuthenticatedHttpRequest
from accounts.permissions import requires
from checklists.errors import WorkflowError
from checklists.forms import StepUpdateForm
from checklists.views import record_step_from
from sitracker.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


@require_safe
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@require_POST
def bare_post(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@requires("checklists.record_step")
@require_POST
def record_only(request: AuthenticatedHttpRequest, case_id: int, step_id: int) -> HttpResponse:
    form = StepUpdateForm(request.POST)
    if not form.is_valid():
        return HttpResponse(form.problem(), status=400)
    try:
        step = record_step_from(request, case_id, step_id, form)
    except WorkflowError as refused:
        return HttpResponse(refused.message, status=refused.status_code)
    return HttpResponse(f"{step.status} {step.revision}")


urlpatterns = [
    path("bench/bare/", bare, name="bench-bare"),
    path("bench/bare-post/", bare_post, name="bench-bare-post"),
    path("bench/record/<int:case_id>/<int:step_id>/", record_only, name="bench-record"),
    *urlpatterns,
]
