"""Load and concurrency benchmarks: ``make bench`` (``python -m bench.load --help``).

For each engine (SQLite in a file under /tmp with the production WAL settings; PostgreSQL in the
database ``sitracker_bench``) this prepares a database (migrate, demo users, ``generate_cases``
history, fresh cases), starts the application under gunicorn with ``bench.settings`` (the
production settings with DEBUG off, plus two bare views), logs clients in through the login form
and drives the application from separate processes on 127.0.0.1, each client on its own
keep-alive connection with its own session. Every scenario has a time limit and a request budget.

It prints one table and writes it, with the machine, the date and the commit, to
bench/RESULTS.md. The figures that matter are ratios measured in the same run against a yardstick
served by the same gunicorn: the step POST against a bare POST view, the live-sync 304 against a
bare GET view, the pages against the Django admin's changelist of cases.
"""

import argparse
import csv
import datetime
import http.client
import io
import json
import math
import os
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
# Not "sitracker_bench": bench/review_bench.py keeps its data there between runs.
PG_DATABASE = "sitracker_bench_load"
USER_AGENT = "sitracker-bench/1 (load client)"
HTTP_TIMEOUT = 300
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STAFF = ("nurse", "scrub", "anaesthetist")  # OR staff: they record steps
CLIENTS_PER_CASE = 4  # the tablets of one operating room, each person on their own steps
HAMMER_STEPS = 6  # the hammer's 8 clients share these steps of one case: conflicts on purpose
ADMIN_PAGE_ROWS = 100  # the admin changelist's list_per_page


# --- one client ---------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    """One tablet or desk: a keep-alive connection, its cookies and its CSRF token. Requests
    say X-Forwarded-Proto: https, as the TLS proxy in front of the application would."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies = dict(cookies or {})
        self.origin = f"https://127.0.0.1:{port}"
        self.connection: http.client.HTTPConnection | None = None
        self.csrf_token = ""

    def request(
        self, method: str, path: str, *, body: str | None = None, headers: dict | None = None
    ) -> Reply:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=HTTP_TIMEOUT
                )
            sent = {
                "Host": f"127.0.0.1:{self.port}",
                "X-Forwarded-Proto": "https",
                "User-Agent": USER_AGENT,
                "Accept-Encoding": "identity",
                **(headers or {}),
            }
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if body is not None:
                sent["Content-Type"] = "application/x-www-form-urlencoded"
            try:
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect, once, and only for
                # requests that change nothing (a POST might have been received).
                self.close()
                if attempt == 2 or method != "GET":
                    raise
                continue
            for cookie in response.headers.get_all("Set-Cookie") or ():
                name, _, rest = cookie.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if response.will_close:
                self.close()
            return Reply(response.status, response.headers, data)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def learn_csrf_token(self, page: Reply) -> None:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        match = match or re.search(r'"X-CSRFToken": "([^"]+)"', page.text)
        self.csrf_token = match.group(1) if match else self.cookies.get("csrftoken", "")

    def htmx_headers(self, current_url: str, target: str) -> dict[str, str]:
        return {
            "HX-Request": "true",
            "HX-Current-URL": self.origin + current_url,
            "HX-Target": target,
            "X-CSRFToken": self.csrf_token,
            "Origin": self.origin,
            "Referer": self.origin + current_url,
        }


def log_in(port: int, username: str, password: str) -> dict[str, str]:
    """Through the login form, as a person would; returns the session's cookies."""
    browser = Browser(port)
    form = browser.request("GET", "/accounts/login/")
    browser.learn_csrf_token(form)
    body = urlencode(
        {
            "csrfmiddlewaretoken": browser.csrf_token,
            "username": username,
            "password": password,
            "next": "/",
        }
    )
    headers = {"Origin": browser.origin, "Referer": browser.origin + "/accounts/login/"}
    answer = browser.request("POST", "/accounts/login/", body=body, headers=headers)
    browser.close()
    if answer.status != 302 or "/accounts/login/" in answer.headers.get("Location", ""):
        raise RuntimeError(f"login of {username} failed: HTTP {answer.status}")
    return browser.cookies


ROW = re.compile(r'<li id="step-(\d+)" class="step step-(\w+)[^"]*"[^>]*data-revision="(\d+)"')
SINCE = re.compile(r'id="live-sync-since" name="since" value="(\d+)"')


def read_rows(html: str) -> dict[int, tuple[str, int]]:
    """Every step row in a page or an htmx answer: {step id: (status, revision)}."""
    return {int(pk): (status, int(rev)) for pk, status, rev in ROW.findall(html)}


def read_since(html: str, default: int) -> int:
    match = SINCE.search(html)
    return int(match.group(1)) if match else default


# --- clients in worker processes ----------------------------------------------------------


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


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn serving sitracker.wsgi with bench.settings, its stderr kept in a file."""

    def __init__(self, run: "Run", engine: "Engine") -> None:
        self.port = free_port()
        self.log = run.directory / f"gunicorn-{engine.key}.log"
        command = [
            *(sys.executable, "-m", "gunicorn", "sitracker.wsgi"),
            *("--bind", f"127.0.0.1:{self.port}"),
            *("--workers", str(run.args.workers), "--worker-class", "gthread"),
            *("--threads", str(run.args.threads), "--keep-alive", "30"),
            *("--timeout", "300", "--graceful-timeout", "10"),
        ]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=run.env(engine), stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        give_up = time.time() + 60
        while time.time() < give_up:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                reply = Browser(self.port).request("GET", "/healthz")
            except OSError:
                reply = None
            if reply is not None and reply.status == 200 and len(self.workers()) > 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz; see {self.log}")

    def workers(self) -> list[int]:
        return [pid for pid, ppid in _processes() if ppid == self.process.pid]

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(pid) for pid in [self.process.pid, *self.workers()])

    def reset_peak_rss(self) -> bool:
        """Reset each worker's VmHWM (Linux: "5" into clear_refs), so it shows one export's."""
        try:
            for pid in self.workers():
                Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def memory_kib(self, field_name: str) -> int:
        """The largest of the workers' VmHWM (peak) or VmRSS (now), in KiB."""
        values = [0]
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(f"{field_name}:"):
                    values.append(int(line.split()[1]))
        return max(values)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _processes() -> list[tuple[int, int]]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            found.append((int(entry.name), int(stat.rsplit(")", 1)[1].split()[1])))
    return found


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _machine_busy_seconds() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


def _database_cpu() -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving the bench database (their process titles
    name it). Parallel query workers are not counted: their titles do not."""
    found = {}
    for pid, _ in _processes():
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"postgres:") and PG_DATABASE.encode() in title:
            found[pid] = _cpu_seconds(pid)
    return found


def _database_cpu_since(before: dict[int, float]) -> float:
    # Per backend, so that one that ended meanwhile does not count as negative time.
    return sum(max(0.0, seconds - before.get(pid, 0.0)) for pid, seconds in _database_cpu().items())


# --- engines and their databases ------------------------------------------------------------


@dataclass
class Engine:
    key: str
    label: str
    url: str
    version: str = ""

    def create(self) -> None:
        if self.key == "sqlite":
            path = Path(self.url.removeprefix("sqlite:///"))
            for leftover in path.parent.glob(path.name + "*"):
                leftover.unlink()
            return
        self._admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        self._admin(f"CREATE DATABASE {PG_DATABASE}")

    def exists(self) -> bool:
        if self.key == "sqlite":
            return Path(self.url.removeprefix("sqlite:///")).exists()
        return bool(self._admin("SELECT 1 FROM pg_database WHERE datname = %s", PG_DATABASE))

    def drop(self) -> None:
        if self.key == "sqlite":
            path = Path(self.url.removeprefix("sqlite:///"))
            for leftover in path.parent.glob(path.name + "*"):
                leftover.unlink()
        else:
            self._admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")

    def autovacuum_off(self) -> bool:
        return self.key == "postgresql" and self._admin("SHOW autovacuum")[0][0] == "off"

    def describe(self) -> str:
        if self.key == "sqlite":
            return f"SQLite {sqlite3.sqlite_version} (file under /tmp, WAL, IMMEDIATE)"
        version = self._admin("SHOW server_version")[0][0]
        return f"PostgreSQL {version.split()[0]} (127.0.0.1:5432)"

    def _admin(self, sql: str, *params: str) -> list[tuple]:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
            cursor = connection.execute(sql, params or None)
            return cursor.fetchall() if cursor.description else []


# --- results ------------------------------------------------------------------------------


@dataclass
class Row:
    engine: str
    scenario: str
    clients: int | str = ""
    requests: int | str = ""
    rate: float | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    errors: int | str = ""
    conflicts: int | str = ""
    cpu_ms: float | None = None
    db_cpu_ms: float | None = None
    ratio: str = ""
    goal: str = ""
    notes: str = ""
    busy: float = 0.0  # other processes' CPU meanwhile, in cores


@dataclass
class Measured:
    latencies: list[float]
    statuses: Counter
    failures: Counter
    seconds: float
    rate: float
    server_cpu: float
    database_cpu: float
    busy: float
    rows: int
    hammer: list[tuple]

    def percentile(self, fraction: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]

    def row(self, engine: str, scenario: str, clients: int, ok: tuple[int, ...]) -> Row:
        count = len(self.latencies)
        bad = sum(n for status, n in self.statuses.items() if status not in ok and status != 409)
        extra = sum(self.failures.values()) - self.statuses.get(0, 0)
        notes = "; ".join(f"{what} ×{n}" for what, n in self.failures.most_common(3))
        return Row(
            engine=engine,
            scenario=scenario,
            clients=clients,
            requests=count,
            rate=self.rate,
            p50=self.percentile(0.50),
            p95=self.percentile(0.95),
            p99=self.percentile(0.99),
            errors=bad + extra,
            conflicts=self.statuses.get(409, 0),
            cpu_ms=1000 * self.server_cpu / count if count else None,
            db_cpu_ms=1000 * self.database_cpu / count if count and self.database_cpu else None,
            notes=notes,
            busy=self.busy,
        )


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return ""
    return f"{value:,.{digits}f}" if value < 100 else f"{value:,.0f}"


def render(rows: list[Row]) -> str:
    head = (
        "| Engine | Scenario | Clients | Requests | req/s | p50 ms | p95 ms | p99 ms | Errors "
        "| 409 | App CPU ms/req | DB CPU ms/req | Ratio | Goal | Notes |"
    )
    lines = [head, "|" + "---|" * 15]
    for row in rows:
        busy = f" (machine busy: +{row.busy:.1f} cores)" if row.busy >= 0.3 else ""
        cells = [
            row.engine,
            row.scenario,
            str(row.clients),
            f"{row.requests:,}" if isinstance(row.requests, int) else row.requests,
            _number(row.rate),
            _number(row.p50),
            _number(row.p95),
            _number(row.p99),
            str(row.errors),
            str(row.conflicts),
            _number(row.cpu_ms, 2),
            _number(row.db_cpu_ms, 2),
            row.ratio,
            row.goal,
            row.notes + busy,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- one run ------------------------------------------------------------------------------


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.directory = Path(tempfile.mkdtemp(prefix="sitracker-bench-"))
        self.static_root = self.directory / "static"
        self.secret_key = secrets.token_urlsafe(50)
        self.audit_keys = f"bench:{secrets.token_urlsafe(40)}"
        self.password = "Bench-" + secrets.token_urlsafe(12)
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.pool = ProcessPoolExecutor(max_workers=args.client_processes, mp_context=_spawn())

    def env(self, engine: Engine, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": self.secret_key,
            "SITRACKER_AUDIT_KEYS": self.audit_keys,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": engine.url,
            "SITRACKER_BENCH_STATIC_ROOT": str(self.static_root),
            "SITRACKER_BENCH_EXTRA_STATIC": str(self.directory / "missing-static"),
            **extra,
        }
        return env

    def manage(self, engine: Engine, *args: str, module: str = "") -> str:
        command = [sys.executable, "-m", module] if module else [sys.executable, "manage.py"]
        done = subprocess.run(
            [*command, *args],
            cwd=ROOT,
            env=self.env(engine),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed on {engine.label}:\n{done.stderr}")
        return done.stdout

    def say(self, message: str) -> None:
        stamp = datetime.datetime.now().strftime("%H:%M:%S")
        print(f"[{stamp}] {message}", flush=True)


def collect_static(run: Run, engine: Engine) -> None:
    """collectstatic, as a deployment with DEBUG off must; a source map that a file refers to
    but that is missing gets an empty stand-in, and a note in the results."""
    run.say(f"collectstatic into {run.static_root}")
    (run.directory / "missing-static").mkdir(exist_ok=True)
    for _ in range(10):
        try:
            run.manage(engine, "collectstatic", "--no-input")
            return
        except RuntimeError as failure:
            missing = re.search(r"The file '([^']+\.map)' could not be found", str(failure))
            if not missing:
                raise
        stand_in = run.directory / "missing-static" / missing.group(1)
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.write_text('{"version": 3, "sources": [], "mappings": ""}')
        run.notes.append(
            f"collectstatic (DEBUG off) fails: a static file refers to `{missing.group(1)}`, "
            "which is missing; the bench served an empty stand-in. A deployment would stop there."
        )
    raise RuntimeError("collectstatic kept failing")


def _spawn() -> Any:
    return get_context("spawn")


def prepare(run: Run, engine: Engine) -> dict[str, Any]:
    """A fresh database with demo users and history, or the last run's (--reuse)."""
    reuse = run.args.reuse and engine.exists()
    started = time.time()
    if not reuse:
        engine.create()
    run.manage(engine, "migrate", "--no-input")
    run.manage(engine, "seed_demo", "--force", "--password", run.password)
    generated = {"cases": None}
    if not reuse and any(ROOT.glob("*/management/commands/generate_cases.py")):
        out = run.manage(engine, "generate", "--count", str(run.args.count), module="bench.prepare")
        generated = json.loads(out.splitlines()[-1])
    out = run.manage(
        engine,
        *("setup", "--password", run.password, "--step-cases", str(_step_cases(run))),
        module="bench.prepare",
    )
    setup = json.loads(out.splitlines()[-1])
    setup["prepared_in"] = time.time() - started
    setup["generated"] = generated
    run.say(
        f"{engine.label}: ready in {setup['prepared_in']:.0f} s, {setup['cases']:,} cases"
        + (" (reused)" if reuse else "")
    )
    return setup


def _step_cases(run: Run) -> int:
    return math.ceil(max(run.args.clients) / CLIENTS_PER_CASE)


class Scenarios:
    """The scenarios on one engine, against one running server."""

    def __init__(self, run: Run, engine: Engine, server: Server, setup: dict[str, Any]) -> None:
        self.run, self.engine, self.server, self.setup = run, engine, server, setup
        self.sessions: dict[str, list[dict[str, str]]] = {}

    def log_in_everyone(self) -> None:
        wanted = {
            "staff": [
                STAFF[n % len(STAFF)]
                for n in range(max(*self.run.args.clients, self.run.args.poll_clients, 8))
            ],
            "reviewer": ["reviewer"] * self.run.args.page_clients,
            "admin": [self.setup["superuser"]] * self.run.args.page_clients,
        }
        with ThreadPoolExecutor(max_workers=4) as threads:
            for persona, usernames in wanted.items():
                self.sessions[persona] = list(
                    threads.map(
                        lambda name: log_in(self.server.port, name, self.run.password), usernames
                    )
                )

    def measure(self, jobs: list[Job], *, seconds: float) -> Measured:
        processes = min(len(jobs), self.run.args.client_processes)
        groups = [jobs[n::processes] for n in range(processes)]
        # Each client first loads its page and warms up (a few requests, not counted); all
        # start measuring together at start_at, and the server's CPU is read from then on.
        start_at = time.time() + self.run.args.warmup_seconds + 0.05 * len(jobs)
        deadline = start_at + seconds
        futures = [
            self.run.pool.submit(drive, self.server.port, group, start_at, deadline)
            for group in groups
        ]
        _wait(start_at)
        sampled = time.time()
        server_before, busy_before = self.server.cpu_seconds(), _machine_busy_seconds()
        database_before = _database_cpu()
        results = [future.result() for future in futures]
        server_cpu = self.server.cpu_seconds() - server_before
        database_cpu = _database_cpu_since(database_before)
        busy = _machine_busy_seconds() - busy_before
        outcomes = [outcome for result in results for outcome in result["outcomes"]]
        client_cpu = sum(result["cpu"] for result in results)
        first = min((o.first for o in outcomes), default=start_at)
        last = max((o.last for o in outcomes), default=deadline)
        elapsed = max(last - first, 1e-9)
        latencies = [ms for o in outcomes for ms in o.latencies]
        window = max(time.time() - sampled, 1e-9)
        others = max(0.0, busy - server_cpu - client_cpu - database_cpu) / window
        return Measured(
            latencies=latencies,
            statuses=Counter(status for o in outcomes for status in o.statuses),
            failures=sum((o.failures for o in outcomes), Counter()),
            seconds=elapsed,
            rate=len(latencies) / elapsed,
            server_cpu=server_cpu,
            database_cpu=database_cpu,
            busy=others,
            rows=sum(o.rows for o in outcomes),
            hammer=[record for o in outcomes for record in o.hammer],
        )

    def add(self, row: Row) -> Row:
        self.run.rows.append(row)
        self.run.say(
            f"{row.engine} | {row.scenario} | {row.clients} clients | {_number(row.rate)} req/s"
            f" | p50 {_number(row.p50)} ms | errors {row.errors} | {row.ratio} {row.notes}"
        )
        return row

    # --- the step POST against the bare POST, at 1, 8 and 32 clients ------------------------

    def step_posts(self) -> None:
        for clients in self.run.args.clients:
            measured = {}
            for kind in ("step", "record_only", "bare_post"):
                jobs = [self._step_job(kind, n, clients) for n in range(clients)]
                measured[kind] = self.measure(jobs, seconds=self.run.args.duration)
            step = measured["step"].row(self.engine.label, "step POST (htmx)", clients, (200,))
            floor = measured["record_only"].row(
                self.engine.label, "step write only (bench floor)", clients, (200,)
            )
            bare = measured["bare_post"].row(self.engine.label, "bare POST", clients, (200,))
            _ratio(step, bare, "step/bare", 0.5)
            _ratio(floor, bare, "write/bare", None)
            self.add(step)
            self.add(floor)
            self.add(bare)

    def _step_job(self, kind: str, number: int, clients: int) -> Job:
        case = self.setup["step_cases"][number // CLIENTS_PER_CASE]
        return Job(
            kind=kind,
            cookies=self.sessions["staff"][number],
            case=case["case"],
            steps=[case["steps"][number % CLIENTS_PER_CASE]],
            budget=self.run.args.max_requests // clients,
            warmup=3,
        )

    # --- the live-sync poll answering 304, against the bare GET ------------------------------

    def poll(self) -> None:
        case = self.setup["page_case"]
        clients = self.run.args.poll_clients
        probe = Browser(self.server.port, self.sessions["staff"][0])
        page = probe.request("GET", f"/cases/{case}/")
        since = read_since(page.text, 0)
        version_url = f"/cases/{case}/version?since={since}"
        etag = probe.request("GET", version_url).headers.get("ETag", "")
        probe.close()
        if not etag:
            self.run.notes.append(f"{self.engine.label}: the poll sent no ETag.")
        headers = {
            "HX-Request": "true",
            "HX-Trigger": "live-sync",
            "HX-Current-URL": f"{probe.origin}/cases/{case}/",
            "If-None-Match": etag,
        }
        measured = {}
        for name, path, expect in (("poll", version_url, 304), ("bare", "/bench/bare/", 200)):
            jobs = [
                Job(
                    kind="get",
                    cookies=self.sessions["staff"][n],
                    path=path,
                    expect=expect,
                    headers=headers,
                    budget=self.run.args.max_requests // clients,
                )
                for n in range(clients)
            ]
            measured[name] = self.measure(jobs, seconds=self.run.args.duration)
        poll = measured["poll"].row(self.engine.label, "live-sync poll → 304", clients, (304,))
        bare = measured["bare"].row(self.engine.label, "bare GET", clients, (200,))
        _ratio(poll, bare, "304/bare", 0.8)
        self.add(poll)
        self.add(bare)

    # --- pages against the admin changelist ---------------------------------------------------

    def pages(self) -> None:
        clients = self.run.args.page_clients
        listed = self.setup["cases_listed"]
        pages = [
            ("admin changelist of cases", "/admin/checklists/case/", "admin"),
            ("checklist page GET", f"/cases/{self.setup['page_case']}/", "staff"),
            ("board (today)", "/", "staff"),
            (f"review list ({listed:,} cases)", "/review/", "reviewer"),
            ("review list, sorted by compliance", "/review/?sort=required", "reviewer"),
            ("dashboard, past year", "/review/dashboard/", "reviewer"),
        ]
        admin = None
        for scenario, path, persona in pages:
            jobs = [
                Job(
                    kind="get",
                    cookies=self.sessions[persona][n % len(self.sessions[persona])],
                    path=path,
                    budget=self.run.args.max_requests // clients,
                    warmup=1,
                )
                for n in range(clients)
            ]
            row = self.measure(jobs, seconds=self.run.args.duration).row(
                self.engine.label, scenario, clients, (200,)
            )
            if admin is None:
                admin, row.ratio = row, "yardstick"
            else:
                _ratio(row, admin, "vs admin", None)
            self.add(row)
        self.export(admin)

    def export(self, admin: Row) -> None:
        """The CSV export of the whole review list: rows/s, and the worker's peak memory."""
        baseline = self.server.memory_kib("VmRSS")
        exact = self.server.reset_peak_rss()
        job = Job(
            kind="get",
            cookies=self.sessions["reviewer"][0],
            path="/review/export/",
            budget=self.run.args.export_runs,
            warmup=0,
            read_csv=True,
        )
        measured = self.measure([job], seconds=self.run.args.duration)
        peak = self.server.memory_kib("VmHWM" if exact else "VmRSS")
        row = measured.row(self.engine.label, "CSV export (all listed cases)", 1, (200,))
        count = row.requests if isinstance(row.requests, int) else 0
        rows_per_export = measured.rows / count if count else 0
        rows_per_second = measured.rows / measured.seconds if measured.seconds else 0
        admin_rows = (admin.rate or 0) * min(ADMIN_PAGE_ROWS, self.setup["cases"])
        row.notes = (
            f"{rows_per_export:,.0f} rows per export, {rows_per_second:,.0f} rows/s; peak RSS "
            f"{peak / 1024:,.0f} MiB (worker at {baseline / 1024:,.0f} MiB before)"
            + ("" if exact else " (sampled after, not VmHWM)")
            + (f"; {row.notes}" if row.notes else "")
        )
        if admin_rows:
            row.ratio = f"rows/s vs admin {rows_per_second / admin_rows:.2f}"
        self.add(row)

    # --- the hammer ------------------------------------------------------------------------

    def hammer(self) -> None:
        case = self.setup["hammer_case"]
        steps = case["steps"][:HAMMER_STEPS]
        clients = 8
        log_offset = len(self.server.log_text())
        before = self._hammer_state(case["case"])
        jobs = [
            Job(
                kind="hammer",
                cookies=self.sessions["staff"][n],
                case=case["case"],
                steps=steps,
                client=n,
                budget=self.run.args.max_requests * 10,
            )
            for n in range(clients)
        ]
        measured = self.measure(jobs, seconds=self.run.args.hammer_seconds)
        row = measured.row(
            self.engine.label, f"hammer: one case, {len(steps)} shared steps", clients, (200,)
        )
        after = self._hammer_state(case["case"])
        verdict = self._verify_audit()
        log = self.server.log_text()
        locked = log[log_offset:].count("database is locked")
        fivexx = sum(n for status, n in measured.statuses.items() if status >= 500)
        check = check_hammer(measured.hammer, before, after)
        row.notes = (
            f"accepted {check['accepted']:,}, unchanged (already so) {check['unchanged']:,}, "
            f"lost updates {check['lost']}, 5xx {fivexx}, “database is locked” {locked}; "
            f"verify_audit: {verdict}" + (f"; {row.notes}" if row.notes else "")
        )
        if check["problems"]:
            row.notes += "; " + "; ".join(check["problems"][:3])
        row.goal = "lost 0, 5xx 0, locked 0: " + (
            "✓" if check["lost"] == 0 and fivexx == 0 and locked == 0 else "✗"
        )
        self.add(row)

    def _hammer_state(self, case: int) -> dict[str, Any]:
        out = self.run.manage(
            self.engine, "hammer-state", "--case", str(case), module="bench.prepare"
        )
        return json.loads(out.splitlines()[-1])

    def _verify_audit(self) -> str:
        cases = [self.setup["hammer_case"]["case"]] + [c["case"] for c in self.setup["step_cases"]]
        arguments = [] if self.run.args.verify_all else [f"--case={case}" for case in cases]
        done = subprocess.run(
            [sys.executable, "manage.py", "verify_audit", *arguments],
            cwd=ROOT,
            env=self.run.env(self.engine),
            capture_output=True,
            text=True,
            check=False,
        )
        lines = (done.stdout + done.stderr).strip().splitlines()
        verdict = next(
            (line for line in lines if "Audit trail" in line), lines[-1] if lines else ""
        )
        scope = "all cases" if self.run.args.verify_all else "the cases the bench changed"
        return f"{verdict} ({scope}, exit {done.returncode})"


def _ratio(row: Row, yardstick: Row, label: str, goal: float | None) -> None:
    """Throughput against the yardstick's; and, in brackets, the same ratio of CPU time per
    request (application and database), which the other processes on the machine disturb less."""
    if not (row.rate and yardstick.rate):
        return
    value = row.rate / yardstick.rate
    row.ratio = f"{label} {value:.2f}"
    cost, yardstick_cost = _cost(row), _cost(yardstick)
    if cost and yardstick_cost:
        row.ratio += f" (CPU {yardstick_cost / cost:.2f})"
    if goal is not None:
        row.goal = f"≥ {goal}: " + ("✓" if value >= goal else "✗")


def _cost(row: Row) -> float:
    return (row.cpu_ms or 0.0) + (row.db_cpu_ms or 0.0)


def check_hammer(records: list[tuple], before: dict, after: dict) -> dict[str, Any]:
    """Compare what the clients were told with what the database holds.

    A lost update is an accepted change the database does not show: a request answered 200
    with a new answer and no audit event for it, two accepted changes based on the same
    revision of a step, or a step whose revision or state is not its last accepted change.
    """
    problems: list[str] = []
    old = {event["seq"] for event in before["events"]}
    events = [event for event in after["events"] if event["seq"] not in old]
    by_tag = {}
    for event in events:
        tag = event["user_agent"].rpartition(" hammer ")[2]
        if tag in by_tag:
            problems.append(f"two events for request {tag}")
        by_tag[tag] = event
    lost = unchanged = 0
    for tag, _step, target, revision, status, *_shown in records:
        event = by_tag.get(tag)
        if status == 200 and event is None:
            if target == "pending":
                unchanged += 1  # asked for "pending" when it already was: a harmless no-op
            else:
                lost += 1
                problems.append(f"{tag}: 200 for {target} but no audit event")
        elif status != 200 and event is not None:
            lost += 1
            problems.append(f"{tag}: HTTP {status} yet an audit event")
        elif event is not None and event["before"]["revision"] != revision:
            lost += 1
            problems.append(f"{tag}: sent revision {revision}, event based on another")
    start = {step["pk"]: step["revision"] for step in before["steps"]}
    for step in after["steps"]:
        mine = [event for event in events if event["step_id"] == step["pk"]]
        expected_revision = start[step["pk"]]
        for event in mine:
            if event["before"]["revision"] != expected_revision:
                lost += 1
                problems.append(f"step {step['pk']}: change from a stale revision")
            expected_revision = event["after"]["revision"]
        if step["revision"] != start[step["pk"]] + len(mine) or (
            mine and step["revision"] != expected_revision
        ):
            lost += 1
            problems.append(f"step {step['pk']}: revision {step['revision']} ≠ changes")
        if mine:
            last = mine[-1]["after"]
            state = (step["status"], step["note"], step["na_reason"])
            if state != (last["status"], last["note"], last["na_reason"]):
                lost += 1
                problems.append(f"step {step['pk']}: state is not the last accepted change")
    return {
        "accepted": len(events),
        "unchanged": unchanged,
        "lost": lost,
        "problems": problems,
    }


# --- the report -----------------------------------------------------------------------------


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    memory = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    return {"cpus": str(os.cpu_count()), "cpu": cpu, "ram": f"{memory / 1024 / 1024:.1f} GiB"}


def commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{head} (dirty)" if git("status", "--porcelain") else head


def versions() -> str:
    import django
    import gunicorn

    python = ".".join(map(str, sys.version_info[:3]))
    return f"Python {python}, Django {django.get_version()}, gunicorn {gunicorn.__version__}"


def report(run: Run, engines: list[Engine], started: float, loads: list[str], code: str) -> str:
    about = machine()
    args = run.args
    minutes = (time.time() - started) / 60
    busiest = max((row.busy for row in run.rows), default=0.0)
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench.load`); the last run's table. Numbers come "
        "from this script, never from timed assertions in the test suite. See bench/README.md.",
        "",
        f"- Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
        f" ({minutes:.0f} minutes{', quick run' if args.quick else ''})",
        f"- Commit: {code}",
        f"- Machine: {about['cpus']} CPUs ({about['cpu']}), {about['ram']} RAM; "
        f"load average {' → '.join(loads)}",
        f"- Engines: {'; '.join(engine.version for engine in engines)}"
        + (
            "; PostgreSQL with DATABASE_PREPARED_STATEMENTS=1 (server-side binding, prepared "
            "statements)"
            if os.environ.get("DATABASE_PREPARED_STATEMENTS") == "1"
            else ""
        ),
        f"- Software: {versions()}; gunicorn `{args.workers} gthread workers × {args.threads} "
        "threads`, DEBUG off, bench.settings (production settings + bare views)",
        f"- Data: {args.count:,} generated cases (`generate_cases`) plus seed_demo's day; "
        f"{args.duration:g} s per scenario (at most {args.max_requests:,} requests), hammer "
        f"{args.hammer_seconds:g} s",
        f"- Load clients: Python, {args.client_processes} processes of threads, one keep-alive "
        "connection and one logged-in session each, on the same machine as the server",
        "",
        render(run.rows),
        "",
        "How to read it:",
        "",
        "- *Ratio* is requests per second against the yardstick measured in the same run by the "
        "same clients (in brackets: the yardstick's CPU time per request over this row's, "
        "application and database, which a busy machine disturbs less): a bare POST and a bare "
        "GET view behind the same middleware (session, CSRF, login required, session limits), "
        "and the Django admin's changelist of cases for "
        "the pages. For the export, rows per second against the admin's rows per second "
        f"({ADMIN_PAGE_ROWS} per page).",
        "- *App CPU ms/req* is the gunicorn processes' CPU time (from /proc) per request: what a "
        "request costs the application, whatever the client and the other processes did. *DB "
        "CPU* is the same for the PostgreSQL backends serving the bench database (SQLite runs "
        "inside the application).",
        "- *409* is a conflict: a change based on a revision someone else had already changed; "
        "the step POST rows give each client its own step, so 409s there would be a bug.",
        "- The hammer checks every answer against the database: each request carries a unique "
        "tag (kept in its audit event's user agent), so an accepted change without its event, "
        "two changes from the same revision, or a step whose revision or state is not its last "
        "accepted change counts as a lost update.",
    ]
    if busiest >= 0.3:
        lines.append(
            "- The machine was shared: rows marked *machine busy* had other processes using that "
            "many CPU cores meanwhile (other engineers' test runs); their throughput is lower "
            "than an idle machine's, the ratios less affected (both sides shared it)."
        )
    lines.extend(f"- {note}" for note in run.notes)
    return "\n".join(lines) + "\n"


# --- main ---------------------------------------------------------------------------------


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 cases, short scenarios")
    parser.add_argument("--count", type=int, help="generated cases (default 100,000)")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--duration", type=float, help="seconds per scenario (default 8)")
    parser.add_argument("--hammer-seconds", type=float, help="the hammer's length (default 60)")
    parser.add_argument("--max-requests", type=int, default=20000, help="per scenario")
    parser.add_argument("--clients", default="1,8,32", help="step POST concurrency levels")
    parser.add_argument("--poll-clients", type=int, default=8)
    parser.add_argument("--page-clients", type=int, default=2)
    parser.add_argument("--export-runs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2-4)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--warmup-seconds", type=float, default=1.5)
    parser.add_argument("--verify-all", action="store_true", help="verify_audit on every case")
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    parser.add_argument("--keep", action="store_true", help="do not drop the databases after")
    parser.add_argument(
        "--prepare-only", action="store_true", help="prepare the databases, measure nothing"
    )
    parser.add_argument("--output", help="where to write the results (default bench/RESULTS.md)")
    args = parser.parse_args()
    quick = args.quick
    args.count = args.count or (5000 if quick else 100_000)
    args.duration = args.duration or (3 if quick else 8)
    args.hammer_seconds = args.hammer_seconds or (10 if quick else 60)
    args.clients = [int(n) for n in args.clients.split(",")]
    if args.output is None and not quick:
        args.output = str(ROOT / "bench" / "RESULTS.md")
    return args


def main() -> None:
    args = parse_arguments()
    run = Run(args)
    started, code = time.time(), commit()  # the code that runs, whatever is committed meanwhile
    loads = [Path("/proc/loadavg").read_text().split()[0]]
    catalogue = {
        "sqlite": Engine("sqlite", "SQLite", "sqlite:////tmp/sitracker-bench-load.sqlite3"),
        "postgresql": Engine("postgresql", "PostgreSQL", f"{PG_SERVER}/{PG_DATABASE}"),
    }
    engines = [catalogue[key.strip()] for key in args.engines.split(",")]
    try:
        collect_static(run, engines[0])
        # Both databases are prepared at once: generating history is the slow part.
        with ThreadPoolExecutor(max_workers=len(engines)) as threads:
            setups = list(threads.map(lambda engine: prepare(run, engine), engines))
        for engine, setup in zip(engines, setups, strict=True):
            engine.version = engine.describe()
            if setup["generated"].get("analysed") and engine.autovacuum_off():
                run.notes.append(
                    f"{engine.label}: autovacuum is off on this server, so the bench runs ANALYZE "
                    "after loading the history, as autovacuum would have."
                )
            if args.prepare_only:
                continue
            server = Server(run, engine)
            run.say(f"{engine.label}: gunicorn on 127.0.0.1:{server.port}, logging clients in")
            try:
                scenarios = Scenarios(run, engine, server, setup)
                scenarios.log_in_everyone()
                scenarios.step_posts()
                scenarios.poll()
                scenarios.pages()
                scenarios.hammer()
            finally:
                server.stop()
            errors = server.log_text().count("Traceback")
            if errors:
                run.notes.append(f"{engine.label}: {errors} tracebacks in {server.log}.")
    finally:
        run.pool.shutdown()
        if not args.keep:
            for engine in engines:
                engine.drop()
    loads.append(Path("/proc/loadavg").read_text().split()[0])
    text = report(run, engines, started, loads, code)
    print()
    print(text)
    if args.output:
        Path(args.output).write_text(text)
        run.say(f"written to {args.output}")
    if args.keep:
        run.say(f"logs and databases kept; logs in {run.directory}")
    else:
        shutil.rmtree(run.directory, ignore_errors=True)


if __name__ == "__main__":
    main()
