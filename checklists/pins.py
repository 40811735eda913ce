"""Quick user switch on a shared tablet: a 4–6 digit PIN per person, locked after 5 misses."""

import datetime
import re

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from checklists.errors import PinRefused, RuleViolation
from checklists.models import StaffProfile

PIN_PATTERN = re.compile(r"\d{4,6}")


def validate_pin(pin: str) -> None:
    if not PIN_PATTERN.fullmatch(pin):
        raise RuleViolation("A PIN is 4 to 6 digits.")
    if len(set(pin)) == 1 or pin in "0123456789" or pin in "9876543210":
        raise RuleViolation("Choose a PIN that is not a repeated or running sequence of digits.")


def hash_pin_into(profile: StaffProfile, pin: str) -> None:
    """Store a new PIN on ``profile`` (not saved), lifting any lock on the old one."""
    validate_pin(pin)
    profile.pin_hash = make_password(pin)
    profile.pin_failures, profile.pin_locked_until = 0, None


def set_pin(*, user: AbstractBaseUser, pin: str) -> None:
    """Give ``user`` a new PIN (and lift any lock on the old one)."""
    validate_pin(pin)
    profile, _ = StaffProfile.objects.get_or_create(user=user)
    hash_pin_into(profile, pin)
    profile.save()


def check_pin(*, user: AbstractBaseUser, pin: str) -> None:
    """Accept ``pin`` for ``user`` or raise PinRefused; the fifth miss in a row locks the PIN."""
    now = timezone.now()
    refusal = None
    with transaction.atomic():
        profile = StaffProfile.objects.select_for_update().filter(user=user).first()
        if profile is None or not profile.has_pin or not user.is_active:
            raise PinRefused("This person has no PIN on this system. Log in with a password.")
        if profile.pin_locked_until and profile.pin_locked_until > now:
            raise PinRefused(_locked_message(profile.pin_locked_until))
        if check_password(pin, profile.pin_hash):
            if profile.pin_failures or profile.pin_locked_until:
                profile.pin_failures, profile.pin_locked_until = 0, None
                profile.save(update_fields=["pin_failures", "pin_locked_until"])
            return
        profile.pin_failures += 1
        left = settings.PIN_MAX_FAILURES - profile.pin_failures
        if left <= 0:
            profile.pin_failures = 0
            profile.pin_locked_until = now + datetime.timedelta(minutes=settings.PIN_LOCK_MINUTES)
            refusal = _locked_message(profile.pin_locked_until)
        else:
            refusal = f"Wrong PIN. {left} more {'try' if left == 1 else 'tries'} before it locks."
        profile.save(update_fields=["pin_failures", "pin_locked_until"])
    # Raised after the commit: the miss must be counted even though the request fails.
    raise PinRefused(refusal)


def _locked_message(until: datetime.datetime) -> str:
    return (
        f"Too many wrong PINs: this PIN is locked until {timezone.localtime(until):%H:%M}. "
        "Log in with a password, or ask an administrator."
    )
