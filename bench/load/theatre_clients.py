"""The theatres of bench/theatres.py, driven open-loop from a worker process.

Each theatre has a tablet and a wall display, and asks at the product's own rhythm whatever
the answers: the tablet ticks a step every 10 s, someone loads the checklist page every 60 s;
each theatre starts at a random moment of each rhythm. How the tablet and the wall learn of
changes depends on the mode:

- poll: the tablet polls its case every 3 s, the wall display every 2 s;
- push: each holds a server-sent event stream (bench/load/theatre_push.py); the tablet fetches
  what changed when its case's version passes the one it knows (its own ticks tell it theirs),
  the wall fetches its screen when its room says a case changed. A fetch is timed from when
  its event arrived. As static/js/live.js does, the tablet does not fetch while one of its
  requests (a tick, a fetch) is in flight, and catches up when it ends if the version it
  heard of is still newer than the one its answers showed: its own tick's event, which often
  arrives before the tick's answer, costs no fetch.

A dispatcher thread hands each request to a pool of threads (each with its own keep-alive
connection) when it is due. A request's time runs from when it was due, not from when a
thread was free to send it: a server (or a client) that falls behind shows in the figures
rather than slowing the clients down (no coordinated omission).

Beside the requests, *tick seen on wall*: from a tick's due time to the end of the first
wall answer that shows it (a new screen at the tick's version or later), in both modes.
"""

import heapq
import math
import os
import queue
import random
import re
import threading
import time
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import quote, urlencode

from bench.load.browser import Browser, read_rows, read_since
from bench.load.theatre_push import Event, Stream, Streams

# Seconds between one theatre's requests of each kind, per mode.
EVERY = {
    "poll": {"tablet poll": 3.0, "wall poll": 2.0, "tick": 10.0, "page": 60.0},
    "push": {"tick": 10.0, "page": 60.0},  # the fetches come when an event says so
}
# The requests each mode times, in the order the results show them.
KINDS = {
    "poll": ("tablet poll", "wall poll", "tick", "page"),
    "push": ("tablet fetch", "wall fetch", "tick", "page"),
}
# What each kind may answer.
EXPECTED = {
    "tablet poll": {200, 304},
    "tablet fetch": {200, 304},
    "wall poll": {200, 204},
    "wall fetch": {200, 204},
    "tick": {200},
    "page": {200},
}
SEEN_ON_WALL = "tick seen on wall"
SEEN = re.compile(r"display/live\?seen=([^\"&]+)\"")
VERSION = re.compile(r'id="live-sync"[^>]*? data-version="(\d+)"')


def drive_theatres(
    port: int,
    theatres: list[dict[str, Any]],
    staff: list[dict[str, Any]],
    start_at: float,
    seconds: float,
    threads: int,
    seed: int,
    mode: str = "poll",
    push_port: int = 0,
    barrier: tuple[Any, Any] | None = None,
) -> dict[str, Any]:
    """Drive ``theatres`` for ``seconds`` from ``start_at``. In push mode their streams connect
    first; with a ``barrier`` (two queues), this process then says how many are connected on
    the first and takes the start from the second instead. Returns the latencies (ms) by kind,
    the statuses by kind, the failures, this process's CPU seconds, the theatres as the level
    left them (for the next level) and, in push mode, the streams held and open at the end."""
    state = LevelState(theatres, staff, start_at=math.inf, deadline=math.inf)
    workers = [
        threading.Thread(target=_worker, args=(port, state), daemon=True) for _ in range(threads)
    ]
    for worker in workers:
        worker.start()  # now: the streams' first events ask for fetches before the level
    streams = _open_streams(push_port, state) if mode == "push" else None
    if streams is not None and barrier is not None:
        ready, go = barrier
        ready.put(streams.wait_until_connected(timeout=CONNECT_SECONDS + len(theatres) / 10))
        start_at = go.get()
    before = os.times()  # the level's CPU: not its streams' connecting
    state.start_at, state.deadline = start_at, start_at + seconds
    if streams is not None:
        streams.count_at(state.deadline)
    rng = random.Random(seed)  # noqa: S311 -- a reproducible spread, not a secret
    every = EVERY[mode]
    due: list[tuple[float, int, int, str]] = []
    for index in range(len(theatres)):
        for kind, period in every.items():
            due.append((start_at + rng.uniform(0, period), rng.random(), index, kind))
    heapq.heapify(due)
    _dispatch(state, due, every, threads)
    for worker in workers:
        worker.join()
    if streams is not None:
        streams.stop()
        for what, count in streams.failures.items():
            state.failures[what] += count
        missing = len(streams.streams) - (streams.open_at_end or 0)
        if missing:
            state.failures["stream: not connected at the end"] += missing
    after = os.times()
    latencies = dict(state.latencies)
    latencies[SEEN_ON_WALL] = state.ticks_seen()
    return {
        "latencies": latencies,
        "statuses": {kind: dict(counts) for kind, counts in state.statuses.items()},
        "failures": dict(state.failures),
        "cpu": (after.user - before.user) + (after.system - before.system),
        "theatres": theatres,
        "streams": len(streams.streams) if streams else 0,
        "open_streams": (streams.open_at_end or 0) if streams else 0,
        "connect_seconds": streams.seconds_to_connect() if streams else None,
        "reconnects": sum(s.connections - 1 for s in streams.streams if s.connections)
        if streams
        else 0,
    }


WARM_UP_THEATRES = 16
CONNECT_SECONDS = 60  # at least, for a client's streams to connect before a level starts


def warm_up(port: int, theatres: list[dict[str, Any]], staff: list[dict[str, Any]]) -> None:
    """Each kind of request once for a few theatres, unmeasured, each on a new connection (so
    that both workers see them): a server just started answers its first pages slowly, and the
    first level of a mode would pay for it. The theatres are left as the ticks leave them."""
    state = LevelState(theatres[:WARM_UP_THEATRES], staff, start_at=math.inf, deadline=math.inf)
    for index in range(len(state.theatres)):
        for kind in ("page", "tablet poll", "wall poll", "tick"):
            browser = Browser(port)
            try:
                _send(browser, kind, index, time.time(), state)
            finally:
                browser.close()


class LevelState:
    """One client process's level: the theatres, the requests due to the workers, and what
    they measured. Shared by the workers, the dispatcher and (push) the streams' thread."""

    def __init__(
        self, theatres: list[dict], staff: list[dict], start_at: float, deadline: float
    ) -> None:
        self.theatres, self.staff = theatres, staff
        self.start_at, self.deadline = start_at, deadline
        self.jobs: queue.SimpleQueue[tuple[float, int, str] | None] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.failures: Counter = Counter()
        self.ticks: list[tuple[int, float, int]] = []  # (theatre, due, its version)
        self.tablet_busy: Counter = Counter()  # per theatre: its tablet's ticks, fetches in flight
        self.heard: dict[int, tuple[int, float]] = {}  # per theatre: (newest version, first heard)
        self.screens: dict[int, list[tuple[float, int]]] = defaultdict(list)  # (shown at, version)

    def record(self, kind: str, at: float, status: int) -> None:
        if at < self.start_at:  # a fetch that a stream's first event asked for, before the level
            return
        with self.lock:
            self.latencies[kind].append(1000 * (time.time() - at))
            self.statuses[kind][status] += 1

    def hear(self, index: int, version: int, arrived: float) -> None:
        """A tablet's stream told of ``version``: fetch what changed, now or when the tablet's
        request in flight ends."""
        with self.lock:
            if version <= self.theatres[index]["version"]:
                return
            newest, first = self.heard.get(index, (version, arrived))
            self.heard[index] = (max(newest, version), first)
            self._catch_up(index)

    def tablet_sent(self, index: int) -> None:
        with self.lock:
            self.tablet_busy[index] += 1

    def tablet_answered(self, index: int, version: int | None, *, in_flight: bool) -> None:
        """A tablet's request ended (``in_flight``: one that held back fetches), its answer
        showing ``version`` (None: it showed none)."""
        with self.lock:
            theatre = self.theatres[index]
            if version is not None:
                theatre["version"] = max(theatre["version"], version)
            if in_flight:
                self.tablet_busy[index] -= 1
            self._catch_up(index)

    def _catch_up(self, index: int) -> None:
        # The lock held. One fetch for whatever was heard, timed from the first of it.
        if self.tablet_busy[index] or index not in self.heard:
            return
        newest, first = self.heard.pop(index)
        if newest > self.theatres[index]["version"]:
            self.tablet_busy[index] += 1
            self.jobs.put((first, index, "tablet fetch"))

    def ticks_seen(self) -> list[float]:
        """Per tick answered with its version: ms from its due time to the end of the first
        new wall screen at that version or later."""
        seen = []
        for index, due, version in self.ticks:
            shown = [at for at, v in self.screens[index] if v >= version and at >= due]
            if shown:
                seen.append(1000 * (min(shown) - due))
        return seen


def _dispatch(state: LevelState, due: list, every: dict[str, float], threads: int) -> None:
    """Hand each timed request to the workers when it is due, until the deadline; then tell
    each worker to stop (after the requests already handed over)."""
    while due and due[0][0] < state.deadline:
        at, order, index, kind = heapq.heappop(due)
        heapq.heappush(due, (at + every[kind], order, index, kind))
        delay = at - time.time()
        if delay > 0:
            time.sleep(delay)
        if kind == "tick":
            state.tablet_sent(index)
        state.jobs.put((at, index, kind))
    time.sleep(max(0.0, state.deadline - time.time()))
    for _ in range(threads):
        state.jobs.put(None)


def _open_streams(push_port: int, state: LevelState) -> Streams:
    """The tablet's and the wall's streams of every theatre, and what their events start."""
    streams = []
    for index, theatre in enumerate(state.theatres):
        staff = state.staff[index % len(state.staff)]
        streams.append(
            Stream(index, "tablet", f"/events/cases/{theatre['case']}/", staff["cookies"])
        )
        streams.append(
            Stream(index, "wall", f"/events/rooms/{theatre['room']}/", theatre["display"])
        )

    def on_event(index: int, device: str, event: Event, arrived: float) -> None:
        if arrived >= state.deadline:
            return
        if device == "tablet" and event.type == "version" and event.data.isdigit():
            state.hear(index, int(event.data), arrived)
        elif device == "wall" and event.type == "changed" and event.data.isdigit():
            state.jobs.put((arrived, index, "wall fetch"))
        else:
            with state.lock:
                state.failures[f"{device} stream: unexpected {event.type} event"] += 1

    held = Streams(push_port, streams, on_event)
    held.start()
    return held


def _worker(port: int, state: LevelState) -> None:
    browser = Browser(port)
    while (job := state.jobs.get()) is not None:
        at, index, kind = job
        version = None
        try:
            status, version = _send(browser, kind, index, at, state)
        except Exception as error:  # counted, and shown in the results
            browser.close()
            with state.lock:
                state.failures[f"{kind}: {type(error).__name__}"] += 1
            status = 0
        if kind in ("tick", "tablet fetch", "tablet poll"):
            state.tablet_answered(index, version, in_flight=kind != "tablet poll")
        state.record(kind, at, status)
        if status and status not in EXPECTED[kind]:
            with state.lock:
                state.failures[f"{kind}: HTTP {status}"] += 1
    browser.close()


def _send(
    browser: Browser, kind: str, index: int, at: float, state: LevelState
) -> tuple[int, int | None]:
    """One request; its status and, for the tablet's, the case's version its answer shows."""
    theatre = state.theatres[index]
    staff = state.staff[index % len(state.staff)]
    case = theatre["case"]
    if kind in ("wall poll", "wall fetch"):
        browser.cookies = dict(theatre["display"])
        path = f"/rooms/{theatre['room']}/display/live?seen={quote(theatre['seen'])}"
        reply = browser.request("GET", path)
        if reply.status == 200 and (seen := SEEN.search(reply.text)):
            theatre["seen"] = seen.group(1)
            _, _, version = theatre["seen"].partition(".")  # "<case>.<version>"
            if version.isdigit():
                with state.lock:
                    state.screens[index].append((time.time(), int(version)))
        return reply.status, None
    browser.cookies = dict(staff["cookies"])
    case_url = f"/cases/{case}/"
    if kind == "page":
        return browser.request("GET", case_url).status, None
    if kind in ("tablet poll", "tablet fetch"):
        headers = {
            "HX-Request": "true",
            "HX-Trigger": "live-sync",
            "HX-Current-URL": f"{browser.origin}{case_url}",
            "If-None-Match": theatre.get("etag", ""),
        }
        reply = browser.request(
            "GET", f"/cases/{case}/version?since={theatre['since']}", headers=headers
        )
        if reply.status != 200:
            return reply.status, None
        theatre["etag"] = reply.headers.get("ETag", "")
        theatre["since"] = read_since(reply.text, theatre["since"])
        return reply.status, _version(reply.text)
    browser.csrf_token = staff["csrf"]
    step = theatre["step"]
    target = "done" if theatre["status"] == "pending" else "pending"
    body = urlencode(
        {
            "csrfmiddlewaretoken": staff["csrf"],
            "status": target,
            "revision": str(theatre["revision"]),
            "since": str(theatre["since"]),
        }
    )
    headers = browser.htmx_headers(case_url, f"step-{step}")
    reply = browser.request("POST", f"{case_url}steps/{step}/", body=body, headers=headers)
    row = read_rows(reply.text).get(step)
    if row is not None:
        theatre["status"], theatre["revision"] = row
    version = _version(reply.text) if reply.status == 200 else None
    if version is not None:
        with state.lock:
            state.ticks.append((index, at, version))
    return reply.status, version


def _version(html: str) -> int | None:
    """The case's version an answer shows (its live-sync element, out of band)."""
    match = VERSION.search(html)
    return int(match.group(1)) if match else None
