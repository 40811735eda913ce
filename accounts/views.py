"""Signing in on a shared tablet: the quick user switch by PIN, and enrolling the tablets whose
switch screen lists names; one's own PIN and password."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import devices, handover, pins
from accounts.choices import DeviceKind
from accounts.context import client_ip
from accounts.errors import InvalidPin, PinRefused
from accounts.forms import DeviceEnrolForm, OwnPasswordChangeForm, PinForm, SwitchUserForm
from accounts.http import AuthenticatedHttpRequest
from accounts.middleware import counts_activity, passive
from accounts.permissions import requires, signed_in


@login_not_required
@passive  # looking at the lock screen must not keep the previous person's session alive
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def switch_user(request: HttpRequest) -> HttpResponse:
    """The shared tablet's lock screen: the next person signs in with their PIN, choosing their
    name on an enrolled tablet, typing their username anywhere else."""
    next_url = _next_path(request)
    tablet = devices.enrolled_device(request, kind=DeviceKind.SWITCH_TABLET)
    form = SwitchUserForm(
        request.POST if request.method == "POST" else None,
        listing=bool(tablet),
        # Whoever handed the tablet over, to take it back (names only on an enrolled tablet).
        initial={"person": request.GET.get("back_to")} if tablet else None,
    )
    status = 200
    if form.is_valid():
        try:
            person = _pin_holder(request, form)
        except PinRefused as refused:
            form.add_error("pin", refused.message)
            status = 403
        else:
            previous = request.user if request.user.is_authenticated else None
            login(request, person, backend="accounts.backends.RoleBackend")
            handover.switched_in(request, previous=previous)
            return redirect(next_url or "home")
    elif form.is_bound:
        status = 400
    context = {"form": form, "next": next_url, "tablet": tablet}
    response = render(request, "registration/switch_user.html", context, status=status)
    if tablet is not None:
        devices.renew(request, response)
    return response


@signed_in  # one's own session
@counts_activity
@require_POST  # a GET could be sent by anything (a prefetch, an image): only the page's script
def heartbeat(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The page saying that the person is still at it (tapping, typing, scrolling) without
    sending anything: the middleware records the activity, so the session stays open. CSRF
    applies as to any POST. A session already over is answered by the middleware instead
    (the switch screen), so the page knows to leave, keeping its drafts."""
    return HttpResponse(status=204)


def _next_path(request: HttpRequest) -> str:
    """Where the switch screen returns: only a path on this site (the page the tablet showed)."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure())
    return next_url if safe and next_url.startswith("/") else ""


def _pin_holder(request: HttpRequest, form: SwitchUserForm) -> User:
    pin, remote_addr = form.cleaned_data["pin"], client_ip(request)
    if form.listing:
        person = form.cleaned_data["person"]
        pins.check_pin(user=person, pin=pin, remote_addr=remote_addr)
        return person
    username = form.cleaned_data["username"]
    return pins.check_pin_by_username(username=username, pin=pin, remote_addr=remote_addr)


@signed_in  # one's own PIN
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def my_pin(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set one's own PIN for the quick user switch (the password proves it is really you)."""
    form = PinForm(request.POST if request.method == "POST" else None, request=request)
    if form.is_valid():
        try:
            pins.set_pin(user=request.user, pin=form.cleaned_data["pin"])
        except InvalidPin as refused:
            form.add_error("pin", refused.message)
        else:
            messages.success(request, "Your PIN is set. Use it with “Switch user” on a tablet.")
            return redirect("home")
    status = 400 if form.is_bound else 200
    return render(request, "registration/pin.html", {"form": form}, status=status)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password: Django's view (the validators; this session kept, the
    person's other sessions ended), the old password counted by django-axes if wrong."""

    form_class = OwnPasswordChangeForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("home")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form: OwnPasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password is changed.")
        return response

    def form_invalid(self, form: OwnPasswordChangeForm) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


@requires("accounts.add_enrolleddevice")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def enrol_device(request: AuthenticatedHttpRequest) -> HttpResponse:
    """An administrator, on the tablet itself, enrols it: this browser's switch screen will list
    the names of the people who may take it over."""
    current = devices.enrolled_device(request, kind=DeviceKind.SWITCH_TABLET)
    form = DeviceEnrolForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        device, token = devices.enrol(
            name=form.cleaned_data["name"],
            kind=DeviceKind.SWITCH_TABLET,
            by=request.user,
            room=form.cleaned_data["room"],
            replacing=current,
        )
        messages.success(request, f"This browser is now enrolled as “{device.name}”.")
        response = redirect("device-enrol")
        devices.remember(response, token)
        return response
    status = 400 if form.is_bound else 200
    context = {"form": form, "current": current}
    return render(request, "registration/enrol_device.html", context, status=status)
