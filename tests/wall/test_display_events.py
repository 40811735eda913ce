"""A wall display's live push (checklists.live_push): its room's stream says "changed" whenever
a case of the room changes, and the display then asks for its screen with its own checks.
Streams are read from the ASGI events server on PostgreSQL (tests/events_server.py)."""

import pytest
from django.test import Client

from accounts import devices
from accounts.models import Room
from checklists import workflow
from procedures.choices import Phase
from procedures.models import Procedure
from tests.conftest import make_case, record_phase
from tests.events_server import stream

MI = "si-fusion-minimally-invasive"
postgres_only = pytest.mark.postgres_only


def enrolled(room: Room, administrator) -> dict[str, str]:
    """The cookies of a browser enrolled as ``room``'s wall display."""
    _, code = devices.new_pairing(room=room, name=f"{room.name} wall", by=administrator)
    browser = Client()
    assert browser.post("/display/", {"code": code}).status_code == 302
    return {devices.COOKIE: browser.cookies[devices.COOKIE].value}


def a_case(room: str, nurse, surgeon):
    case = make_case(Procedure.objects.get(slug=MI), actor=nurse, surgeon=surgeon, room=room)
    record_phase(case, Phase.SIGN_IN, nurse)
    return case


def test_with_push_the_display_follows_its_rooms_stream(client, administrator, settings):
    settings.LIVE_PUSH = True
    room = Room.objects.create(name="OR 4")
    display = Client()
    display.cookies.load(enrolled(room, administrator))

    html = display.get(f"/rooms/{room.pk}/display/").content.decode()

    assert f'data-events="/events/rooms/{room.pk}/"' in html
    assert 'data-hx-trigger="live-changed"' in html
    assert "every 2s" not in html


def test_without_push_the_display_polls(client, administrator):
    room = Room.objects.create(name="OR 4")
    display = Client()
    display.cookies.load(enrolled(room, administrator))

    html = display.get(f"/rooms/{room.pk}/display/").content.decode()
    refused = display.get(f"/events/rooms/{room.pk}/")

    assert 'data-hx-trigger="every 2s"' in html
    assert "data-events" not in html
    assert refused.status_code == 404


@postgres_only
def test_the_display_hears_each_change_of_its_rooms_cases(
    events_server, administrator, nurse, surgeon
):
    room, other_room = Room.objects.create(name="OR 4"), Room.objects.create(name="OR 5")
    cookies = enrolled(room, administrator)
    case, elsewhere = a_case("OR 4", nurse, surgeon), a_case("OR 5", nurse, surgeon)
    assert other_room.pk != room.pk

    with stream(events_server, f"/events/rooms/{room.pk}/", cookies) as events:
        assert events.status == 200
        connected = events.next_event()
        # another room's case changes: not told here
        workflow.cancel(actor=nurse, case_id=elsewhere.pk, reason="Moved to another list")
        workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")
        changed = events.next_event()

    assert connected == {"retry": "3000", "event": "changed", "data": "0"}
    assert changed == {"event": "changed", "data": str(case.pk)}


@postgres_only
def test_a_stream_is_only_for_the_rooms_own_display(events_server, administrator):
    room, other_room = Room.objects.create(name="OR 4"), Room.objects.create(name="OR 5")
    cookies = enrolled(room, administrator)

    with stream(events_server, f"/events/rooms/{other_room.pk}/", cookies) as other:
        assert other.status == 403
        assert "This display shows OR 4 only." in other.body()
    with stream(events_server, f"/events/rooms/{room.pk}/", {}) as nobody:
        assert nobody.status == 403
