"""The tablet handed to the surgeon comes back: a person who switched in by PIN is signed out
once they have signed the case, and the switch screen offers the tablet back to whoever handed
it over. A surgeon who signed in on their own device stays signed in."""

import re

import pytest
from django.contrib.messages import get_messages

from accounts import pins
from tests.conftest import PASSWORD, make_case, make_procedure, record

STEPS = ({"title": "Identity confirmed", "hard_stop": True}, {"title": "Wound closed"})


@pytest.fixture
def ready(nurse, surgeon):
    """A case with every step recorded: only the surgeon's signature is missing."""
    case = make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon)
    for title in ("Identity confirmed", "Wound closed"):
        record(case, title, nurse)
    return case


@pytest.fixture
def with_pins(nurse, surgeon):
    pins.set_pin(user=nurse, pin="4827")
    pins.set_pin(user=surgeon, pin="7364")


def sign(client, case):
    return client.post(f"/cases/{case.pk}/sign-out/", {"password": PASSWORD})


def test_the_tablet_handed_to_the_surgeon_goes_back_after_the_signature(
    tablet_client, with_pins, nurse, surgeon, ready
):
    tablet_client.force_login(nurse)
    tablet_client.post("/switch/", {"person": surgeon.pk, "pin": "7364"})  # handed over

    signed = sign(tablet_client, ready)

    assert signed.status_code == 302
    assert signed["Location"] == f"/switch/?next=%2Fcases%2F{ready.pk}%2F&back_to={nurse.pk}"
    assert [str(m) for m in get_messages(signed.wsgi_request)][-1].endswith(
        "The record is now locked. The tablet is free for the next person."
    )
    assert tablet_client.get(f"/cases/{ready.pk}/").status_code == 302  # nobody signed in
    screen = tablet_client.get(signed["Location"]).text
    # The nurse's name comes chosen: her PIN takes the tablet back to the signed case.
    assert re.search(rf'<input[^>]*value="{nurse.pk}"[^>]*checked', screen)
    back = tablet_client.post(
        "/switch/", {"person": nurse.pk, "pin": "4827", "next": f"/cases/{ready.pk}/"}
    )
    assert back["Location"] == f"/cases/{ready.pk}/"
    assert tablet_client.get("/").context["user"] == nurse


def test_a_surgeon_who_switched_in_on_a_free_tablet_is_signed_out_after_signing(
    tablet_client, with_pins, surgeon, ready
):
    tablet_client.post("/switch/", {"person": surgeon.pk, "pin": "7364"})  # nobody before

    signed = sign(tablet_client, ready)

    assert signed["Location"] == f"/switch/?next=%2Fcases%2F{ready.pk}%2F"
    assert not tablet_client.get("/switch/").context["user"].is_authenticated


def test_a_surgeon_signed_in_on_their_own_device_stays_signed_in(client, surgeon, ready):
    client.force_login(surgeon)  # a password sign-in, not the tablet's switch screen

    signed = sign(client, ready)

    assert signed["Location"] == f"/cases/{ready.pk}/"
    assert client.get("/").context["user"] == surgeon


def test_a_name_offered_back_is_offered_only_on_an_enrolled_tablet(client, with_pins, nurse):
    screen = client.get(f"/switch/?back_to={nurse.pk}").text  # any other browser
    assert "Nora Nurse" not in screen


@pytest.mark.parametrize("back_to", ["x", "999999", "-1", "1" * 40])
def test_a_forged_back_to_changes_nothing(tablet_client, with_pins, back_to):
    screen = tablet_client.get("/switch/", {"back_to": back_to})
    assert screen.status_code == 200
    assert "checked" not in screen.text
