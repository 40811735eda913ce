"""Live updates pushed to the tablets and wall displays: server-sent events fed by PostgreSQL.

Without push, every open tablet asks every 3 seconds whether its case changed and every wall
display every 2 seconds (``checklists.live_sync``); a thousand theatres would ask 800 times a
second, nearly always to hear "no". With push (``settings.LIVE_PUSH``), each page holds one
event stream instead, served by the ASGI events server (deploy/: sitracker-events.service), and
asks only when told that something changed:

- a trigger (migration 0041) NOTIFYs ``sitracker_case`` with the case, its version and its rooms
  whenever a change of a case commits;
- each events-server process holds one ``Hub``: a single connection LISTENing on that channel,
  handing each notification to the streams that follow the case or its room;
- a stream sends the case's version (a tablet) or "changed" (a wall display), and nothing else:
  no patient data travels on it, so what a page may see is still decided by the request it
  then makes, with that request's own checks (a revoked display, an ended session).

A stream ends after ``STREAM_SECONDS`` (the page reconnects, and its session or display is
checked again), and when the hub loses the database (the pages reconnect and read the current
version: a notification sent meanwhile is not lost on them).
"""

import asyncio
import json
import logging
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

logger = logging.getLogger(__name__)

CHANNEL = "sitracker_case"
KEEP_ALIVE_SECONDS = 20.0  # a comment line, so that proxies and the browser see a live stream
STREAM_SECONDS = 300.0  # then the page reconnects (jittered by up to a fifth)
RECONNECT_MS = 3000  # the browser's wait before reconnecting (EventSource's "retry")
RETRY_SECONDS = 2.0  # the hub's wait before listening again after losing the database
FOLLOW_TIMEOUT_SECONDS = 5.0  # a stream waits this long for the hub to listen, else 503
# libpq's TCP keepalives for the hub's connection, unless the database's settings say otherwise.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}


@dataclass(eq=False)
class Listener:
    """One stream's mailbox: the latest news, and an event to wake it."""

    case_id: int | None = None
    room: str | None = None
    latest: int = 0
    ended: bool = False
    woken: asyncio.Event = field(default_factory=asyncio.Event)

    def tell(self, value: int) -> None:
        self.latest = value  # a case's versions arrive in order: its row lock orders commits
        self.woken.set()

    def end(self) -> None:
        self.ended = True
        self.woken.set()


class Hub:
    """The database's notifications, handed to the listeners of each case and room."""

    def __init__(self) -> None:
        self.by_case: dict[int, set[Listener]] = defaultdict(set)
        self.by_room: dict[str, set[Listener]] = defaultdict(set)
        self.listening = asyncio.Event()
        self._task: asyncio.Task | None = None

    def add(self, *, case_id: int | None = None, room: str | None = None) -> Listener:
        """A listener of the case or the room (starting to listen, if the hub does not yet)."""
        self.start()
        listener = Listener(case_id=case_id, room=room)
        if case_id is not None:
            self.by_case[case_id].add(listener)
        if room is not None:
            self.by_room[room].add(listener)
        return listener

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="sitracker-live-push")

    def forget(self, listener: Listener) -> None:
        if listener.case_id is not None:
            _discard(self.by_case, listener.case_id, listener)
        if listener.room is not None:
            _discard(self.by_room, listener.room, listener)

    def deliver(self, payload: str) -> None:
        """One notification: {"case": id, "version": n, "rooms": [name, …]}."""
        try:
            change = json.loads(payload)
            case_id, version = int(change["case"]), int(change["version"])
            rooms = [str(room) for room in change["rooms"] or []]
        except (ValueError, KeyError, TypeError):
            logger.warning("Live updates: a notification was not understood and is ignored.")
            return
        for listener in self.by_case.get(case_id, ()):
            listener.tell(version)
        for room in rooms:
            for listener in self.by_room.get(room, ()):
                listener.tell(case_id)

    def end_all(self) -> None:
        for index in (self.by_case, self.by_room):
            for listeners in index.values():
                for listener in listeners:
                    listener.end()

    async def _listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    **listen_parameters(), autocommit=True
                ) as database:
                    await database.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    logger.info("Live updates: listening for changes of cases.")
                    async for notification in database.notifies():
                        self.deliver(notification.payload)
            except (psycopg.Error, OSError):
                logger.warning(
                    "Live updates: lost the database; the streams end and the pages reconnect "
                    "(listening again in %s s).",
                    RETRY_SECONDS,
                )
            except Exception:  # whatever it was, the streams must not wait on a dead hub
                logger.exception("Live updates: the hub failed; listening again.")
            self.listening.clear()
            self.end_all()
            await asyncio.sleep(RETRY_SECONDS)


def _discard(index: dict[Any, set[Listener]], key: Any, listener: Listener) -> None:
    listeners = index.get(key, set())
    listeners.discard(listener)
    if not listeners:
        index.pop(key, None)


def listen_parameters() -> dict[str, Any]:
    """How to reach the database Django uses, for the hub's own connection: it holds LISTEN, so
    it cannot be one of Django's, which come and go with requests. Django's own parameters,
    less those that make its synchronous cursors."""
    parameters = connections["default"].get_connection_params()
    for djangos_own in ("cursor_factory", "context", "prepare_threshold"):
        parameters.pop(djangos_own, None)
    # The connection waits in silence for as long as no case changes: TCP keepalives find a
    # dead one within half a minute (else the kernel's two hours), and the streams end then.
    return {**KEEPALIVES, **parameters}


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub() -> Hub:
    """The running event loop's hub (one per events-server process, which runs one loop)."""
    loop = asyncio.get_running_loop()
    for stale in [other for other in _hubs if other.is_closed()]:
        del _hubs[stale]
    if loop not in _hubs:
        _hubs[loop] = Hub()
    return _hubs[loop]


class PushUnavailable(Exception):
    """The hub cannot listen (the database is out of reach): the page polls meanwhile."""


async def case_stream(case_id: int) -> AsyncIterator[str] | None:
    """A tablet's stream: the case's version now, then at each change; None if no such case."""
    if await _case_version(case_id) is None:
        return None
    await _listening()
    return _stream({"case_id": case_id}, "version", lambda: _case_version(case_id))


async def room_stream(room: str) -> AsyncIterator[str]:
    """A wall display's stream: "changed" now (the display checks its screen), then whenever a
    case of the room changes, with the case's id."""
    await _listening()
    return _stream({"room": room}, "changed", _nothing)


async def _listening() -> None:
    """Wait for the hub to listen, so that a page is not promised pushes that cannot come."""
    hub().start()
    try:
        await asyncio.wait_for(hub().listening.wait(), timeout=FOLLOW_TIMEOUT_SECONDS)
    except TimeoutError:
        raise PushUnavailable from None


async def _case_version(case_id: int) -> int | None:
    from checklists.live_sync import case_version

    return await sync_to_async(case_version)(case_id=case_id)


async def _nothing() -> int:
    return 0


async def _stream(
    key: dict[str, Any], kind: str, first: Callable[[], Awaitable[int | None]]
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    ends_at = loop.time() + STREAM_SECONDS * random.uniform(1.0, 1.2)  # noqa: S311 -- a spread
    listener = hub().add(**key)
    try:
        await hub().listening.wait()
        # Read after following: a change committed in between reaches the listener as well.
        now = await first()
        # The stream holds no database connection while it waits: this request's thread would
        # otherwise keep one open per page for as long as the page stays.
        await sync_to_async(_close_connection)()
        yield f"retry: {RECONNECT_MS}\nevent: {kind}\ndata: {now or 0}\n\n"
        while not listener.ended and (left := ends_at - loop.time()) > 0:
            try:
                await asyncio.wait_for(listener.woken.wait(), timeout=min(KEEP_ALIVE_SECONDS, left))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            listener.woken.clear()
            if not listener.ended:
                yield f"event: {kind}\ndata: {listener.latest}\n\n"
    finally:
        hub().forget(listener)


def _close_connection() -> None:
    connection.close()  # this thread's: read in the thread, not in the event loop's


def unserved(request: HttpRequest) -> HttpResponse | None:
    """Why this server holds no stream, as the answer to give; None if it can hold one. The
    page polls in either case (static/js/live.js)."""
    if not settings.LIVE_PUSH:
        return HttpResponse(
            "Live updates are not pushed here: the page asks every few seconds instead.",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    if not isinstance(request, ASGIRequest):
        # A stream would hold one of the application server's few threads for good.
        logger.warning("Live updates: a stream was asked of the WSGI server; see deploy/.")
        return unavailable()
    return None


def unavailable() -> HttpResponse:
    return HttpResponse(
        "Live updates are out of reach for now: the page asks every few seconds meanwhile.",
        status=503,
        content_type="text/plain; charset=utf-8",
        headers={"Retry-After": "30"},
    )


def event_stream(stream: AsyncIterator[str]) -> StreamingHttpResponse:
    return StreamingHttpResponse(
        stream,
        content_type="text/event-stream; charset=utf-8",
        # nginx must pass each event on at once (deploy/nginx says so too).
        headers={"X-Accel-Buffering": "no", "Cache-Control": "no-store"},
    )
