import pytest

from accounts import pins
from accounts.models import StaffProfile
from checklists import workflow
from checklists.models import AuditEvent
from tests.conftest import PASSWORD, make_case, make_procedure


@pytest.fixture
def with_pins(nurse, scrub, surgeon):
    for person, pin in ((nurse, "4827"), (scrub, "5931"), (surgeon, "7364")):
        pins.set_pin(user=person, pin=pin)


def test_the_switch_screen_lists_people_with_a_pin_and_needs_no_login(client, with_pins, reviewer):
    page = client.get("/switch/")
    assert page.status_code == 200
    assert "Nora Nurse" in page.text and "Sue Surgeon" in page.text
    # Reviewers do not work the tablet, and nobody without a PIN is offered.
    assert "Rae Reviewer" not in page.text


def test_a_right_pin_signs_the_person_in_and_returns_to_the_page(client, with_pins, scrub):
    client.post("/switch/", {"person": scrub.pk, "pin": "5931", "next": "/cases/1/"})
    response = client.post("/switch/", {"person": scrub.pk, "pin": "5931", "next": "/cases/7/"})
    assert response.status_code == 302
    assert response["Location"] == "/cases/7/"
    assert client.get("/").context["user"] == scrub


def test_later_ticks_are_attributed_to_the_person_who_switched_in(
    client, with_pins, nurse, scrub, surgeon
):
    case = make_case(make_procedure({"title": "Only step"}), actor=nurse, surgeon=surgeon)
    client.force_login(nurse)
    client.post("/switch/", {"person": scrub.pk, "pin": "5931"})

    step = case.steps.get()
    user = client.get("/").context["user"]
    workflow.record_step(
        actor=user, case_id=case.pk, step_id=step.pk, answer=workflow.Answer("done"), revision=0
    )
    assert AuditEvent.objects.filter(case=case).last().actor == scrub


def test_a_wrong_pin_is_refused_with_403_and_does_not_sign_in(client, with_pins, scrub):
    response = client.post("/switch/", {"person": scrub.pk, "pin": "0000"})
    assert response.status_code == 403
    assert "Wrong PIN" in response.text
    assert not response.context["user"].is_authenticated


def test_five_wrong_pins_lock_the_switch_for_that_person(client, with_pins, scrub):
    for _ in range(5):
        client.post("/switch/", {"person": scrub.pk, "pin": "0000"})
    response = client.post("/switch/", {"person": scrub.pk, "pin": "5931"})
    assert response.status_code == 403
    assert "locked until" in response.text


def test_an_outside_next_url_is_ignored(client, with_pins, scrub):
    response = client.post(
        "/switch/", {"person": scrub.pk, "pin": "5931", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    "data", [{}, {"person": "999999", "pin": "1234"}, {"person": "x", "pin": "12"}]
)
def test_a_forged_form_gets_a_400_with_a_message(client, with_pins, data):
    response = client.post("/switch/", data)
    assert response.status_code == 400
    assert "alert" in response.text or "invalid-feedback" in response.text


def test_a_reviewer_cannot_switch_in_by_pin(client, with_pins, reviewer):
    pins.set_pin(user=reviewer, pin="8642")
    response = client.post("/switch/", {"person": reviewer.pk, "pin": "8642"})
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
    client, with_pins, nurse, scrub, surgeon
):
    tablet, other_tablet = {"REMOTE_ADDR": "10.20.0.7"}, {"REMOTE_ADDR": "10.20.0.8"}
    for person, misses in ((nurse, 4), (scrub, 4), (surgeon, 2)):
        for _ in range(misses):
            client.post("/switch/", {"person": person.pk, "pin": "0000"}, **tablet)

    response = client.post("/switch/", {"person": scrub.pk, "pin": "5931"}, **tablet)

    assert response.status_code == 403
    assert "Too many wrong PINs on this device" in response.text
    assert not response.context["user"].is_authenticated
    elsewhere = client.post("/switch/", {"person": scrub.pk, "pin": "5931"}, **other_tablet)
    assert elsewhere.status_code == 302


@pytest.mark.parametrize("next_url", ["a b", "home", "//evil.example/x"])
def test_a_next_that_is_not_a_path_of_this_site_goes_to_the_board(
    client, with_pins, scrub, next_url
):
    response = client.post("/switch/", {"person": scrub.pk, "pin": "5931", "next": next_url})
    assert response["Location"] == "/"
