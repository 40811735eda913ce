import pytest

from accounts import devices, pins
from accounts.models import EnrolledDevice, PinFailure, StaffProfile
from checklists import workflow
from checklists.models import AuditEvent
from tests.conftest import PASSWORD, make_case, make_procedure


@pytest.fixture
def with_pins(nurse, scrub, surgeon):
    for person, pin in ((nurse, "4827"), (scrub, "5931"), (surgeon, "7364")):
        pins.set_pin(user=person, pin=pin)


def test_an_enrolled_tablet_lists_people_with_a_pin_and_needs_no_login(
    tablet_client, with_pins, reviewer
):
    page = tablet_client.get("/switch/")
    assert page.status_code == 200
    assert "Nora Nurse" in page.text and "Sue Surgeon" in page.text
    # Reviewers do not work the tablet, and nobody without a PIN is offered.
    assert "Rae Reviewer" not in page.text


def test_a_right_pin_signs_the_person_in_and_returns_to_the_page(tablet_client, with_pins, scrub):
    tablet_client.post("/switch/", {"person": scrub.pk, "pin": "5931", "next": "/cases/1/"})
    response = tablet_client.post(
        "/switch/", {"person": scrub.pk, "pin": "5931", "next": "/cases/7/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/cases/7/"
    assert tablet_client.get("/").context["user"] == scrub


def test_later_ticks_are_attributed_to_the_person_who_switched_in(
    tablet_client, with_pins, nurse, scrub, surgeon
):
    case = make_case(make_procedure({"title": "Only step"}), actor=nurse, surgeon=surgeon)
    tablet_client.force_login(nurse)
    tablet_client.post("/switch/", {"person": scrub.pk, "pin": "5931"})

    step = case.steps.get()
    user = tablet_client.get("/").context["user"]
    workflow.record_step(
        actor=user, case_id=case.pk, step_id=step.pk, answer=workflow.Answer("done"), revision=0
    )
    assert AuditEvent.objects.filter(case=case).last().actor == scrub


def test_a_wrong_pin_is_refused_with_403_and_does_not_sign_in(tablet_client, with_pins, scrub):
    response = tablet_client.post("/switch/", {"person": scrub.pk, "pin": "0000"})
    assert response.status_code == 403
    assert "Wrong PIN" in response.text
    assert not response.context["user"].is_authenticated


def test_five_wrong_pins_lock_the_switch_for_that_person(tablet_client, with_pins, scrub):
    for _ in range(5):
        tablet_client.post("/switch/", {"person": scrub.pk, "pin": "0000"})
    response = tablet_client.post("/switch/", {"person": scrub.pk, "pin": "5931"})
    assert response.status_code == 403
    assert "locked until" in response.text


def test_an_outside_next_url_is_ignored(tablet_client, with_pins, scrub):
    response = tablet_client.post(
        "/switch/", {"person": scrub.pk, "pin": "5931", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    "data", [{}, {"person": "999999", "pin": "1234"}, {"person": "x", "pin": "12"}]
)
def test_a_forged_form_gets_a_400_with_a_message(tablet_client, with_pins, data):
    response = tablet_client.post("/switch/", data)
    assert response.status_code == 400
    assert "alert" in response.text or "invalid-feedback" in response.text


def test_a_reviewer_cannot_switch_in_by_pin(tablet_client, with_pins, reviewer):
    pins.set_pin(user=reviewer, pin="8642")
    response = tablet_client.post("/switch/", {"person": reviewer.pk, "pin": "8642"})
    assert response.status_code == 400


def test_a_person_sets_their_own_pin_with_their_password(client, nurse):

    client.force_login(nurse)
    response = client.post(
        "/accounts/pin/", {"password": PASSWORD, "pin": "4827", "pin_again": "4827"}
    )
    assert response.status_code == 302
    pins.check_pin(user=nurse, pin="4827")


def test_setting_a_pin_needs_the_password_and_matching_pins(client, nurse):
    client.force_login(nurse)
    wrong = client.post("/accounts/pin/", {"password": "x", "pin": "4827", "pin_again": "4827"})
    assert wrong.status_code == 400
    assert "not your password" in wrong.text
    differ = client.post(
        "/accounts/pin/", {"password": PASSWORD, "pin": "4827", "pin_again": "4828"}
    )
    assert "differ" in differ.text
    trivial = client.post(
        "/accounts/pin/", {"password": PASSWORD, "pin": "1111", "pin_again": "1111"}
    )
    assert "repeated" in trivial.text


def test_guessing_the_password_on_my_pin_locks_like_the_login_page(client, nurse):
    client.force_login(nurse)
    guess = {"password": "guess", "pin": "4827", "pin_again": "4827"}
    for _ in range(4):
        assert client.post("/accounts/pin/", guess).status_code == 400

    assert client.post("/accounts/pin/", guess).status_code == 429
    right = client.post("/accounts/pin/", {**guess, "password": PASSWORD})
    assert right.status_code == 429
    assert "Too many attempts" in right.text
    assert not StaffProfile.objects.filter(user=nurse, pin_hash__gt="").exists()
    client.logout()
    login = client.post("/accounts/login/", {"username": "nurse", "password": PASSWORD})
    assert login.status_code == 429


def test_an_administrator_sets_a_pin_in_the_admin(client, administrator, scrub):
    client.force_login(administrator)
    page = client.get(f"/admin/auth/user/{scrub.pk}/change/")
    assert "New PIN" in page.text


def test_ten_wrong_pins_from_one_tablet_pause_pins_there_but_not_elsewhere(
    tablet_client, with_pins, nurse, scrub, surgeon
):
    tablet, other_tablet = {"REMOTE_ADDR": "10.20.0.7"}, {"REMOTE_ADDR": "10.20.0.8"}
    for person, misses in ((nurse, 4), (scrub, 4), (surgeon, 2)):
        for _ in range(misses):
            tablet_client.post("/switch/", {"person": person.pk, "pin": "0000"}, **tablet)

    response = tablet_client.post("/switch/", {"person": scrub.pk, "pin": "5931"}, **tablet)

    assert response.status_code == 403
    assert "Too many wrong PINs on this device" in response.text
    assert not response.context["user"].is_authenticated
    elsewhere = tablet_client.post("/switch/", {"person": scrub.pk, "pin": "5931"}, **other_tablet)
    assert elsewhere.status_code == 302


@pytest.mark.parametrize("next_url", ["a b", "home", "//evil.example/x"])
def test_a_next_that_is_not_a_path_of_this_site_goes_to_the_board(
    tablet_client, with_pins, scrub, next_url
):
    response = tablet_client.post("/switch/", {"person": scrub.pk, "pin": "5931", "next": next_url})
    assert response["Location"] == "/"


# --- elsewhere than on an enrolled tablet: a username, and nobody's name shown ------------------


def test_elsewhere_the_switch_screen_names_nobody_and_asks_for_a_username(client, with_pins):
    page = client.get("/switch/")

    assert page.status_code == 200
    for name in ("Nora", "Nurse", "Sam Scrub", "Sue Surgeon", 'name="person"'):
        assert name not in page.text
    assert 'name="username"' in page.text and 'name="pin"' in page.text


@pytest.mark.parametrize("cookie", ["", "forged-token", "x" * 4000])
def test_a_browser_without_a_valid_tablet_token_sees_no_names(client, with_pins, cookie):
    client.cookies[devices.COOKIE] = cookie

    page = client.get("/switch/")

    assert "Nora Nurse" not in page.text and 'name="username"' in page.text


def test_a_revoked_tablet_lists_nobody(tablet_client, with_pins, administrator):
    devices.revoke(device=EnrolledDevice.objects.get(), by=administrator)

    page = tablet_client.get("/switch/")

    assert "Nora Nurse" not in page.text and 'name="username"' in page.text


def test_a_name_posted_from_a_browser_that_lists_none_is_refused(client, with_pins, scrub):
    response = client.post("/switch/", {"person": scrub.pk, "pin": "5931"})

    assert response.status_code == 400
    assert not response.context["user"].is_authenticated


def test_a_username_and_pin_switch_in_anywhere(client, with_pins, scrub):
    response = client.post("/switch/", {"username": "scrub", "pin": "5931", "next": "/cases/7/"})

    assert response.status_code == 302
    assert response["Location"] == "/cases/7/"
    assert client.get("/").context["user"] == scrub


@pytest.mark.parametrize(
    "username",
    [
        "scrub",  # a person with a PIN: the wrong one
        "nobody",  # nobody has this name
        "reviewer",  # a person who may not switch in by PIN
        "admin",  # a person without a PIN
    ],
)
def test_a_wrong_username_or_pin_reads_the_same_and_counts(
    client, with_pins, reviewer, administrator, username
):
    pins.set_pin(user=reviewer, pin="8642")
    tablet = {"REMOTE_ADDR": "10.20.0.7"}

    response = client.post("/switch/", {"username": username, "pin": "8642"}, **tablet)

    assert response.status_code == 403
    assert "Wrong username or PIN." in response.text
    assert "tries" not in response.text and "no PIN" not in response.text
    assert PinFailure.objects.filter(remote_addr="10.20.0.7").count() == 1


def test_unknown_usernames_pause_pins_from_that_address_too(client, with_pins, scrub):
    tablet = {"REMOTE_ADDR": "10.20.0.7"}
    for n in range(10):
        client.post("/switch/", {"username": f"guess{n}", "pin": "2580"}, **tablet)

    response = client.post("/switch/", {"username": "scrub", "pin": "5931"}, **tablet)

    assert response.status_code == 403
    assert "Too many wrong PINs on this device" in response.text


def test_five_wrong_pins_by_username_lock_that_persons_pin(client, with_pins, scrub):
    for _ in range(5):
        client.post("/switch/", {"username": "scrub", "pin": "0000"})

    response = client.post("/switch/", {"username": "scrub", "pin": "5931"})

    assert response.status_code == 403
    assert "this PIN is locked until" in response.text


@pytest.mark.parametrize(
    "data", [{}, {"username": "", "pin": "5931"}, {"username": "u" * 151, "pin": "5931"}]
)
def test_a_forged_username_form_gets_a_400(client, with_pins, data):
    assert client.post("/switch/", data).status_code == 400


def test_the_switch_screen_costs_few_queries(
    tablet_client, with_pins, django_assert_max_num_queries
):
    # The tablet's device, the people with a PIN (one query, however many).
    with django_assert_max_num_queries(2):
        assert tablet_client.get("/switch/").status_code == 200


def test_an_enrolled_tablet_keeps_its_token_for_another_400_days(tablet_client, with_pins):
    page = tablet_client.get("/switch/")

    cookie = page.cookies[devices.COOKIE]
    assert cookie.value == tablet_client.cookies[devices.COOKIE].value
    assert cookie["max-age"] == 400 * 24 * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
