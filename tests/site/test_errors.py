"""Error pages are our own friendly pages in the site's layout, and reveal nothing internal."""

import pytest
from django.contrib.auth.decorators import login_not_required
from django.test import Client, RequestFactory
from django.urls import path

from sitracker import urls as site_urls
from sitracker import views

INTERNALS = [b"Traceback", b"Request Method", b"URLconf", b"urlpatterns", b"settings.py"]


@login_not_required
def broken_view(request):
    raise RuntimeError("secret-internal-detail")


# A URLconf for the 500 test only: the site's pages plus one that breaks.
urlpatterns = [path("broken/", broken_view), *site_urls.urlpatterns]
handler500 = site_urls.handler500


def assert_friendly_page(response, status: int, title: str) -> None:
    assert response.status_code == status
    content = response.content
    assert f"<h1>{title}</h1>".encode() in content
    assert b'<header class="navbar' in content  # the base layout
    assert b"Back to today's board" in content
    for secret in INTERNALS:
        assert secret not in content


def test_an_unknown_url_gives_the_styled_404(client, nurse):
    client.force_login(nurse)

    response = client.get("/no-such-page/")

    assert_friendly_page(response, 404, "Page not found")
    assert b"Nora Nurse" in response.content
    assert b"no-such-page" not in response.content


def test_a_nurse_is_refused_the_admin_with_the_friendly_403(client, nurse):
    client.force_login(nurse)

    response = client.get("/admin/", follow=True)

    assert_friendly_page(response, 403, "Not allowed")
    assert b"Your role does not allow this" in response.content


def test_a_reviewer_is_refused_the_admin_too(client, reviewer):
    client.force_login(reviewer)

    assert client.get("/admin/", follow=True).status_code == 403


def test_an_administrator_reaches_the_admin(client, administrator):
    client.force_login(administrator)

    assert client.get("/admin/").status_code == 200


def test_a_form_without_its_csrf_token_gives_form_expired(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"username": "nurse", "password": "x"})

    assert_friendly_page(response, 403, "Form expired")
    assert b"Reload the page and try again" in response.content


@pytest.mark.urls(__name__)
def test_an_unexpected_error_gives_the_styled_500(db):
    client = Client(raise_request_exception=False)

    response = client.get("/broken/")

    assert_friendly_page(response, 500, "Server error")
    assert b"secret-internal-detail" not in response.content
    # Whether the change was saved is unknown here: the page must not promise that it was not.
    assert b"Your last change may not have been saved: check the checklist" in response.content
    assert b"lost" not in response.content


def test_the_500_page_renders_without_a_request_context(nurse):
    request = RequestFactory().get("/")
    request.user = nurse

    response = views.server_error(request)

    assert_friendly_page(response, 500, "Server error")
    # The page was not given the request, so not even the signed-in person shows.
    assert b"Nora Nurse" not in response.content
