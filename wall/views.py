"""The wall display's pages. A display is a browser enrolled for one room (``accounts.devices``),
with nobody signed in: its pages need the display's token, not a login, and read nothing but its
room's case in progress. It writes nothing but the access log, where it shows a patient."""

import logging
from collections.abc import Callable
from functools import wraps

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from accounts import devices
from accounts.choices import DeviceKind
from accounts.errors import PairingRefused
from accounts.middleware import passive
from accounts.models import EnrolledDevice
from checklists import live_push
from checklists.access import log_display
from wall.forms import PairingForm
from wall.screen import Screen, current_case, screen_for, screen_key

logger = logging.getLogger(__name__)

DisplayView = Callable[[HttpRequest, int, EnrolledDevice], HttpResponse]


def wall_display(view: DisplayView) -> Callable[[HttpRequest, int], HttpResponse]:
    """A page for an enrolled wall display, of its own room only: 403 for any other browser
    (signed in or not) and for another room's page. A revoked display is refused at its next
    request, its poll included."""

    @login_not_required
    @never_cache
    @wraps(view)
    def checked(request: HttpRequest, room_id: int) -> HttpResponse:
        device, refused = _display_of(request, room_id)
        return refused or view(request, room_id, device)  # type: ignore[arg-type]

    return checked


def _display_of(
    request: HttpRequest, room_id: int
) -> tuple[EnrolledDevice | None, HttpResponse | None]:
    """The enrolled display of room ``room_id`` this browser is, or the answer refusing it."""
    device = devices.enrolled_device(request, kind=DeviceKind.WALL_DISPLAY)
    if device is None:
        return None, _refused(
            request,
            "This page is for a room's wall display. An administrator enrols one with a "
            "one-time code (admin: Display pairings), typed on the display at /display/.",
        )
    if device.room_id != room_id:
        return None, _refused(request, f"This display shows {device.room} only.")
    return device, None


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def pair(request: HttpRequest) -> HttpResponse:
    """Where a new display is enrolled, with the one-time code an administrator made; an
    enrolled display goes straight to its room."""
    enrolled = devices.enrolled_device(request, kind=DeviceKind.WALL_DISPLAY)
    if enrolled is not None and request.method != "POST":
        return redirect("wall-display", room_id=enrolled.room_id)
    form = PairingForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        try:
            device, token = devices.claim_pairing(form.cleaned_data["code"])
        except PairingRefused as refused:
            logger.warning("A wall display's one-time code was refused.")
            form.add_error("code", refused.message)
            status = 403
        else:
            response = redirect("wall-display", room_id=device.room_id)
            devices.remember(response, token)
            return response
    elif form.is_bound:
        status = 400
    return render(request, "wall/pair.html", {"form": form}, status=status)


@wall_display
@require_safe
def display(request: HttpRequest, room_id: int, device: EnrolledDevice) -> HttpResponse:
    assert device.room is not None  # a wall display has a room (a constraint says so)
    screen = screen_for(device.room)
    response = render(request, "wall/display.html", _shown(screen, device))
    devices.renew(request, response)
    return response


@wall_display
@require_safe
def display_live(request: HttpRequest, room_id: int, device: EnrolledDevice) -> HttpResponse:
    """The poll, every two seconds: 204 while the screen the display shows (``seen``) is still
    right, else the new screen."""
    assert device.room is not None
    case = current_case(device.room)
    if request.GET.get("seen") == screen_key(case):
        return HttpResponse(status=204)
    screen = Screen(room=device.room, case=case, now=timezone.now())
    return render(request, "wall/display.html#screen", _shown(screen, device))


@passive  # a screen listening, not a person
@login_not_required
@never_cache
@require_safe
async def display_events(request: HttpRequest, room_id: int) -> HttpResponseBase:
    """The room's live updates (``checklists.live_push``): "changed" whenever a case of the room
    changes, and the display asks for its screen (``display_live``, with its own checks)."""
    device, refused = await sync_to_async(_display_of)(request, room_id)
    if refused is not None or (refused := live_push.unserved(request)):
        return refused
    assert device is not None and device.room is not None  # a wall display has a room
    try:
        stream = await live_push.room_stream(device.room.name)
    except live_push.PushUnavailable:
        return live_push.unavailable()
    return live_push.event_stream(stream)


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    context = {"status": 403, "title": "Not a page for this browser", "message": message}
    return render(request, "error.html", context, status=403)


def _shown(screen: Screen, device: EnrolledDevice) -> dict[str, object]:
    """The template's context; a screen naming the patient is logged as a view of the case."""
    if screen.case is not None and screen.shows_identity:
        log_display(device, case_id=screen.case.pk)
    return {"screen": screen, "device": device}
