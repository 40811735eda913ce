"""Live push (checklists.live_push): a committed change of a case NOTIFYs its version; the events
server streams it to the tablets following the case, and the pages follow their stream instead
of polling. Without push (SQLite, or the setting off) the pages poll as before.

The streams are read over real HTTP from the ASGI events server (tests/events_server.py), on
PostgreSQL: SQLite has no NOTIFY.
"""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.db import connection

from checklists import live_push
from tests.checklists.checklist_html import IDENTITY, content, mi_procedure
from tests.conftest import PASSWORD, make_case, record
from tests.events_server import stream

postgres_only = pytest.mark.postgres_only


def signed_in(client, user) -> dict[str, str]:
    """The session cookie of ``user``, signed in through the login form as a tablet would."""
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return {"sessionid": client.cookies["sessionid"].value}


def live_sync_element(html: str) -> str:
    start = html.index('<div id="live-sync"')
    return html[start : html.index(">", start)]


# Without push: the pages poll, and the stream's URL says why it has nothing.


def test_without_push_the_page_polls_and_offers_no_stream(client, nurse, case):
    client.force_login(nurse)

    element = live_sync_element(content(client.get(f"/cases/{case.pk}/")))
    refused = client.get(f"/events/cases/{case.pk}/")

    assert 'data-hx-trigger="every 3s"' in element
    assert "data-events" not in element
    assert refused.status_code == 404
    assert "the page asks every few seconds" in refused.content.decode()
    assert refused.headers["Cache-Control"].startswith("max-age=0, no-cache, no-store")


def test_with_push_the_page_follows_its_stream_instead_of_polling(client, nurse, case, settings):
    settings.LIVE_PUSH = True
    client.force_login(nurse)

    element = live_sync_element(content(client.get(f"/cases/{case.pk}/")))

    assert f'data-events="/events/cases/{case.pk}/"' in element
    assert 'data-hx-trigger="live-changed"' in element
    assert "every 3s" not in element
    assert f'data-version="{case.version}"' in element  # what the stream's versions are set against


def test_a_closed_case_follows_no_stream(client, nurse, case, settings):
    from checklists import workflow

    settings.LIVE_PUSH = True
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")
    client.force_login(nurse)

    element = live_sync_element(content(client.get(f"/cases/{case.pk}/")))

    assert "data-events" not in element
    assert "data-hx-get" not in element


def test_the_application_server_does_not_hold_streams(client, nurse, case, settings):
    """Under WSGI (gunicorn's threads, the test client) a stream would take a thread for good:
    503, and the page polls meanwhile. deploy/ sends /events/ to the ASGI server."""
    settings.LIVE_PUSH = True
    client.force_login(nurse)

    response = client.get(f"/events/cases/{case.pk}/")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "out of reach for now" in response.content.decode()


def test_a_hub_ignores_a_notification_it_cannot_read(caplog):
    hub = live_push.Hub.__new__(live_push.Hub)
    hub.by_case, hub.by_room = {}, {}

    hub.deliver("not json")
    hub.deliver(json.dumps({"case": "x", "version": 1, "rooms": []}))

    assert caplog.text.count("was not understood") == 2


# The trigger: a committed change NOTIFYs.


@postgres_only
def test_a_committed_change_notifies_the_case_its_version_and_its_room(
    reference_data, nurse, surgeon
):
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, room="OR 7")
    with psycopg.connect(**live_push.listen_parameters(), autocommit=True) as listening:
        listening.execute(f"LISTEN {live_push.CHANNEL}")

        record(case, IDENTITY, nurse)
        told = [json.loads(note.payload) for note in listening.notifies(timeout=5, stop_after=1)]

    case.refresh_from_db()
    assert told == [{"case": case.pk, "version": case.version, "rooms": ["OR 7"]}]


@postgres_only
def test_a_change_rolled_back_notifies_nobody(reference_data, nurse, surgeon):
    from django.db import transaction

    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon)
    with psycopg.connect(**live_push.listen_parameters(), autocommit=True) as listening:
        listening.execute(f"LISTEN {live_push.CHANNEL}")

        with pytest.raises(RuntimeError), transaction.atomic():
            record(case, IDENTITY, nurse)
            raise RuntimeError("the change fails after its UPDATE")
        told = list(listening.notifies(timeout=1, stop_after=1))

    assert told == []


# The streams, read from the events server.


@postgres_only
def test_a_tablet_hears_its_case_version_now_and_at_each_change(
    events_server, client, nurse, surgeon
):
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon)
    other = make_case(mi_procedure(), actor=nurse, surgeon=surgeon)
    cookies = signed_in(client, nurse)

    with stream(events_server, f"/events/cases/{case.pk}/", cookies) as events:
        assert events.status == 200
        assert events.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        assert events.headers["X-Accel-Buffering"] == "no"
        first = events.next_event()
        record(other, IDENTITY, nurse)  # another case's change is not told here
        record(case, IDENTITY, nurse)
        record(case, IDENTITY, nurse, status="pending", reason="Tapped the wrong row")
        second, third = events.next_event(), events.next_event()

    assert first == {"retry": "3000", "event": "version", "data": str(case.version)}
    assert second == {"event": "version", "data": str(case.version + 1)}
    assert third == {"event": "version", "data": str(case.version + 2)}


@postgres_only
def test_a_stream_is_refused_to_the_signed_out_and_for_no_case(events_server, client, nurse):
    cookies = signed_in(client, nurse)

    with stream(events_server, "/events/cases/1/", {}) as anonymous:
        assert anonymous.status == 302
        assert anonymous.headers["Location"].startswith("/accounts/login/")
    with stream(events_server, "/events/cases/987654/", cookies) as unknown:
        assert unknown.status == 404


@postgres_only
def test_open_streams_hold_no_database_connection(events_server, client, nurse, surgeon):
    """Each stream's request thread closes its connection before waiting: a thousand open pages
    must not be a thousand PostgreSQL backends. The hub listens on one for all of them."""
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon)
    cookies = signed_in(client, nurse)
    path = f"/events/cases/{case.pk}/"
    name = connection.settings_dict["NAME"]

    def backends() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name])
            return cursor.fetchone()[0]

    with stream(events_server, path, cookies) as first:
        first.next_event()
        before = backends()  # this test's, the hub's, and whatever the first request left
        opened = []
        for _ in range(12):
            opened.append(stream(events_server, path, cookies))
            opened[-1].__enter__().next_event()
        after = backends()
        for each in opened:
            each.__exit__(None, None, None)

    assert after <= before + 1


@postgres_only
def test_when_the_hub_loses_the_database_the_streams_end_and_come_back(
    events_server, client, nurse, surgeon
):
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon)
    cookies = signed_in(client, nurse)
    path = f"/events/cases/{case.pk}/"

    with stream(events_server, path, cookies) as events:
        events.next_event()
        with connection.cursor() as cursor:  # the hub's LISTEN connection, cut
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE %s AND pid <> pg_backend_pid()",
                [f"LISTEN {live_push.CHANNEL}%"],
            )
            assert cursor.fetchone() is not None
        with pytest.raises(EOFError):
            events.next_event()

    record(case, IDENTITY, nurse)  # while the hub listens again: the version read on connect
    give_up = time.monotonic() + 10
    while True:  # the page reconnects (EventSource's retry) until the hub listens again
        with stream(events_server, path, cookies) as again:
            if again.status == 200:
                assert again.next_event()["data"] == str(case.version + 1)
                break
            assert again.status == 503
        assert time.monotonic() < give_up
        time.sleep(0.2)


@postgres_only
def test_many_tablets_on_one_case_each_hear_every_change(events_server, client, nurse, surgeon):
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon)
    cookies = signed_in(client, nurse)
    heard: list[list[str]] = [[] for _ in range(5)]
    ready = threading.Barrier(len(heard) + 1, timeout=10)

    def tablet(number: int) -> None:
        with stream(events_server, f"/events/cases/{case.pk}/", cookies) as events:
            heard[number].append(events.next_event()["data"])
            ready.wait()
            heard[number].append(events.next_event()["data"])

    threads = [threading.Thread(target=tablet, args=(n,)) for n in range(len(heard))]
    for thread in threads:
        thread.start()
    ready.wait()
    record(case, IDENTITY, nurse)
    for thread in threads:
        thread.join(timeout=10)

    assert heard == [[str(case.version), str(case.version + 1)]] * len(heard)


def test_the_hubs_connection_finds_a_dead_database_within_half_a_minute():
    """TCP keepalives on the LISTEN connection, which waits in silence between changes; the
    database's own settings win where they say otherwise."""
    options = connection.settings_dict["OPTIONS"]
    parameters = live_push.listen_parameters()
    options["keepalives_idle"] = 60
    try:
        own = live_push.listen_parameters()
    finally:
        del options["keepalives_idle"]

    assert (parameters["keepalives"], parameters["keepalives_idle"]) == (1, 10)
    assert parameters["keepalives_interval"] * parameters["keepalives_count"] == 15
    assert own["keepalives_idle"] == 60


@postgres_only
def test_a_hub_that_fails_ends_its_streams_and_listens_again(transactional_db, monkeypatch, caplog):
    import asyncio

    monkeypatch.setattr(live_push, "RETRY_SECONDS", 0.05)

    def broken(self, payload):
        raise RuntimeError("a bug in delivering")

    async def scenario() -> tuple[bool, bool]:
        hub = live_push.Hub()
        listener = hub.add(case_id=1)
        await asyncio.wait_for(hub.listening.wait(), 5)
        monkeypatch.setattr(live_push.Hub, "deliver", broken)
        async with await psycopg.AsyncConnection.connect(
            **live_push.listen_parameters(), autocommit=True
        ) as other:
            await other.execute(f"NOTIFY {live_push.CHANNEL}, 'anything'")
        await asyncio.wait_for(listener.woken.wait(), 5)
        ended = listener.ended
        monkeypatch.undo()
        await asyncio.sleep(0.2)
        again = hub.listening.is_set()
        hub._task.cancel()
        return ended, again

    # A loop of its own, in a thread: the worker's own thread may hold a running loop already
    # (Playwright's, after a browser test).
    with ThreadPoolExecutor(max_workers=1) as thread:
        ended, again = thread.submit(asyncio.run, scenario()).result(timeout=30)

    assert ended and again
    assert "the hub failed; listening again" in caplog.text
