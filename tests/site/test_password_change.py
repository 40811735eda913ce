"""Changing one's own password (/accounts/password/): validators, session, throttling."""

import pytest
from django.test import Client

from tests.conftest import PASSWORD

URL = "/accounts/password/"
NEW = "Sacrum-Iliac-2031"


def change(client, old: str = PASSWORD, new: str = NEW, again: str | None = None):
    data = {"old_password": old, "new_password1": new, "new_password2": again or new}
    return client.post(URL, data)


@pytest.fixture
def signed_in(client, nurse):
    client.force_login(nurse)
    return client


@pytest.mark.parametrize("who", ["nurse", "surgeon", "reviewer", "administrator"])
def test_every_role_has_the_page_in_the_menu(db, client, request, who):
    client.force_login(request.getfixturevalue(who))

    board = client.get("/")
    page = client.get(URL)

    assert f'href="{URL}"' in board.text
    assert page.status_code == 200
    for name in ("old_password", "new_password1", "new_password2"):
        assert f'name="{name}"' in page.text


def test_a_new_password_is_set_and_the_session_kept(signed_in, nurse):
    response = change(signed_in)

    assert response.status_code == 302
    assert response["Location"] == "/"
    board = signed_in.get("/")
    assert board.status_code == 200 and board.context["user"] == nurse
    assert "Your password is changed." in board.text
    nurse.refresh_from_db()
    assert nurse.check_password(NEW)


def test_the_persons_other_sessions_end(signed_in, nurse):
    elsewhere = Client()
    elsewhere.force_login(nurse)

    change(signed_in)

    assert elsewhere.get("/").status_code == 302  # to the login


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("Ab1-x", "too short"),
        ("password123", "too common"),
        ("4815162342719", "entirely numeric"),
        ("nurse123", "too similar"),
    ],
)
def test_the_password_validators_apply(signed_in, nurse, new, message):
    response = change(signed_in, new=new)

    assert response.status_code == 400
    assert message in response.text
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD)


def test_the_two_new_passwords_must_match(signed_in, nurse):
    response = change(signed_in, again=NEW + "x")

    assert response.status_code == 400
    assert "didn’t match" in response.text
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD)


def test_a_wrong_current_password_is_refused(signed_in, nurse):
    response = change(signed_in, old="Not-my-password-9")

    assert response.status_code == 400
    assert "That is not your current password." in response.text
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD)


def test_guessing_the_current_password_locks_like_the_login_page(signed_in, nurse):
    for _ in range(4):
        assert change(signed_in, old="guess").status_code == 400

    assert change(signed_in, old="guess").status_code == 429
    assert change(signed_in).status_code == 429  # the right one too, during the lock
    nurse.refresh_from_db()
    assert nurse.check_password(PASSWORD)


def test_an_anonymous_visitor_is_sent_to_the_login(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
