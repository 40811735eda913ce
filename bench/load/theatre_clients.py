"""The theatres of bench/theatres.py, driven open-loop from a worker process.

Each theatre has a tablet and a wall display, and asks at the product's own rhythm whatever
the answers: the tablet polls its case every 3 s and ticks a step every 10 s, the wall display
polls every 2 s, someone loads the checklist page every 60 s; each theatre starts at a random
moment of each rhythm. A pool of threads, each with its own keep-alive connection, sends every
request when it is due. A request's time runs from when it was due, not from when a thread was
free to send it: a server (or a client) that falls behind shows in the figures rather than
slowing the clients down (no coordinated omission).
"""

import heapq
import os
import random
import re
import threading
import time
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import quote, urlencode

from bench.load.browser import Browser, read_rows, read_since

# Seconds between one theatre's requests of each kind.
EVERY = {"tablet poll": 3.0, "wall poll": 2.0, "tick": 10.0, "page": 60.0}
# What each kind may answer.
EXPECTED = {
    "tablet poll": {200, 304},
    "wall poll": {200, 204},
    "tick": {200},
    "page": {200},
}
SEEN = re.compile(r"display/live\?seen=([^\"&]+)\"")


def drive_theatres(
    port: int,
    theatres: list[dict[str, Any]],
    staff: list[dict[str, Any]],
    start_at: float,
    deadline: float,
    threads: int,
    seed: int,
) -> dict[str, Any]:
    """Drive ``theatres`` from ``start_at`` to ``deadline``; the latencies (ms) by kind, the
    statuses by kind, the failures and this process's CPU seconds."""
    rng = random.Random(seed)  # noqa: S311 -- a reproducible spread, not a secret
    due: list[tuple[float, int, int, str]] = []
    for index in range(len(theatres)):
        for kind, every in EVERY.items():
            due.append((start_at + rng.uniform(0, every), rng.random(), index, kind))
    heapq.heapify(due)
    state = _State(theatres, staff, due, deadline)
    before = os.times()
    workers = [
        threading.Thread(target=_worker, args=(port, state), daemon=True) for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    after = os.times()
    return {
        "latencies": dict(state.latencies),
        "statuses": {kind: dict(counts) for kind, counts in state.statuses.items()},
        "failures": dict(state.failures),
        "cpu": (after.user - before.user) + (after.system - before.system),
    }


class _State:
    def __init__(self, theatres, staff, due, deadline) -> None:
        self.theatres, self.staff, self.due, self.deadline = theatres, staff, due, deadline
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.failures: Counter = Counter()

    def next_due(self) -> tuple[float, int, str] | None:
        with self.lock:
            if not self.due or self.due[0][0] >= self.deadline:
                return None
            at, order, index, kind = heapq.heappop(self.due)
            heapq.heappush(self.due, (at + EVERY[kind], order, index, kind))
            return at, index, kind

    def record(self, kind: str, at: float, status: int) -> None:
        with self.lock:
            self.latencies[kind].append(1000 * (time.time() - at))
            self.statuses[kind][status] += 1


def _worker(port: int, state: _State) -> None:
    browser = Browser(port)
    while (job := state.next_due()) is not None:
        at, index, kind = job
        delay = at - time.time()
        if delay > 0:
            time.sleep(delay)
        theatre = state.theatres[index]
        try:
            status = _send(browser, kind, theatre, state.staff[index % len(state.staff)])
        except Exception as error:  # counted, and shown in the results
            browser.close()
            with state.lock:
                state.failures[f"{kind}: {type(error).__name__}"] += 1
            status = 0
        state.record(kind, at, status)
        if status and status not in EXPECTED[kind]:
            with state.lock:
                state.failures[f"{kind}: HTTP {status}"] += 1
    browser.close()


def _send(browser: Browser, kind: str, theatre: dict[str, Any], staff: dict[str, Any]) -> int:
    case = theatre["case"]
    if kind == "wall poll":
        browser.cookies = dict(theatre["display"])
        path = f"/rooms/{theatre['room']}/display/live?seen={quote(theatre['seen'])}"
        reply = browser.request("GET", path)
        if reply.status == 200 and (seen := SEEN.search(reply.text)):
            theatre["seen"] = seen.group(1)
        return reply.status
    browser.cookies = dict(staff["cookies"])
    case_url = f"/cases/{case}/"
    if kind == "page":
        return browser.request("GET", case_url).status
    if kind == "tablet poll":
        headers = {
            "HX-Request": "true",
            "HX-Trigger": "live-sync",
            "HX-Current-URL": f"{browser.origin}{case_url}",
            "If-None-Match": theatre.get("etag", ""),
        }
        reply = browser.request(
            "GET", f"/cases/{case}/version?since={theatre['since']}", headers=headers
        )
        if reply.status == 200:
            theatre["etag"] = reply.headers.get("ETag", "")
            theatre["since"] = read_since(reply.text, theatre["since"])
        return reply.status
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
    return reply.status
