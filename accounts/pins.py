"""Quick user switch on a shared tablet: a 4–6 digit PIN per person, locked after 5 misses.

Two limits, both in the database so that every web process sees them. A person's PIN locks after
``PIN_MAX_FAILURES`` misses in a row. And one address may miss ``PIN_MAX_FAILURES_PER_ADDRESS``
times within ``PIN_LOCK_MINUTES``, whoever it tries: without that, someone could try four PINs
on each of fifty people every quarter of an hour and, with 4-digit PINs, expect to get in
within a day or two. A right PIN does not clear the address's count, or one's own PIN would.

The switch screen of an enrolled tablet lists the people who may switch in (``check_pin``);
elsewhere a person types their username (``check_pin_by_username``), and the screen tells no
one who exists: a wrong username and a wrong PIN read the same, and both count.
"""

import datetime
import re
from typing import NoReturn

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts import roles
from accounts.errors import InvalidPin, PinLocked, PinRefused
from accounts.models import PinAddress, PinFailure, StaffProfile

PIN_PATTERN = re.compile(r"\d{4,6}")
WRONG_USERNAME_OR_PIN = "Wrong username or PIN."


def switchable_people() -> QuerySet[User]:
    """People who may take over a shared tablet by PIN: active OR staff and surgeons with a PIN."""
    return (
        User.objects.filter(
            is_active=True,
            groups__name__in=[roles.OR_STAFF, roles.SURGEON],
            staff_profile__pin_hash__gt="",
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def validate_pin(pin: str) -> None:
    if not PIN_PATTERN.fullmatch(pin):
        raise InvalidPin("A PIN is 4 to 6 digits.")
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise InvalidPin("Choose a PIN that is not a repeated or running sequence of digits.")


def hash_pin_into(profile: StaffProfile, pin: str) -> None:
    """Store a new PIN on ``profile`` (not saved), lifting any lock on the old one."""
    validate_pin(pin)
    profile.pin_hash = make_password(pin)
    profile.pin_failures, profile.pin_locked_until = 0, None


def set_pin(*, user: User, pin: str) -> None:
    """Give ``user`` a new PIN (and lift any lock on the old one)."""
    validate_pin(pin)
    profile, _ = StaffProfile.objects.get_or_create(user=user)
    hash_pin_into(profile, pin)
    profile.save()


def check_pin(*, user: User, pin: str, remote_addr: str | None = None) -> None:
    """Accept ``pin`` for ``user`` or raise PinRefused; the fifth miss in a row locks the PIN.

    ``remote_addr`` is the device's address: too many misses from it refuse every PIN for a while.
    """
    now = timezone.now()
    with transaction.atomic():
        # The address first, the person second, always in this order (no deadlock).
        _hold_address(remote_addr)
        _check_address(remote_addr, now)
        profile = StaffProfile.objects.select_for_update().filter(user=user).first()
        if profile is None or not profile.has_pin or not user.is_active:
            raise PinRefused("This person has no PIN on this system. Log in with a password.")
        if profile.pin_locked_until and profile.pin_locked_until > now:
            raise PinLocked(_locked_message(profile.pin_locked_until))
        if check_password(pin, profile.pin_hash):
            if profile.pin_failures or profile.pin_locked_until:
                profile.pin_failures, profile.pin_locked_until = 0, None
                profile.save(update_fields=["pin_failures", "pin_locked_until"])
            return
        _record_failure(remote_addr, now)
        profile.pin_failures += 1
        left = settings.PIN_MAX_FAILURES - profile.pin_failures
        if left <= 0:
            profile.pin_failures = 0
            profile.pin_locked_until = now + datetime.timedelta(minutes=settings.PIN_LOCK_MINUTES)
            refusal: PinRefused = PinLocked(_locked_message(profile.pin_locked_until))
        else:
            tries = f"{left} more {'try' if left == 1 else 'tries'}"
            refusal = PinRefused(f"Wrong PIN. {tries} before it locks.")
        profile.save(update_fields=["pin_failures", "pin_locked_until"])
    # Raised after the commit: the miss must be counted even though the request fails.
    raise refusal


def check_pin_by_username(*, username: str, pin: str, remote_addr: str | None = None) -> User:
    """The person who typed ``username`` and ``pin``, or PinRefused.

    For a switch screen that lists nobody. Short of a lock, every refusal reads the same
    (``WRONG_USERNAME_OR_PIN``), so the screen does not tell who exists or has a PIN; a name
    nobody has counts against the address like a wrong PIN, and takes as long to refuse.
    """
    person = switchable_people().filter(username=username).first()
    try:
        if person is None:
            _refuse_unknown_person(pin, remote_addr)
        check_pin(user=person, pin=pin, remote_addr=remote_addr)
    except PinLocked:
        raise
    except PinRefused:
        raise PinRefused(WRONG_USERNAME_OR_PIN) from None
    return person


def _refuse_unknown_person(pin: str, remote_addr: str | None) -> NoReturn:
    now = timezone.now()
    with transaction.atomic():
        _hold_address(remote_addr)
        _check_address(remote_addr, now)
        make_password(pin)  # the work a real PIN check does: the time tells nothing either
        _record_failure(remote_addr, now)
    raise PinRefused(WRONG_USERNAME_OR_PIN)


def _record_failure(remote_addr: str | None, now: datetime.datetime) -> None:
    if remote_addr:
        PinFailure.objects.filter(at__lt=now - _address_window()).delete()  # no longer counts
        PinFailure.objects.create(remote_addr=remote_addr, at=now)


def _hold_address(remote_addr: str | None) -> None:
    """Lock the address's row until the transaction ends: one PIN check at a time from it."""
    if not remote_addr:
        return
    held = PinAddress.objects.select_for_update().filter(remote_addr=remote_addr)
    if held.first() is not None:
        return
    # The first check from this address: whoever inserts first, every one then locks that row.
    PinAddress.objects.bulk_create([PinAddress(remote_addr=remote_addr)], ignore_conflicts=True)
    held.get()


def _check_address(remote_addr: str | None, now: datetime.datetime) -> None:
    if not remote_addr:
        return
    window = _address_window()
    recent = PinFailure.objects.filter(remote_addr=remote_addr, at__gte=now - window)
    limit = settings.PIN_MAX_FAILURES_PER_ADDRESS
    if recent.count() < limit:
        return
    oldest_counted = recent.order_by("-at").values_list("at", flat=True)[limit - 1]
    until = timezone.localtime(oldest_counted + window)
    raise PinLocked(
        f"Too many wrong PINs on this device: switching by PIN is paused until {until:%H:%M}. "
        "Log in with a password meanwhile."
    )


def _address_window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.PIN_LOCK_MINUTES)


def _locked_message(until: datetime.datetime) -> str:
    return (
        f"Too many wrong PINs: this PIN is locked until {timezone.localtime(until):%H:%M}. "
        "Log in with a password, or ask an administrator."
    )
