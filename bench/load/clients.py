"""The clients in worker processes: each a thread with its own browser, running one loop
(pages, step POSTs, the hammer) from a common start until the scenario's deadline."""

import csv
import http.client
import io
import math
import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from bench.load.browser import USER_AGENT, Browser, Reply, read_rows, read_since


@dataclass
class Job:
    """What one client does during a scenario."""

    kind: str  # get | step | bare_post | hammer
    cookies: dict[str, str]
    path: str = "/"
    expect: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    case: int = 0
    steps: list[int] = field(default_factory=list)
    client: int = 0
    budget: int = 1000
    warmup: int = 2
    read_csv: bool = False


@dataclass
class Outcome:
    """What one client saw: one entry per measured request."""

    latencies: list[float] = field(default_factory=list)  # ms
    statuses: list[int] = field(default_factory=list)
    first: float = math.inf  # wall clock of the first measured request
    last: float = 0.0  # and the end of the last
    failures: Counter = field(default_factory=Counter)
    rows: int = 0  # CSV rows received
    hammer: list[tuple] = field(default_factory=list)


def drive(port: int, jobs: list[Job], start_at: float, deadline: float) -> dict[str, Any]:
    """A worker process: its clients as threads, from ``start_at`` until ``deadline``."""
    outcomes = [Outcome() for _ in jobs]
    threads = [
        threading.Thread(target=_client, args=(port, job, outcome, start_at, deadline))
        for job, outcome in zip(jobs, outcomes, strict=True)
    ]
    for thread in threads:
        thread.start()
    _wait(start_at)  # the clients log in and warm up meanwhile: not counted
    before = os.times()
    for thread in threads:
        thread.join()
    after = os.times()
    cpu = (after.user - before.user) + (after.system - before.system)
    return {"outcomes": outcomes, "cpu": cpu}


def _client(port: int, job: Job, outcome: Outcome, start_at: float, deadline: float) -> None:
    browser = Browser(port, job.cookies)
    try:
        loop = {
            "get": _get_loop,
            "step": _step_loop,
            "record_only": _step_loop,
            "bare_post": _step_loop,
        }
        loop.get(job.kind, _hammer_loop)(browser, job, outcome, start_at, deadline)
    except Exception as error:  # a client that dies is counted, not hidden
        outcome.failures[f"{type(error).__name__}: {error}"[:120]] += 1
    finally:
        browser.close()


def _wait(start_at: float) -> None:
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)


def _measure(
    outcome: Outcome, browser: Browser, method: str, path: str, **request: Any
) -> Reply | None:
    began, wall = time.perf_counter(), time.time()
    try:
        reply = browser.request(method, path, **request)
    except (OSError, http.client.HTTPException) as error:
        outcome.failures[type(error).__name__] += 1
        outcome.statuses.append(0)
        outcome.latencies.append((time.perf_counter() - began) * 1000)
        outcome.first, outcome.last = min(outcome.first, wall), time.time()
        return None
    outcome.latencies.append((time.perf_counter() - began) * 1000)
    outcome.statuses.append(reply.status)
    outcome.first, outcome.last = min(outcome.first, wall), time.time()
    return reply


def _get_loop(browser: Browser, job: Job, outcome: Outcome, start_at: float, deadline: float):
    for _ in range(job.warmup):
        browser.request("GET", job.path, headers=job.headers)
    _wait(start_at)
    for number in range(job.budget):
        if number and time.time() >= deadline:
            break  # a page slower than the scenario is still measured once
        reply = _measure(outcome, browser, "GET", job.path, headers=job.headers)
        if reply is not None and job.read_csv and reply.status == 200:
            outcome.rows += sum(1 for _ in csv.reader(io.StringIO(reply.text))) - 1


def _step_loop(browser: Browser, job: Job, outcome: Outcome, start_at: float, deadline: float):
    """A tablet ticking its own step and unticking it, each POST based on the revision the
    previous answer showed; ``bare_post`` sends the same request to the bare view."""
    case_url = f"/cases/{job.case}/"
    page = browser.request("GET", case_url)
    browser.learn_csrf_token(page)
    step = job.steps[0]
    status, revision = read_rows(page.text)[step]
    since = read_since(page.text, 0)
    url = {
        "step": f"/cases/{job.case}/steps/{step}/",
        "record_only": f"/bench/record/{job.case}/{step}/",
        "bare_post": "/bench/bare-post/",
    }[job.kind]
    headers = browser.htmx_headers(case_url, f"step-{step}")

    for number in range(job.warmup + job.budget):
        if number == job.warmup:
            _wait(start_at)
        if number >= job.warmup and time.time() >= deadline:
            break
        target = "done" if status == "pending" else "pending"
        fields = {"csrfmiddlewaretoken": browser.csrf_token, "status": target}
        fields.update(revision=str(revision), since=str(since))
        body = urlencode(fields)
        if number >= job.warmup:
            reply = _measure(outcome, browser, "POST", url, body=body, headers=headers)
        else:
            reply = browser.request("POST", url, body=body, headers=headers)
        if reply is None or job.kind == "bare_post":
            continue
        if job.kind == "record_only":  # answers "status revision"
            if reply.status == 200:
                shown, revision_text = reply.text.split()
                status, revision = shown, int(revision_text)
            continue
        row = read_rows(reply.text).get(step)
        if row is None:
            outcome.failures[f"HTTP {reply.status} without the row"] += 1
            continue
        (status, revision), since = row, read_since(reply.text, since)


def _hammer_loop(browser: Browser, job: Job, outcome: Outcome, start_at: float, deadline: float):
    """One of several tablets on one case, changing steps others change too. Every request
    carries a unique tag (in its User-Agent, which the audit trail keeps; and in the note or
    the reason), so that the run can be checked against the database afterwards."""
    case_url = f"/cases/{job.case}/"
    page = browser.request("GET", case_url)
    browser.learn_csrf_token(page)
    known = read_rows(page.text)
    since = read_since(page.text, 0)
    rng = random.Random(job.client)  # noqa: S311 -- a reproducible mix, not a secret
    _wait(start_at)
    for number in range(job.budget):
        if time.time() >= deadline:
            break
        step = rng.choice(job.steps)
        status, revision = known[step]
        if status == "pending":
            target = "na" if rng.random() < 0.1 else "done"
        else:
            target = "pending" if rng.random() < 0.5 else "done"
        tag = f"c{job.client}n{number}"
        fields = {"csrfmiddlewaretoken": browser.csrf_token, "status": target}
        fields.update(revision=str(revision), since=str(since))
        if target == "done":
            fields["note"] = f"hammer {tag}"
        elif target == "na":
            fields["na_reason"] = f"hammer {tag}"
        headers = browser.htmx_headers(case_url, f"step-{step}")
        headers["User-Agent"] = f"{USER_AGENT} hammer {tag}"
        url = f"/cases/{job.case}/steps/{step}/"
        body = urlencode(fields)
        reply = _measure(outcome, browser, "POST", url, body=body, headers=headers)
        shown = read_rows(reply.text) if reply is not None else {}
        known.update(shown)
        if reply is not None:
            since = read_since(reply.text, since)
        seen = shown.get(step, (None, None))
        outcome.hammer.append((tag, step, target, revision, reply.status if reply else 0, *seen))
