"""Site-wide views: health check, error pages without internals, the tablet's user switch."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from checklists import pins
from checklists.errors import PinRefused, RuleViolation
from sitracker.forms import PinForm, SwitchUserForm
from sitracker.http import AuthenticatedHttpRequest
from sitracker.middleware import passive
from sitracker.network import client_ip
from sitracker.permissions import signed_in

logger = logging.getLogger(__name__)


@login_not_required
@never_cache
@require_safe  # monitors often ask with HEAD
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database does not answer")
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def _error_page(request: HttpRequest | None, status: int, title: str, message: str) -> HttpResponse:
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
    # Rendered without a request context: the failure may lie in what a context would need.
    message = "Something went wrong on our side. Nothing you entered was lost; please try again."
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


@login_not_required
@passive  # looking at the lock screen must not keep the previous person's session alive
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def switch_user(request: HttpRequest) -> HttpResponse:
    """The shared tablet's lock screen: the next person picks their name and enters their PIN."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path on this site: the switch screen returns to the page the tablet was showing.
    safe = url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure())
    if not (safe and next_url.startswith("/")):
        next_url = ""
    form = SwitchUserForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        person = form.cleaned_data["person"]
        try:
            pins.check_pin(
                user=person, pin=form.cleaned_data["pin"], remote_addr=client_ip(request)
            )
        except PinRefused as refused:
            form.add_error("pin", refused.message)
            status = 403
        else:
            login(request, person, backend="sitracker.backends.RoleBackend")
            return redirect(next_url or "home")
    elif form.is_bound:
        status = 400
    context = {"form": form, "next": next_url}
    return render(request, "registration/switch_user.html", context, status=status)


@signed_in  # one's own PIN
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def my_pin(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set one's own PIN for the quick user switch (the password proves it is really you)."""
    form = PinForm(request.POST if request.method == "POST" else None, request=request)
    if form.is_valid():
        try:
            pins.set_pin(user=request.user, pin=form.cleaned_data["pin"])
        except RuleViolation as refused:
            form.add_error("pin", refused.message)
        else:
            messages.success(request, "Your PIN is set. Use it with “Switch user” on a tablet.")
            return redirect("home")
    status = 400 if form.is_bound else 200
    return render(request, "registration/pin.html", {"form": form}, status=status)
