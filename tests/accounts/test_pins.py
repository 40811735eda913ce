import datetime

import pytest
from django.utils import timezone

from accounts import pins
from accounts.errors import InvalidPin, PinRefused
from accounts.models import PinFailure, StaffProfile


def test_a_pin_is_stored_hashed(nurse):
    pins.set_pin(user=nurse, pin="4827")
    profile = StaffProfile.objects.get(user=nurse)
    assert "4827" not in profile.pin_hash
    pins.check_pin(user=nurse, pin="4827")


@pytest.mark.parametrize("pin", ["123", "1234567", "12a4", "", "1111", "1234", "9876"])
def test_a_pin_must_be_4_to_6_digits_and_not_trivial(nurse, pin):
    with pytest.raises(InvalidPin):
        pins.set_pin(user=nurse, pin=pin)
    assert not StaffProfile.objects.filter(user=nurse).exclude(pin_hash="").exists()


def test_a_wrong_pin_is_refused_saying_how_many_tries_are_left(nurse):
    pins.set_pin(user=nurse, pin="4827")
    with pytest.raises(PinRefused, match="4 more tries"):
        pins.check_pin(user=nurse, pin="0000")
    assert StaffProfile.objects.get(user=nurse).pin_failures == 1


def test_five_wrong_pins_lock_it_even_against_the_right_one(nurse):
    pins.set_pin(user=nurse, pin="4827")
    for _ in range(4):
        with pytest.raises(PinRefused, match="Wrong PIN"):
            pins.check_pin(user=nurse, pin="0000")
    with pytest.raises(PinRefused, match="locked until"):
        pins.check_pin(user=nurse, pin="0000")

    with pytest.raises(PinRefused, match="locked until"):
        pins.check_pin(user=nurse, pin="4827")
    locked_until = StaffProfile.objects.get(user=nurse).pin_locked_until
    assert locked_until - timezone.now() > datetime.timedelta(minutes=14)


def test_the_lock_ends_after_its_time(nurse):
    pins.set_pin(user=nurse, pin="4827")
    StaffProfile.objects.filter(user=nurse).update(
        pin_locked_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    pins.check_pin(user=nurse, pin="4827")
    assert StaffProfile.objects.get(user=nurse).pin_locked_until is None


def test_a_right_pin_resets_the_count_of_misses(nurse):
    pins.set_pin(user=nurse, pin="4827")
    with pytest.raises(PinRefused):
        pins.check_pin(user=nurse, pin="0000")
    pins.check_pin(user=nurse, pin="4827")
    assert StaffProfile.objects.get(user=nurse).pin_failures == 0


def test_a_person_without_a_pin_is_refused(nurse):
    with pytest.raises(PinRefused, match="no PIN"):
        pins.check_pin(user=nurse, pin="4827")


def test_an_inactive_person_is_refused(nurse):
    pins.set_pin(user=nurse, pin="4827")
    nurse.is_active = False
    nurse.save()
    with pytest.raises(PinRefused):
        pins.check_pin(user=nurse, pin="4827")


# --- one device trying PIN after PIN, on everyone in turn ---------------------------------------

TABLET = "10.20.0.7"


@pytest.fixture
def three_pins(nurse, scrub, anaesthetist):
    for person, pin in ((nurse, "4827"), (scrub, "5931"), (anaesthetist, "6142")):
        pins.set_pin(user=person, pin=pin)
    return nurse, scrub, anaesthetist


def miss(person, times: int, remote_addr: str = TABLET) -> None:
    for _ in range(times):
        with pytest.raises(PinRefused):
            pins.check_pin(user=person, pin="0000", remote_addr=remote_addr)


def test_ten_misses_from_one_address_pause_every_pin_there(three_pins):
    nurse, scrub, anaesthetist = three_pins
    # Four each at most: no person's own PIN locks, yet the device has tried ten.
    miss(nurse, 4)
    miss(scrub, 4)
    miss(anaesthetist, 2)

    with pytest.raises(PinRefused, match="on this device: switching by PIN is paused until"):
        pins.check_pin(user=anaesthetist, pin="6142", remote_addr=TABLET)
    # Another tablet is not affected, nor the person.
    pins.check_pin(user=anaesthetist, pin="6142", remote_addr="10.20.0.8")


def test_a_right_pin_does_not_clear_the_address_count(three_pins):
    nurse, scrub, anaesthetist = three_pins
    miss(nurse, 4)
    miss(scrub, 4)
    miss(anaesthetist, 1)
    pins.check_pin(user=nurse, pin="4827", remote_addr=TABLET)  # one's own PIN, known
    miss(anaesthetist, 1)

    with pytest.raises(PinRefused, match="paused"):
        pins.check_pin(user=scrub, pin="5931", remote_addr=TABLET)


def test_the_pause_ends_when_the_misses_are_old_enough(three_pins):
    nurse, scrub, anaesthetist = three_pins
    miss(nurse, 4)
    miss(scrub, 4)
    miss(anaesthetist, 2)
    PinFailure.objects.update(at=timezone.now() - datetime.timedelta(minutes=15, seconds=1))

    pins.check_pin(user=anaesthetist, pin="6142", remote_addr=TABLET)


def test_misses_that_no_longer_count_are_deleted(three_pins):
    nurse, _, _ = three_pins
    miss(nurse, 2)
    PinFailure.objects.update(at=timezone.now() - datetime.timedelta(minutes=16))

    miss(nurse, 1)

    assert PinFailure.objects.count() == 1


def test_without_an_address_only_the_persons_lock_applies(three_pins):
    nurse, _, _ = three_pins
    miss(nurse, 4, remote_addr=None)
    assert not PinFailure.objects.exists()
