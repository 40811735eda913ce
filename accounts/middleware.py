"""Session limits for shared tablets (HIPAA §164.312(a)(2)(iii), automatic logoff).

A session ends after ``SESSION_IDLE_TIMEOUT`` seconds without activity, and after
``SESSION_ABSOLUTE_TIMEOUT`` seconds whatever happens. Activity is a deliberate request (a tap
that reaches the server) or the page's heartbeat (``@counts_activity``), which the page sends
while the person taps, types or scrolls without saving anything; a poll (``@passive``) is not
activity. A tablet whose session ended goes back to the switch screen (``/switch/``), which
returns to the page it left once someone signs in.

The page counts down the session's last seconds itself (static/js/idle.js), from what
``idle_limits`` tells it; the server stays the authority: it ends the session whatever the page
believes, and the page leaves for the switch screen when the server says the session is over.
"""

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

LAST_ACTIVITY = "last_activity"
SIGNED_IN_AT = "signed_in_at"
# Writing the session on every tap would cost a database write per request; a minute is plenty.
ACTIVITY_RESOLUTION = 60
# The countdown before an idle logoff: the last minute.
COUNTDOWN = 60


def activity_resolution() -> int:
    """Seconds between two records of activity: a minute, or a quarter of a short idle period
    (at a one-minute setting, a tap 50 s after the last recorded one must still count)."""
    return max(1, min(ACTIVITY_RESOLUTION, settings.SESSION_IDLE_TIMEOUT // 4))


def countdown_seconds() -> int:
    """How long before an idle logoff the page says so: the last minute, or the second half of a
    short idle period."""
    return max(1, min(COUNTDOWN, settings.SESSION_IDLE_TIMEOUT // 2))


def idle_seconds_left(request: HttpRequest) -> float:
    """Seconds until ``SessionTimeoutMiddleware`` ends this session for want of activity."""
    now = time.time()
    return request.session.get(LAST_ACTIVITY, now) + settings.SESSION_IDLE_TIMEOUT - now


def idle_limits(request: HttpRequest) -> dict[str, int]:
    """What the page needs to count down the session's last seconds and keep it alive."""
    return {
        "idle_seconds": settings.SESSION_IDLE_TIMEOUT,
        "idle_ms_left": max(0, int(idle_seconds_left(request) * 1000)),
        "heartbeat_seconds": activity_resolution(),
        "countdown_seconds": countdown_seconds(),
    }


def passive(view: Callable) -> Callable:
    """Mark a view whose requests come from a timer (polling), not from a person: they do not
    keep the session alive."""
    view.passive_request = True  # type: ignore[attr-defined]  # a marker on the function
    return view


def counts_activity(view: Callable) -> Callable:
    """Mark a view whose every request is the person's activity (the page's heartbeat): it is
    recorded whatever ``activity_resolution`` says, since the page already sends it at most
    that often, and the page's countdown starts again from it."""
    view.counts_activity = True  # type: ignore[attr-defined]  # a marker on the function
    return view


def switch_screen(request: HttpRequest) -> str:
    """The switch screen's URL, asking it to come back to the page the tablet was showing."""
    back = request.headers.get("HX-Current-URL") if getattr(request, "htmx", False) else None
    path = urlsplit(back).path if back else request.get_full_path()
    if request.method != "GET" and not back:
        path = urlsplit(request.headers.get("Referer", "")).path or "/"
    return f"{reverse('switch-user')}?{urlencode({'next': path})}"


def redirect_to_switch(request: HttpRequest) -> HttpResponse:
    url = switch_screen(request)
    if getattr(request, "htmx", False):
        # htmx would otherwise follow a redirect inside the row it is updating.
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return HttpResponseRedirect(url)


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not request.user.is_authenticated:
            return None
        # Fractions of a second too: the page counts the last seconds down from these.
        now = time.time()
        session = request.session
        signed_in_at = session.setdefault(SIGNED_IN_AT, now)
        last = session.get(LAST_ACTIVITY, now)
        idle = now - last > settings.SESSION_IDLE_TIMEOUT
        too_long = now - signed_in_at > settings.SESSION_ABSOLUTE_TIMEOUT
        if idle or too_long:
            logout(request)
            messages.info(
                request,
                "You were signed out after a period without activity."
                if idle
                else "Your session reached its time limit. Please sign in again.",
            )
            # A public page (the switch screen, the login) goes on, for nobody: its form may be
            # the next person signing in, and must not be swallowed by a redirect.
            if getattr(view, "login_required", True) is False:
                return None
            return redirect_to_switch(request)
        deliberate = not getattr(view, "passive_request", False)
        due = deliberate and now - last >= activity_resolution()
        if LAST_ACTIVITY not in session or due or getattr(view, "counts_activity", False):
            session[LAST_ACTIVITY] = now
        return None


class TabletLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's deny-by-default login check, sending htmx requests to the switch screen whole."""

    # The stubs narrow the answer to the redirect the base class builds; Django returns whatever
    # this gives, and an htmx request gets a 204 with HX-Redirect instead.
    def handle_no_permission(  # type: ignore[override]
        self, request: HttpRequest, view_func: Callable
    ) -> HttpResponse:
        if getattr(request, "htmx", False):
            return redirect_to_switch(request)
        return super().handle_no_permission(request, view_func)
