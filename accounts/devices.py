"""Devices an administrator enrolled: which browser is one, enrolling it, revoking it; and the
one-time codes that enrol a room's wall display.

An enrolled browser holds a long random token in a cookie that scripts cannot read (HttpOnly),
sent over HTTPS only in production (like the session cookie); the database keeps the token's
SHA-256. A token has 256 random bits, so a plain hash is enough: there is nothing to guess.
Enrolment and revocation each write an entry to the admin's log (the device's history there).
"""

import datetime
import hashlib
import re
import secrets

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.choices import DeviceKind
from accounts.errors import PairingRefused
from accounts.models import DisplayPairing, EnrolledDevice, Room

COOKIE = "sitracker_device"
# Browsers keep a cookie 400 days at most (Chromium caps it so); the switch screen renews it.
COOKIE_MAX_AGE = datetime.timedelta(days=400)


def enrolled_device(request: HttpRequest, *, kind: DeviceKind) -> EnrolledDevice | None:
    """The device of ``kind`` this browser was enrolled as, unless it was revoked."""
    token = request.COOKIES.get(COOKIE, "")
    if not token:
        return None
    devices = EnrolledDevice.objects.select_related("room")
    try:  # get, not first: the token is unique, and an ORDER BY costs a wall's every poll
        return devices.get(token_hash=_hash(token), kind=kind, revoked_at__isnull=True)
    except EnrolledDevice.DoesNotExist:
        return None


def enrol(
    *,
    name: str,
    kind: DeviceKind,
    by: User,
    room: Room | None = None,
    replacing: EnrolledDevice | None = None,
) -> tuple[EnrolledDevice, str]:
    """Enrol a device, returning it and the token its browser must keep (``remember``).

    ``replacing``: the device this browser was enrolled as until now, revoked in the same step,
    so that one browser is never two live devices.
    """
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        if replacing is not None and replacing.is_active:
            revoke(device=replacing, by=by, reason="Replaced: its browser was enrolled again.")
        device = EnrolledDevice.objects.create(
            name=name,
            kind=kind,
            room=room,
            token_hash=_hash(token),
            enrolled_by=by,
            enrolled_at=timezone.now(),
        )
        _log(device, by=by, action=ADDITION, message=f"Enrolled as “{name}”.")
    return device, token


# A wall display's one-time code: 8 characters that cannot be confused with one another (no
# 0/O, 1/I), 40 random bits, valid for a few minutes and once: far beyond guessing in that time.
PAIRING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PAIRING_LENGTH = 8
PAIRING_MINUTES = 10


def new_pairing(*, room: Room, name: str, by: User) -> tuple[DisplayPairing, str]:
    """A one-time code that enrols the display on which it is typed as ``room``'s wall display,
    named ``name``. Returns the pairing and the code, shown once (only its hash is kept)."""
    code = "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(PAIRING_LENGTH))
    now = timezone.now()
    pairing = DisplayPairing.objects.create(
        room=room,
        name=name,
        code_hash=_hash(code),
        created_by=by,
        created_at=now,
        expires_at=now + datetime.timedelta(minutes=PAIRING_MINUTES),
    )
    return pairing, f"{code[:4]}-{code[4:]}"


def claim_pairing(code: str) -> tuple[EnrolledDevice, str]:
    """Enrol this browser as the wall display a one-time code was made for; return the device
    and its token (``remember``). ``PairingRefused`` for a code that is wrong, used or old, or
    whose room was retired meanwhile."""
    typed = re.sub(r"[\s-]", "", code).upper()
    with transaction.atomic():
        pairing = (
            DisplayPairing.objects.select_for_update(of=("self",))
            .select_related("room", "created_by")
            .filter(code_hash=_hash(typed))
            .first()
        )
        if (
            pairing is None
            or pairing.device_id is not None
            or pairing.expires_at <= timezone.now()
            or not pairing.room.active
        ):
            raise PairingRefused(
                "That code does not work: it is mistyped, already used, or older than "
                f"{PAIRING_MINUTES} minutes. Ask an administrator for a new one."
            )
        device, token = enrol(
            name=pairing.name,
            kind=DeviceKind.WALL_DISPLAY,
            by=pairing.created_by,
            room=pairing.room,
        )
        pairing.device = device
        pairing.save(update_fields=["device"])
    return device, token


def revoke(*, device: EnrolledDevice, by: User, reason: str = "Revoked.") -> None:
    """Revoke ``device``: its browser's token no longer counts. A revoked device stays so."""
    with transaction.atomic():
        changed = EnrolledDevice.objects.filter(pk=device.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by
        )
        if changed:
            _log(device, by=by, action=CHANGE, message=reason)
    device.refresh_from_db()


def remember(response: HttpResponse, token: str) -> None:
    """Give the browser (or give it back, renewed) the token of the device it is."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def renew(request: HttpRequest, response: HttpResponse) -> None:
    """Give an enrolled browser its token for another 400 days (it is still in use)."""
    remember(response, request.COOKIES[COOKIE])


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _log(device: EnrolledDevice, *, by: User, action: int, message: str) -> None:
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[device],
        action_flag=action,
        change_message=message,
        single_object=True,
    )
