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
