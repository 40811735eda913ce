"""The page's heartbeat: a person tapping, typing or scrolling without saving anything keeps the
session open; the live-sync poll does not. The page is told the limits to count down from."""

import re
import time

import pytest
from django.test import Client
from django.urls import reverse

from accounts.middleware import LAST_ACTIVITY, activity_resolution, countdown_seconds
from procedures.models import Procedure
from tests.conftest import make_case

HEARTBEAT = "/session/heartbeat/"


def idle_for(client, seconds: int) -> None:
    """Make the session's last recorded activity ``seconds`` older: time passing for it."""
    session = client.session
    session[LAST_ACTIVITY] = session.get(LAST_ACTIVITY, int(time.time())) - seconds
    session.save()


@pytest.fixture
def signed_in(client, nurse):
    client.force_login(nurse)
    client.get("/")  # the first request starts the clocks
    return client


def test_it_is_at_the_url_the_page_is_given():
    assert reverse("session-heartbeat") == HEARTBEAT


def test_it_answers_204_and_records_activity_a_tap_would_not(signed_in):
    idle_for(signed_in, 30)  # under a minute: an ordinary tap is not written down yet
    before = signed_in.session[LAST_ACTIVITY]

    response = signed_in.post(HEARTBEAT)

    assert response.status_code == 204
    assert response.content == b""
    assert signed_in.session[LAST_ACTIVITY] >= before + 30


def test_activity_keeps_a_session_that_would_have_ended(signed_in, settings):
    idle_for(signed_in, settings.SESSION_IDLE_TIMEOUT - 2)
    assert signed_in.post(HEARTBEAT).status_code == 204

    idle_for(signed_in, 3)  # three seconds later: past the limit counted from before the beat

    assert signed_in.get("/").status_code == 200


def test_without_it_the_same_session_ends(signed_in, settings):
    idle_for(signed_in, settings.SESSION_IDLE_TIMEOUT - 2)
    idle_for(signed_in, 3)

    response = signed_in.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/switch/")


@pytest.fixture
def case(nurse, surgeon):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    return make_case(procedure, actor=nurse, surgeon=surgeon)


def poll(client, case):
    return client.get(
        reverse("case-version", args=[case.pk]),
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver/cases/{case.pk}/"},
    )


def test_the_poll_does_not_keep_the_session_open(signed_in, settings, case):
    idle_for(signed_in, settings.SESSION_IDLE_TIMEOUT - 2)
    before = signed_in.session[LAST_ACTIVITY]

    assert poll(signed_in, case).status_code == 200
    assert signed_in.session[LAST_ACTIVITY] == before

    idle_for(signed_in, 3)
    ended = poll(signed_in, case)
    assert ended.status_code == 204
    assert ended["HX-Redirect"] == f"/switch/?next=%2Fcases%2F{case.pk}%2F"


def test_after_the_session_ended_it_is_sent_to_the_switch_screen(signed_in, settings):
    idle_for(signed_in, settings.SESSION_IDLE_TIMEOUT + 1)

    response = signed_in.post(HEARTBEAT, headers={"Referer": "http://testserver/cases/3/"})

    assert response.status_code == 302
    assert response["Location"] == "/switch/?next=%2Fcases%2F3%2F"
    assert "_auth_user_id" not in signed_in.session


def test_it_needs_a_signed_in_person(client, db):
    response = client.post(HEARTBEAT)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_needs_the_pages_csrf_token(nurse):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse)
    page = client.get("/").content.decode()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    before = client.session[LAST_ACTIVITY]
    idle_for(client, 30)

    refused = client.post(HEARTBEAT)
    assert refused.status_code == 403
    assert client.session[LAST_ACTIVITY] == before - 30

    assert client.post(HEARTBEAT, headers={"X-CSRFToken": token}).status_code == 204
    assert client.session[LAST_ACTIVITY] >= before


def test_it_takes_only_post(signed_in):
    assert signed_in.get(HEARTBEAT).status_code == 405


def test_the_page_is_told_its_limits(signed_in, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    body = re.search(r"<body[^>]*>", signed_in.get("/").content.decode()).group(0)

    assert 'data-idle-seconds="60"' in body
    assert 'data-heartbeat-seconds="15"' in body
    assert 'data-countdown-seconds="30"' in body
    assert f'data-heartbeat-url="{HEARTBEAT}"' in body
    # What is left, to the millisecond: the session was active a moment ago.
    left = int(re.search(r'data-idle-ms-left="(\d+)"', body).group(1))
    assert 58_000 < left <= 61_000


def test_a_signed_out_page_is_told_nothing(client, db):
    body = re.search(r"<body[^>]*>", client.get("/accounts/login/").content.decode()).group(0)

    assert "data-idle" not in body
    assert "data-person" not in body


def test_the_countdown_dialog_is_on_every_signed_in_page(signed_in):
    page = signed_in.get("/").content.decode()

    assert 'id="idle-countdown"' in page
    assert "tap anywhere to stay" in page


@pytest.mark.parametrize(
    ("idle", "resolution", "countdown"),
    [(15 * 60, 60, 60), (5 * 60, 60, 60), (60, 15, 30), (6, 1, 3), (2, 1, 1)],
)
def test_short_idle_periods_scale_the_resolution_and_the_countdown(
    settings, idle, resolution, countdown
):
    settings.SESSION_IDLE_TIMEOUT = idle

    assert activity_resolution() == resolution
    assert countdown_seconds() == countdown


def test_at_a_one_minute_setting_a_tap_twenty_seconds_on_counts(signed_in, settings):
    settings.SESSION_IDLE_TIMEOUT = 60
    idle_for(signed_in, 20)
    before = signed_in.session[LAST_ACTIVITY]

    signed_in.get("/")

    assert signed_in.session[LAST_ACTIVITY] >= before + 20
