"""How many theatres one server carries: a traffic model of whole theatres, ramped.

``python -m bench.theatres`` (or ``make bench-theatres``), per engine and mode: the bench's
gunicorn (gthread: 2 workers of 4 threads unless --workers and --threads say otherwise;
production settings) on a prepared database, and theatres driven open-loop by
bench/load/theatre_clients.py: per theatre a tablet ticking a step every 10 s, the checklist
page loaded once a minute, and the tablet and a wall display keeping up with changes. In *poll*
mode the tablet polls every 3 s and the wall every 2 s; in *push* mode (PostgreSQL only:
``SITRACKER_LIVE_PUSH=1``, the ASGI process beside gunicorn) each holds a server-sent event
stream and fetches what changed when an event says so.
The number of theatres doubles from ``--start`` until the 95th percentile of the polls, the
fetches or the ticks passes 100 ms, of the page loads 300 ms, any request fails or (push) a
stream is not connected at the level's end; the largest number held is the result. Beside it,
the bare GET view's requests per second in the same run: this machine's speed varies up to 3×
from day to day, so the theatres per 1,000 bare GETs a second is the figure that compares runs.

Not modelled: a sign-out per case (one an hour per theatre, a 360th of the ticks) and the
review pages (reviewers, not theatres). Writes bench/RESULTS-theatres.md.
"""

import argparse
import datetime
import json
import os
import time
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.load import ROOT
from bench.load.browser import Browser, log_in
from bench.load.clients import Job
from bench.load.engines import PG_DATABASE, PG_SERVER, Engine
from bench.load.report import commit, machine, versions
from bench.load.run import Run, collect_static, prepare
from bench.load.scenarios import Scenarios
from bench.load.server import (
    PushServer,
    Server,
    _database_cpu,
    _database_cpu_since,
    _machine_busy_seconds,
    raise_open_files_limit,
)
from bench.load.theatre_clients import (
    CONNECT_SECONDS,
    KINDS,
    SEEN_ON_WALL,
    drive_theatres,
    warm_up,
)

GOALS_MS = {
    "tablet poll": 100.0,
    "wall poll": 100.0,
    "tablet fetch": 100.0,
    "wall fetch": 100.0,
    "tick": 100.0,
    "page": 300.0,
}
STAFF_SESSIONS = 8  # tablets share sessions: the server does not care whose session it is
LIVE_PUSH = "SITRACKER_LIVE_PUSH"


@dataclass
class Level:
    mode: str
    theatres: int
    seconds: float
    p95: dict[str, float] = field(default_factory=dict)
    seen_on_wall: tuple[float, float] | None = None  # p50, p95 in ms
    requests: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    app_cores: float = 0.0
    push_cores: float = 0.0
    db_cores: float = 0.0
    client_cores: float = 0.0
    other_cores: float = 0.0
    streams: int = 0  # held by the clients (push: two per theatre)
    open_streams: int = 0  # of them, connected at the level's end
    reconnects: int = 0
    connect_seconds: float | None = None  # until every stream had connected (the slowest client)
    push_rss_kib: int | None = None  # the push process's worker at the level's end
    push_threads: int | None = None
    db_connections: int | None = None  # to the bench database, at the level's end

    @property
    def held(self) -> bool:
        return (
            not self.failures
            and self.open_streams == self.streams
            and all(self.p95.get(kind, 0.0) <= goal for kind, goal in GOALS_MS.items())
        )


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.theatres", description=__doc__)
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument(
        "--modes", default="poll,push", help="poll, push or both (push: PostgreSQL only)"
    )
    parser.add_argument("--start", type=int, default=25, help="theatres at the first level")
    parser.add_argument("--max", type=int, default=1600, help="theatres prepared, at most")
    parser.add_argument("--seconds", type=float, default=30, help="per level")
    parser.add_argument("--count", type=int, default=2000, help="generated cases (history)")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--client-threads", type=int, default=48, help="per client process")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn's worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn's threads per worker")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS-theatres.md"))
    args = parser.parse_args()
    # What bench/load's Run, prepare and Scenarios read.
    args.clients, args.poll_clients, args.page_clients = [1], 8, 1
    args.warmup_seconds, args.max_requests, args.reuse = 1.5, 20000, False
    args.verify_all = False
    return args


def run_level(
    run: Run,
    server: Server,
    push: PushServer | None,
    theatres: list[dict],
    staff: list[dict],
    manager: Any = None,
) -> Level:
    """One level: every theatre driven for ``--seconds``, with the CPU of each part. In push
    mode, it starts once every client has connected its streams (through ``manager``'s
    queues)."""
    args, engine = run.args, server.engine
    mode = "push" if push else "poll"
    processes = args.client_processes
    indexes = [list(range(n, len(theatres), processes)) for n in range(processes)]
    level = Level(mode=mode, theatres=len(theatres), seconds=args.seconds)
    level.streams = 2 * len(theatres) if push else 0
    barrier = (manager.Queue(), manager.Queue()) if push else None
    start_at = time.time() + 2.0
    futures = [
        run.pool.submit(
            drive_theatres,
            *(server.port, [theatres[i] for i in group], staff, start_at, args.seconds),
            *(args.client_threads, n, mode, push.port if push else 0, barrier),
        )
        for n, group in enumerate(indexes)
    ]
    if barrier is not None:
        ready, go = barrier
        gives_up = CONNECT_SECONDS + len(theatres) / 10 + 60  # the clients' own limit, and more
        for _ in futures:
            ready.get(timeout=gives_up)  # each client, once its streams are connected
        start_at = time.time() + 1.0
        for _ in futures:
            go.put(start_at)
    deadline = start_at + args.seconds
    _sleep_until(start_at)
    app_before, busy_before = server.cpu_seconds(), _machine_busy_seconds()
    push_before = push.cpu_seconds() if push else 0.0
    database_before, began = _database_cpu(), time.time()
    _sleep_until(deadline - 1.0)  # the level's end, while every stream is still held
    if push:
        level.push_rss_kib = push.status_field("VmRSS")
        level.push_threads = push.status_field("Threads")
    level.db_connections = engine.connections()
    results = [future.result() for future in futures]
    window = max(time.time() - began, 1e-9)
    app = server.cpu_seconds() - app_before
    pushed = (push.cpu_seconds() - push_before) if push else 0.0
    database = _database_cpu_since(database_before)
    clients = sum(result["cpu"] for result in results)
    busy = _machine_busy_seconds() - busy_before
    for group, result in zip(indexes, results, strict=True):
        for index, theatre in zip(group, result["theatres"], strict=True):
            theatres[index].update(theatre)  # where this level left it, for the next
    for kind in KINDS[mode]:
        latencies = sorted(ms for result in results for ms in result["latencies"].get(kind, []))
        level.requests += len(latencies)
        if latencies:
            level.p95[kind] = percentile(latencies, 0.95)
    seen = sorted(ms for result in results for ms in result["latencies"][SEEN_ON_WALL])
    if seen:
        level.seen_on_wall = (percentile(seen, 0.50), percentile(seen, 0.95))
    for result in results:
        for what, count in result["failures"].items():
            level.failures[what] = level.failures.get(what, 0) + count
        level.open_streams += result["open_streams"]
        level.reconnects += result["reconnects"]
        if result["connect_seconds"] is not None:
            level.connect_seconds = max(level.connect_seconds or 0.0, result["connect_seconds"])
    level.app_cores, level.push_cores = app / window, pushed / window
    level.db_cores, level.client_cores = database / window, clients / window
    level.other_cores = max(0.0, busy - app - pushed - database - clients) / window
    return level


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def bare_get_rate(run: Run, engine: Engine, server: Server, setup: dict, staff: list) -> float:
    scenarios = Scenarios(run, engine, server, setup)
    jobs = [
        Job(kind="get", cookies=staff[n % len(staff)]["cookies"], path="/bench/bare/", budget=5000)
        for n in range(8)
    ]
    return scenarios.measure(jobs, seconds=5).rate


def staff_sessions(port: int, password: str) -> list[dict[str, Any]]:
    sessions = []
    for n in range(STAFF_SESSIONS):
        cookies = log_in(port, ("nurse", "scrub", "anaesthetist")[n % 3], password)
        browser = Browser(port, cookies)
        browser.learn_csrf_token(browser.request("GET", "/"))
        browser.close()
        sessions.append({"cookies": browser.cookies, "csrf": browser.csrf_token})
    return sessions


def ramp(run: Run, engine: Engine, modes: list[str]) -> dict[str, Any]:
    """Each mode's levels on one prepared database; the bare GET before the first mode and
    after the last."""
    args = run.args
    setup = prepare(run, engine)
    engine.version = engine.describe()
    out = run.manage(engine, "theatres", "--count", str(args.max), module="bench.prepare")
    theatres = json.loads(out.splitlines()[-1])
    staff: list[dict] = []
    bare_before = 0.0
    outcome: dict[str, Any] = {"engine": engine, "modes": [], "bare_range": (0.0, 0.0)}
    for number, mode in enumerate(modes):
        env = {LIVE_PUSH: "1" if mode == "push" else "0"}
        server = Server(run, engine, env=env, label=f"-{mode}")
        push, manager = None, None
        levels: list[Level] = []
        try:
            if mode == "push":
                push = PushServer(run, engine, env=env, label=f"-{mode}")
                manager = get_context("spawn").Manager()  # the clients' start line
            if not staff:
                staff = staff_sessions(server.port, run.password)
                bare_before = bare_get_rate(run, engine, server, setup, staff)
            warm_up(server.port, theatres, staff)
            count = args.start
            while count <= args.max:
                level = run_level(run, server, push, theatres[:count], staff, manager)
                levels.append(level)
                run.say(f"{engine.label}, {mode}: {count} theatres, {_summary(level)}")
                if not level.held:
                    break
                count *= 2
            if number == len(modes) - 1:
                outcome["bare_range"] = (
                    bare_before,
                    bare_get_rate(run, engine, server, setup, staff),
                )
        finally:
            for running in (push, server):
                if running is not None:
                    running.stop()
            if manager is not None:
                manager.shutdown()
        logs = [server.log_text()] + ([push.log_text()] if push else [])
        outcome["modes"].append(
            {
                "mode": mode,
                "levels": levels,
                "held": max((level.theatres for level in levels if level.held), default=0),
                "errors": sum(text.count("Traceback") for text in logs),
            }
        )
    outcome["bare"] = sum(outcome["bare_range"]) / 2
    return outcome


def _summary(level: Level) -> str:
    parts = [f"p95 {kind} {ms:.0f} ms" for kind, ms in level.p95.items()]
    if level.seen_on_wall:
        parts.append(f"tick seen on wall p50 {level.seen_on_wall[0]:.0f} ms")
    if level.streams:
        parts.append(f"streams open {level.open_streams}/{level.streams}")
    parts.append(f"failures {sum(level.failures.values())}")
    return ", ".join(parts) + ": " + ("held" if level.held else "not held")


def main() -> None:
    args = parse_arguments()
    raise_open_files_limit()  # before the client processes start: they inherit it
    run = Run(args)
    started, code = time.time(), commit()
    loads = [Path("/proc/loadavg").read_text().split()[0]]
    catalogue = {
        "sqlite": Engine("sqlite", "SQLite", "sqlite:////tmp/sitracker-bench-load.sqlite3"),
        "postgresql": Engine("postgresql", "PostgreSQL", f"{PG_SERVER}/{PG_DATABASE}"),
    }
    engines = [catalogue[key.strip()] for key in args.engines.split(",")]
    modes = [mode.strip() for mode in args.modes.split(",")]
    outcomes = []
    try:
        collect_static(run, engines[0])
        for engine in engines:
            # Push is PostgreSQL's (LISTEN/NOTIFY): SQLite keeps polling.
            engine_modes = [m for m in modes if m == "poll" or engine.key == "postgresql"]
            if not engine_modes:
                continue
            try:
                outcomes.append(ramp(run, engine, engine_modes))
            finally:
                if not args.keep:
                    engine.drop()
    finally:
        run.pool.shutdown()
    loads.append(Path("/proc/loadavg").read_text().split()[0])
    text = report(outcomes, loads, code, started, server=f"{args.workers} × {args.threads}")
    print(text)
    Path(args.output).write_text(text)
    run.say(f"written to {args.output}")


def report(
    outcomes: list[dict], loads: list[str], code: str, started: float, *, server: str = "2 × 4"
) -> str:
    about = machine()
    lines = [
        "# Theatres on one server",
        "",
        "Written by `python -m bench.theatres` (bench/theatres.py says what it models). "
        "Goals: p95 of polls, fetches and ticks ≤ 100 ms, of page loads ≤ 300 ms, no failure, "
        "(push) every stream connected at the level's end. *Poll*: the tablet polls every 3 s, "
        "the wall every 2 s. *Push*: each holds a server-sent event stream and fetches when "
        "an event says so (a fetch timed from its event).",
        "",
        f"- Run: {datetime.date.today():%Y-%m-%d}, commit {code}, "
        f"{(time.time() - started) / 60:.1f} minutes; {versions()}; gunicorn's gthread "
        f"workers × threads: {server}.",
        f"- Machine: {about['cpus']} CPUs ({about['cpu']}), {about['ram']}; load average "
        f"{loads[0]} before, {loads[1]} after; {os.cpu_count()} cores share the server, the "
        "database and the clients.",
        "",
        "| Engine | Mode | Theatres held | Bare GET req/s (before, after) | Theatres per 1,000 "
        "bare GET/s | Tracebacks |",
        "|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        before, after = outcome["bare_range"]
        for mode in outcome["modes"]:
            per_thousand = 1000 * mode["held"] / outcome["bare"] if outcome["bare"] else 0
            lines.append(
                f"| {outcome['engine'].label} | {mode['mode']} | {mode['held']:,} | "
                f"{outcome['bare']:,.0f} ({before:,.0f}, {after:,.0f}) | {per_thousand:,.0f} | "
                f"{mode['errors']} |"
            )
    lines += [
        "",
        "Each level (cores: CPU seconds per second of the level; *tablet* and *wall* are the "
        "polls in poll mode, the fetches in push mode; *tick seen on wall*: from a tick's due "
        "time to the end of the first wall answer showing it, p50 / p95; the streams, the push "
        "process's memory and threads and the database's connections at the level's end):",
        "",
        "| Engine | Mode | Theatres | Requests | p95 tablet ms | p95 wall ms | p95 tick ms "
        "| p95 page ms | Tick seen on wall ms | Failures | App cores | Push cores | DB cores "
        "| Client cores | Other cores | Streams open | Push RSS MiB | Push threads "
        "| DB connections | Held |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        for mode in outcome["modes"]:
            lines += [_level_row(outcome["engine"].label, level) for level in mode["levels"]]
    return "\n".join(lines) + "\n"


def _level_row(engine: str, level: Level) -> str:
    failures = "; ".join(f"{what} ×{n}" for what, n in level.failures.items()) or "0"
    p95 = [f"{level.p95[kind]:,.0f}" if kind in level.p95 else "—" for kind in KINDS[level.mode]]
    seen = "—"
    if level.seen_on_wall:
        seen = f"{level.seen_on_wall[0]:,.0f} / {level.seen_on_wall[1]:,.0f}"
    push = level.mode == "push"
    streams = f"{level.open_streams:,} of {level.streams:,}" if push else "—"
    if push and level.connect_seconds is not None:
        streams += f", all connected in {level.connect_seconds:.1f} s"
    if level.reconnects:
        streams += f", {level.reconnects:,} reconnections"
    rss = f"{level.push_rss_kib / 1024:,.0f}" if level.push_rss_kib is not None else "—"
    threads = f"{level.push_threads:,}" if level.push_threads is not None else "—"
    connections = f"{level.db_connections:,}" if level.db_connections is not None else "—"
    cells = [
        *(engine, level.mode, f"{level.theatres:,}", f"{level.requests:,}", *p95, seen),
        *(failures, f"{level.app_cores:.2f}", f"{level.push_cores:.2f}" if push else "—"),
        *(f"{level.db_cores:.2f}", f"{level.client_cores:.2f}", f"{level.other_cores:.2f}"),
        *(streams, rss, threads, connections, "✓" if level.held else "✗"),
    ]
    return "| " + " | ".join(cells) + " |"


if __name__ == "__main__":
    main()
