"""Site-wide views: health check, error pages without internals."""

import sys

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from api import fhir_server, problems
from sitracker import database

# Under them, a URL no endpoint answers is refused as the API refuses: a problem document.
API_PREFIXES = ("/api/v1/", "/fhir/")
FHIR_PREFIX = "/fhir/"  # ... and under this one, as FHIR does: an OperationOutcome


@login_not_required
@never_cache
@require_safe  # monitors often ask with HEAD
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers a read and takes a write; else 503 naming what failed."""
    failed = database.failed_check()
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ok"})


def _error_page(request: HttpRequest | None, status: int, title: str, message: str) -> HttpResponse:
    if request is not None and request.path.startswith(FHIR_PREFIX):
        return fhir_server.outcome_response(status=status, detail=message)  # a FHIR client
    if request is not None and request.path.startswith(API_PREFIXES):
        return problems.plain_problem(status=status, detail=message)  # an integration, not a page
    # error_page: the page does not echo the requested URL anywhere (not even in a return link).
    context = {"status": status, "title": title, "message": message, "error_page": True}
    return render(request, "error.html", context, status=status)


@login_not_required
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 400, "Bad request", "The request could not be understood.")


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = "Your role does not allow this. Ask an administrator if you think it should."
    return _error_page(request, 403, "Not allowed", message)


@login_not_required
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = "There is no page here. It may have moved, or the link may be mistyped."
    return _error_page(request, 404, "Page not found", message)


@login_not_required
def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside the `except` that caught the error: a database outage met outside
    # a view (loading the session or the person, saving the session) gets the same 503 as one
    # met inside a view (sitracker.database.DatabaseUnavailableMiddleware).
    error = sys.exc_info()[1]
    if error is not None and (answer := database.unavailable(request, error)) is not None:
        return answer
    # Rendered without a request context: the failure may lie in what a context would need.
    # Whether the last change was saved is unknown here: say so, never that nothing was lost.
    message = (
        "Something went wrong on our side. Your last change may not have been saved: "
        "check the checklist before going on."
    )
    return _error_page(None, 500, "Server error", message)


@login_not_required
def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """django-axes' answer to a login refused for too many failures (AXES_LOCKOUT_CALLABLE)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = (
        f"Too many wrong passwords for this name from this device. Logging in is paused for "
        f"{minutes} minutes, even with the right password. Wait, or ask an administrator."
    )
    return _error_page(request, 429, "Too many attempts", message)


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    message = (
        "This form had expired or was opened in another session, so it was not sent. "
        "Reload the page and try again."
    )
    return _error_page(request, 403, "Form expired", message)
