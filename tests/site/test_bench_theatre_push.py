"""The push mode's client in bench/load/theatre_push.py: how it reads server-sent events, and how
it holds streams over real HTTP (a small server on a free loopback port, speaking the live
updates' contract: ``retry``, ``version`` and ``changed`` events, keep-alive comments, chunked
or not, a refusal, a stream that the server ends and the client reconnects)."""

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from bench.load.theatre_push import Event, EventParser, Stream, Streams

pytestmark = pytest.mark.no_database

STREAM = (
    b"retry: 3000\r\n\r\n"
    b"event: version\r\ndata: 41\r\n\r\n"
    b": keep-alive\r\n\r\n"
    b"event: version\ndata: 42\n\n"
    b"event: version\rdata: 43\r\r"
    b"data: first\ndata:second\nid: 7\n\n"
    b"event: changed\ndata: \xc3\xa9\n\n"
    b"event: nothing\n\n"
)
EXPECTED = [
    Event("version", "41"),
    Event("version", "42"),
    Event("version", "43"),
    Event("message", "first\nsecond"),
    Event("changed", "é"),
]


def test_it_reads_events_with_every_line_ending_and_comments():
    parser = EventParser()

    assert parser.feed(STREAM) == EXPECTED
    assert parser.retry_ms == 3000
    assert parser.comments == 1


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_it_reads_the_same_events_whatever_the_bytes_are_cut(size):
    parser = EventParser()

    events = [e for n in range(0, len(STREAM), size) for e in parser.feed(STREAM[n : n + size])]

    assert events == EXPECTED  # a CRLF cut after its CR is one line end, not two


def test_an_event_is_not_dispatched_before_its_blank_line():
    parser = EventParser()

    assert parser.feed(b"event: version\ndata: 5\n") == []
    assert parser.feed(b"\n") == [Event("version", "5")]


class _Handler(socketserver.StreamRequestHandler):
    """/events/cases/1/ sends two versions chunked then ends (once: then it holds);
    /events/rooms/2/ sends a change without chunks and holds; anything else is refused."""

    def handle(self) -> None:
        lines = []
        while (line := self.rfile.readline().decode("latin-1").rstrip("\r\n")) != "":
            lines.append(line)
        server: _EventServer = self.server  # type: ignore[assignment]
        server.requests.append(lines)
        path = lines[0].split()[1]
        if path == "/events/cases/1/":
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            body = [b"retry: 50\n\nevent: version\ndata: 1", b"0\n\n: keep-alive\n\n"]
            body.append(b"event: version\ndata: 11\n\n")
            for chunk in body:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            if len([r for r in server.requests if path in r[0]]) == 1:
                self.wfile.write(b"0\r\n\r\n")  # the server ends the first stream
                return
        elif path == "/events/rooms/2/":
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                b"Connection: close\r\n\r\nevent: changed\ndata: 0\n\n"
            )
            self.wfile.flush()
        else:
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        server.closing.wait(10)


class _EventServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[list[str]] = []
        self.closing = threading.Event()


@pytest.fixture
def event_server() -> Iterator[_EventServer]:
    server = _EventServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.closing.set()
        server.shutdown()
        server.server_close()


def _hold(port: int, streams: list[Stream], seconds: float) -> tuple[Streams, list]:
    heard: list[tuple[int, str, Event]] = []
    held = Streams(port, streams, lambda i, d, e, _: heard.append((i, d, e)), time.time() + seconds)
    held.start()
    time.sleep(seconds + 0.2)
    held.stop()
    return held, heard


def test_it_holds_streams_and_hands_over_their_events(event_server):
    port = event_server.server_address[1]
    tablet = Stream(0, "tablet", "/events/cases/1/", {"sessionid": "abc", "csrftoken": "x"})
    wall = Stream(1, "wall", "/events/rooms/2/", {"sitracker_display": "token"})

    held, heard = _hold(port, [tablet, wall], seconds=1.0)

    # The tablet's first stream ended; the client came back after the retry it was told.
    assert tablet.connections == 2 and tablet.retry_ms == 50
    tablet_events = [e for i, d, e in heard if (i, d) == (0, "tablet")]
    assert tablet_events == [Event("version", "10"), Event("version", "11")] * 2
    assert [(i, d, e) for i, d, e in heard if d == "wall"] == [(1, "wall", Event("changed", "0"))]
    assert held.open_at_end == 2
    assert 0 < held.seconds_to_connect() < 0.5
    assert not held.failures


def test_it_sends_the_devices_cookies_as_a_browser_behind_the_proxy_would(event_server):
    port = event_server.server_address[1]
    tablet = Stream(0, "tablet", "/events/cases/1/", {"sessionid": "abc", "csrftoken": "x"})

    _hold(port, [tablet], seconds=0.3)

    request = event_server.requests[0]
    assert request[0] == "GET /events/cases/1/ HTTP/1.1"
    assert "Cookie: sessionid=abc; csrftoken=x" in request
    assert "X-Forwarded-Proto: https" in request
    assert "Accept: text/event-stream" in request


def test_a_refused_stream_is_a_failure_and_not_open_at_the_end(event_server):
    port = event_server.server_address[1]
    refused = Stream(0, "tablet", "/events/cases/999/", {})
    wall = Stream(0, "wall", "/events/rooms/2/", {})

    held, _ = _hold(port, [refused, wall], seconds=0.5)

    assert held.failures == {"tablet stream: HTTP 403": 1}  # retried after 3 s: not yet
    assert held.open_at_end == 1
    assert refused.connections == 0
    assert held.seconds_to_connect() is None


def test_a_stream_the_server_drops_is_counted_and_retried():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        stream = Stream(0, "wall", "/events/rooms/2/", {})
        held = Streams(port, [stream], lambda *_: None, time.time() + 0.5)
        held.start()
        connection, _ = listener.accept()
        connection.close()  # before answering anything
        time.sleep(0.7)
        held.stop()

    assert held.failures == {"wall stream: ConnectionResetError": 1}
    assert held.open_at_end == 0
