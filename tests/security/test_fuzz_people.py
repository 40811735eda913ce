"""The people endpoints fuzzed: the tablet's user switch, My PIN, the login form. What is sent
and what must hold: tests/security/fuzzing.py."""

from django.contrib.auth.models import User
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import StaffProfile
from tests.conftest import PASSWORD, enrol_tablet
from tests.security.conftest import PERSONAS, PIN, rolled_back
from tests.security.fuzzing import (
    FUZZ,
    WHO,
    assert_local_redirect,
    bodies,
    check,
    client_for,
    field,
    send,
    snapshot,
)


@FUZZ
@given(
    who=WHO,
    tablet=st.booleans(),
    person=st.sampled_from(["nurse", "surgeon", "reviewer", "unknown"]),
    body=bodies(
        person=field(0, -1, 10**12),
        username=field("nurse", "surgeon", "reviewer", "NURSE", "nurse\x00", "u" * 151),
        pin=field(PIN, "0000", "1234", "99999", "٢٥٨٠", "2580\x00", " 2580"),
        next=field("/cases/1/", "//evil.example/", "https://evil.example/", "javascript:alert(1)"),
    ),
    query_next=st.sampled_from(["", "?next=//evil.example/", "?next=/review/"]),
)
def test_switch_user_survives_anything(world, who, tablet, person, body, query_next):
    """On an enrolled tablet a person is chosen by id; anywhere else by username."""
    people = {"unknown": 10**9, **{p: world.people[p].pk for p in PERSONAS}}
    with rolled_back():
        client = client_for(world, who)
        if tablet:
            enrol_tablet(client, by=world.administrator)
            body = body.on({"person": str(people[person]), "pin": PIN})
        else:
            body = body.on({"username": person, "pin": PIN})
        before = snapshot()
        response = send(client, reverse("switch-user") + query_next, body, {})
        check(response, before)
        assert_local_redirect(response)
        if response.status_code == 302:  # only the right PIN of a PIN holder switches
            holders = {world.nurse.pk, world.surgeon.pk}
            assert int(client.session["_auth_user_id"]) in holders
            assert body.last("pin").strip() == PIN


@FUZZ
@given(
    who=st.sampled_from(PERSONAS),
    body=bodies(
        password=field(PASSWORD, "nope"),
        pin=field("2468", "1111", "1234", "12", "1234567", "٢٤٦٨"),
        pin_again=field("2468", "1111"),
    ),
)
def test_my_pin_survives_anything(world, who, body):
    user = world.people[who]
    valid = {"password": PASSWORD, "pin": "2468", "pin_again": "2468"}
    with rolled_back():
        client = client_for(world, who)
        pins_before = list(StaffProfile.objects.values_list("user", "pin_hash").order_by("pk"))
        before = snapshot()
        response = send(client, reverse("my-pin"), body.on(valid), {})
        check(response, before)
        pins_after = list(StaffProfile.objects.values_list("user", "pin_hash").order_by("pk"))
        if response.status_code != 302:
            assert pins_after == pins_before, "a refused PIN change changed a PIN"
        else:
            changed = {u for u, h in set(pins_after) - set(pins_before)}
            assert changed == {user.pk}, "someone else's PIN changed"


@FUZZ
@given(
    body=bodies(
        username=field("nurse", "surgeon", "NURSE", "nurse\x00", "admin"),
        password=field(PASSWORD, "wrong"),
        next=field("/cases/1/", "//evil.example/", "https://evil.example/x"),
    ),
    signed_in=st.booleans(),
)
def test_login_survives_anything(world, body, signed_in):
    with rolled_back():
        client = client_for(world, "nurse" if signed_in else "anonymous")
        before = snapshot()
        body = body.on({"username": "nurse", "password": PASSWORD})
        response = send(client, reverse("login"), body, {})
        check(response, before)
        assert_local_redirect(response)


@FUZZ
@given(
    who=st.sampled_from(PERSONAS),
    body=bodies(
        old_password=field(PASSWORD, "nope", PASSWORD + " "),
        new_password1=field("Sacrum-Iliac-2031", "short", "password123", "٢٤٦٨" * 4),
        new_password2=field("Sacrum-Iliac-2031", "other-Iliac-2031"),
    ),
)
def test_password_change_survives_anything(world, who, body):
    user = world.people[who]
    new = "Sacrum-Iliac-2031"
    valid = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    with rolled_back():
        client = client_for(world, who)
        hashes_before = dict(User.objects.values_list("pk", "password"))
        before = snapshot()
        response = send(client, reverse("password-change"), body.on(valid), {})
        check(response, before)
        hashes_after = dict(User.objects.values_list("pk", "password"))
        changed = {pk for pk in hashes_after if hashes_after[pk] != hashes_before[pk]}
        assert changed == ({user.pk} if response.status_code == 302 else set())
