import datetime

import pytest
from django.utils import timezone

from checklists import pins
from checklists.errors import PinRefused, RuleViolation
from checklists.models import StaffProfile


def test_a_pin_is_stored_hashed(nurse):
    pins.set_pin(user=nurse, pin="4827")
    profile = StaffProfile.objects.get(user=nurse)
    assert "4827" not in profile.pin_hash
    pins.check_pin(user=nurse, pin="4827")


@pytest.mark.parametrize("pin", ["123", "1234567", "12a4", "", "1111", "1234", "9876"])
def test_a_pin_must_be_4_to_6_digits_and_not_trivial(nurse, pin):
    with pytest.raises(RuleViolation):
        pins.set_pin(user=nurse, pin=pin)
    assert not StaffProfile.objects.filter(user=nurse).exists()


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
