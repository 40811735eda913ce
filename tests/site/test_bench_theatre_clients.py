"""The theatres' clients of bench/theatres.py (bench/load/theatre_clients.py): when a tablet in
push mode fetches what changed (as static/js/live.js decides), and a whole push level against
the real events server (tests/events_server.py: the application under ASGI with live push on,
PostgreSQL), a tick reaching the wall through the streams."""

import queue
import time

import pytest
from django.contrib.auth.models import User

from bench.load.browser import Browser, log_in
from bench.load.theatre_clients import SEEN_ON_WALL, LevelState, drive_theatres
from tests.conftest import PASSWORD


def _level(version: int = 10) -> LevelState:
    theatre = {"case": 1, "room": 2, "version": version}
    return LevelState([theatre], staff=[{}], start_at=0.0, deadline=time.time() + 60)


def _queued(state: LevelState) -> list[tuple[float, int, str] | None]:
    jobs = []
    while not state.jobs.empty():
        jobs.append(state.jobs.get())
    return jobs


def test_a_newer_version_heard_fetches_what_changed_timed_from_its_event():
    state = _level(version=10)

    state.hear(0, 10, arrived=100.0)  # what the tablet shows already (a stream's first event)
    state.hear(0, 11, arrived=101.0)

    assert _queued(state) == [(101.0, 0, "tablet fetch")]


def test_the_tablets_own_tick_costs_no_fetch_when_its_event_beats_its_answer():
    state = _level(version=10)
    state.tablet_sent(0)  # the tick

    state.hear(0, 11, arrived=100.0)
    state.tablet_answered(0, 11, in_flight=True)

    assert _queued(state) == []


def test_a_change_heard_during_a_request_is_fetched_when_it_ends():
    state = _level(version=10)
    state.tablet_sent(0)

    state.hear(0, 11, arrived=100.0)
    state.hear(0, 12, arrived=100.5)  # someone else's change, beyond the tick's
    state.tablet_answered(0, 11, in_flight=True)

    assert _queued(state) == [(100.0, 0, "tablet fetch")]  # one, from the first it heard
    state.hear(0, 12, arrived=101.0)  # the fetch is in flight: nothing more
    assert _queued(state) == []


@pytest.mark.postgres_only
def test_a_push_level_brings_each_tick_to_the_wall(events_server, nurse, surgeon, settings):
    from bench import prepare  # sets Django up: imported once the test's Django is

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # as bench.settings
    User.objects.create_superuser(prepare.SUPERUSER, password=PASSWORD)
    [theatre] = prepare.theatres(count=1)
    port = events_server.port  # it serves the pages as well as the streams
    browser = Browser(port, log_in(port, "nurse", PASSWORD))
    browser.learn_csrf_token(browser.request("GET", "/"))
    staff = [{"cookies": browser.cookies, "csrf": browser.csrf_token}]
    ready, go = queue.SimpleQueue(), queue.SimpleQueue()
    go.put(time.time() + 1.5)  # the start, whenever the streams are connected

    result = drive_theatres(
        port, [dict(theatre)], staff, 0.0, 11, 4, 0, "push", port, barrier=(ready, go)
    )

    assert ready.get_nowait() == 2  # both streams connected before the level started
    assert result["failures"] == {}
    assert result["streams"] == result["open_streams"] == 2
    ticks = result["latencies"]["tick"]
    assert len(ticks) >= 1 and result["statuses"]["tick"] == {200: len(ticks)}
    assert len(result["latencies"][SEEN_ON_WALL]) == len(ticks)  # no polling: pushed
    assert result["statuses"]["wall fetch"].get(200, 0) >= len(ticks)
    assert "tablet fetch" not in result["latencies"]  # its own ticks' events cost nothing
    assert result["theatres"][0]["version"] > theatre["version"]
