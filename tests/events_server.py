"""The ASGI events server of live push (``checklists.live_push``), run for a test in a thread with
uvicorn, as deploy/ runs it beside the application; and a client reading its event streams.

It serves the whole application (sync views too, as ASGI does), so a browser test can load the
pages and their streams from one origin. The database is the test's: the test must be
transactional (``transactional_db``), since the server's threads use their own connections.
"""

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import uvicorn


class EventsServer:
    def __init__(self) -> None:
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        from sitracker.asgi import application

        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            ASGIStaticFilesHandler(application),  # the static files, as the live server serves them
            lifespan="off",
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def start(self) -> "EventsServer":
        self.thread.start()
        give_up = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < give_up, "the events server did not start"
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture
def events_server(reference_data, settings) -> Iterator[EventsServer]:
    """The application under ASGI with live push on (a PostgreSQL test only: push needs NOTIFY),
    on a transactional database with its reference data (roles, procedures) put back."""
    from django.db import connections

    settings.LIVE_PUSH = True
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    # As deploy/ runs it: no persistent connections under ASGI, where each request's sync code
    # runs in a thread of its own (Django's advice), so none is left open when a request ends.
    shared = connections["default"].settings_dict  # every thread's connection reads this dict
    kept, shared["CONN_MAX_AGE"] = shared["CONN_MAX_AGE"], 0
    server = EventsServer().start()
    yield server
    server.stop()
    shared["CONN_MAX_AGE"] = kept


class Stream:
    """One event stream as a browser's EventSource reads it: its events, one at a time."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.response = response
        self.status = response.status
        self.headers = response.headers

    def next_event(self) -> dict[str, str]:
        """The next event ({"event": …, "data": …, "retry": …}); keep-alive comments skipped."""
        fields: dict[str, str] = {}
        while True:
            line = self.response.readline().decode()
            if line == "":
                raise EOFError("the stream ended")
            line = line.rstrip("\n")
            if line == "":
                if fields:
                    return fields
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")

    def body(self) -> str:
        return self.response.read().decode()


@contextmanager
def stream(server: EventsServer, path: str, cookies: dict[str, str], timeout: float = 10):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    headers = {"Accept": "text/event-stream"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    connection.request("GET", path, headers=headers)
    try:
        yield Stream(connection.getresponse())
    finally:
        connection.close()
