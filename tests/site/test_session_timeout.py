import time

import pytest
from django.http import HttpResponse
from django.urls import path

from accounts.middleware import LAST_ACTIVITY, SIGNED_IN_AT, passive


@passive
def poll(request):
    return HttpResponse("ok")


def tap(request):
    return HttpResponse("ok")


urlpatterns = [path("poll/", poll), path("tap/", tap)]


def age_session(client, **seconds_ago: int) -> None:
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


@pytest.fixture
def signed_in(client, nurse):
    client.force_login(nurse)
    client.get("/")
    return client


def test_an_active_session_carries_on(signed_in):
    age_session(signed_in, last_activity=60)
    assert signed_in.get("/").status_code == 200


def test_an_idle_session_ends_and_goes_to_the_switch_screen(signed_in, settings):
    age_session(signed_in, last_activity=settings.SESSION_IDLE_TIMEOUT + 1)

    response = signed_in.get("/?day=2026-11-24")

    assert response.status_code == 302
    assert response["Location"] == "/switch/?next=%2F%3Fday%3D2026-11-24"
    assert "_auth_user_id" not in signed_in.session


def test_an_idle_htmx_request_redirects_the_whole_page(signed_in, settings):
    age_session(signed_in, last_activity=settings.SESSION_IDLE_TIMEOUT + 1)

    response = signed_in.get(
        "/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/cases/3/"}
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/switch/?next=%2Fcases%2F3%2F"


def test_a_session_ends_at_its_absolute_limit_even_when_busy(signed_in, settings):
    age_session(signed_in, last_activity=5, signed_in_at=settings.SESSION_ABSOLUTE_TIMEOUT + 1)
    response = signed_in.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/switch/")


def test_an_anonymous_htmx_request_is_sent_to_the_switch_screen_not_swapped_a_login_page(
    client, db
):
    response = client.post(
        "/cases/1/steps/1/",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/cases/1/"},
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/switch/?next=%2Fcases%2F1%2F"


@pytest.mark.urls("tests.site.test_session_timeout")
def test_polling_does_not_keep_an_idle_session_alive(signed_in, settings):
    age_session(signed_in, last_activity=settings.SESSION_IDLE_TIMEOUT - 120)
    before = signed_in.session[LAST_ACTIVITY]

    signed_in.get("/poll/")
    assert signed_in.session[LAST_ACTIVITY] == before
    signed_in.get("/tap/")
    assert signed_in.session[LAST_ACTIVITY] > before


def test_signing_in_starts_the_clock(signed_in):
    assert SIGNED_IN_AT in signed_in.session


def test_an_idle_session_does_not_swallow_the_next_persons_switch(signed_in, settings, scrub):
    from accounts import pins

    pins.set_pin(user=scrub, pin="1357")
    age_session(signed_in, last_activity=settings.SESSION_IDLE_TIMEOUT + 1)

    response = signed_in.post("/switch/", {"username": "scrub", "pin": "1357", "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in.get("/").context["user"] == scrub
