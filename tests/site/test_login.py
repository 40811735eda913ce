from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD


def test_the_login_page_renders(client, db):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert b"<h1" in response.content and b"Log in</h1>" in response.content
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_a_user_logs_in_and_sees_their_name_and_role_in_the_header(client, nurse):
    response = client.post(
        "/accounts/login/", {"username": "nurse", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [("/", 302)]
    header = response.content.split(b"</header>")[0]
    assert b"Nora Nurse" in header
    assert "· OR staff".encode() in header


def test_the_header_shows_a_surgeons_role(client, surgeon):
    client.post("/accounts/login/", {"username": "surgeon", "password": PASSWORD})

    header = client.get("/").content.split(b"</header>")[0]
    assert b"Sue Surgeon" in header
    assert "· Surgeon".encode() in header


def test_login_returns_to_the_page_asked_for(client, nurse):
    response = client.post(
        "/accounts/login/?next=/healthz",
        {"username": "nurse", "password": PASSWORD, "next": "/healthz"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/healthz"


def test_logout_by_post_returns_to_the_login_page(client, nurse):
    client.force_login(nurse)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


def test_a_wrong_password_shows_an_error(client, nurse):
    response = client.post("/accounts/login/", {"username": "nurse", "password": "wrong"})

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert b"alert-danger" in response.content
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session_on_the_server_not_only_in_the_browser(client, nurse):
    client.force_login(nurse)
    old_key = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post("/accounts/logout/")

    replayed = Client()
    replayed.cookies[settings.SESSION_COOKIE_NAME] = old_key
    response = replayed.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Session.objects.filter(session_key=old_key).exists()


def test_the_session_cookie_is_httponly_samesite_and_ends_with_the_browser(client, nurse):
    response = client.post("/accounts/login/", {"username": "nurse", "password": PASSWORD})

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    # The server still ends it at the absolute limit, whatever the browser does.
    session = Session.objects.get(session_key=cookie.value)
    assert session.expire_date - timezone.now() <= timedelta(hours=12)


def test_an_overlong_username_is_a_form_error_not_a_server_error(client, db):
    response = client.post("/accounts/login/", {"username": "é" * 1990, "password": "x"})
    assert response.status_code == 200
    assert "at most 150 characters" in response.text


def test_the_admin_login_bounds_the_username_too(client, db):
    response = client.post("/admin/login/", {"username": "n" * 300, "password": "x"})
    assert response.status_code == 200
    assert "at most 150 characters" in response.text


def test_the_login_page_refuses_put(client, db):
    assert client.put("/accounts/login/").status_code == 405
