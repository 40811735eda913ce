"""How many theatres one server carries: a traffic model of whole theatres, ramped.

``python -m bench.theatres`` (or ``make bench-theatres``), per engine: the bench's gunicorn
(bench/load: 2 gthread workers of 4 threads, production settings) on a prepared database, and
theatres driven open-loop by bench/load/theatre_clients.py: per theatre a tablet polling every
3 s and ticking a step every 10 s, a wall display polling every 2 s, the checklist page loaded
once a minute. The number of theatres doubles from ``--start`` until the 95th percentile of the
polls or the ticks passes 100 ms, of the page loads 300 ms, or any request fails; the largest
number held is the result. Beside it, the bare GET view's requests per second in the same run:
this machine's speed varies up to 3× from day to day, so the theatres per 1,000 bare GETs a
second is the figure that compares runs.

Not modelled: a sign-out per case (one an hour per theatre, a 360th of the ticks) and the
review pages (reviewers, not theatres). Writes bench/RESULTS-theatres.md.
"""

import argparse
import datetime
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.load import ROOT
from bench.load.browser import Browser, log_in
from bench.load.clients import Job
from bench.load.engines import PG_DATABASE, PG_SERVER, Engine
from bench.load.report import commit, machine, versions
from bench.load.run import Run, collect_static, prepare
from bench.load.scenarios import Scenarios
from bench.load.server import Server, _database_cpu, _database_cpu_since, _machine_busy_seconds
from bench.load.theatre_clients import EVERY, drive_theatres

GOALS_MS = {"tablet poll": 100.0, "wall poll": 100.0, "tick": 100.0, "page": 300.0}
STAFF_SESSIONS = 8  # tablets share sessions: the server does not care whose session it is


@dataclass
class Level:
    theatres: int
    seconds: float
    p95: dict[str, float] = field(default_factory=dict)
    requests: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    app_cores: float = 0.0
    db_cores: float = 0.0
    client_cores: float = 0.0
    other_cores: float = 0.0

    @property
    def held(self) -> bool:
        return not self.failures and all(
            self.p95.get(kind, 0.0) <= goal for kind, goal in GOALS_MS.items()
        )


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.theatres", description=__doc__)
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--start", type=int, default=25, help="theatres at the first level")
    parser.add_argument("--max", type=int, default=1600, help="theatres prepared, at most")
    parser.add_argument("--seconds", type=float, default=30, help="per level")
    parser.add_argument("--count", type=int, default=2000, help="generated cases (history)")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--client-threads", type=int, default=48, help="per client process")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS-theatres.md"))
    args = parser.parse_args()
    # What bench/load's Run, prepare and Scenarios read.
    args.clients, args.poll_clients, args.page_clients = [1], 8, 1
    args.warmup_seconds, args.max_requests, args.reuse = 1.5, 20000, False
    args.workers, args.threads, args.verify_all = 2, 4, False  # gunicorn's, as bench/load
    return args


def run_level(run: Run, server: Server, theatres: list[dict], staff: list[dict]) -> Level:
    """One level: every theatre driven for ``--seconds``, with the CPU of each part."""
    args = run.args
    processes = args.client_processes
    groups = [theatres[n::processes] for n in range(processes)]
    start_at = time.time() + 2.0
    deadline = start_at + args.seconds
    futures = [
        run.pool.submit(
            drive_theatres, server.port, group, staff, start_at, deadline, args.client_threads, n
        )
        for n, group in enumerate(groups)
    ]
    while time.time() < start_at:
        time.sleep(0.01)
    app_before, busy_before = server.cpu_seconds(), _machine_busy_seconds()
    database_before, began = _database_cpu(), time.time()
    results = [future.result() for future in futures]
    window = max(time.time() - began, 1e-9)
    app = server.cpu_seconds() - app_before
    database = _database_cpu_since(database_before)
    clients = sum(result["cpu"] for result in results)
    busy = _machine_busy_seconds() - busy_before
    level = Level(theatres=len(theatres), seconds=args.seconds)
    for kind in EVERY:
        latencies = sorted(ms for result in results for ms in result["latencies"].get(kind, []))
        level.requests += len(latencies)
        if latencies:
            level.p95[kind] = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    for result in results:
        for what, count in result["failures"].items():
            level.failures[what] = level.failures.get(what, 0) + count
    level.app_cores, level.db_cores = app / window, database / window
    level.client_cores = clients / window
    level.other_cores = max(0.0, busy - app - database - clients) / window
    return level


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


def ramp(run: Run, engine: Engine) -> dict[str, Any]:
    args = run.args
    setup = prepare(run, engine)
    engine.version = engine.describe()
    out = run.manage(engine, "theatres", "--count", str(args.max), module="bench.prepare")
    theatres = json.loads(out.splitlines()[-1])
    server = Server(run, engine)
    levels: list[Level] = []
    try:
        staff = staff_sessions(server.port, run.password)
        bare_before = bare_get_rate(run, engine, server, setup, staff)
        count = args.start
        while count <= args.max:
            level = run_level(run, server, theatres[:count], staff)
            levels.append(level)
            run.say(
                f"{engine.label}: {count} theatres, "
                + ", ".join(f"p95 {kind} {ms:.0f} ms" for kind, ms in level.p95.items())
                + f", failures {sum(level.failures.values())}: "
                + ("held" if level.held else "not held")
            )
            if not level.held:
                break
            count *= 2
        bare_after = bare_get_rate(run, engine, server, setup, staff)
    finally:
        server.stop()
    held = max((level.theatres for level in levels if level.held), default=0)
    return {
        "engine": engine,
        "levels": levels,
        "held": held,
        "bare": (bare_before + bare_after) / 2,
        "bare_range": (bare_before, bare_after),
        "errors": server.log_text().count("Traceback"),
    }


def main() -> None:
    args = parse_arguments()
    run = Run(args)
    started, code = time.time(), commit()
    loads = [Path("/proc/loadavg").read_text().split()[0]]
    catalogue = {
        "sqlite": Engine("sqlite", "SQLite", "sqlite:////tmp/sitracker-bench-load.sqlite3"),
        "postgresql": Engine("postgresql", "PostgreSQL", f"{PG_SERVER}/{PG_DATABASE}"),
    }
    engines = [catalogue[key.strip()] for key in args.engines.split(",")]
    outcomes = []
    try:
        collect_static(run, engines[0])
        for engine in engines:
            try:
                outcomes.append(ramp(run, engine))
            finally:
                if not args.keep:
                    engine.drop()
    finally:
        run.pool.shutdown()
    loads.append(Path("/proc/loadavg").read_text().split()[0])
    text = report(outcomes, loads, code, started)
    print(text)
    Path(args.output).write_text(text)
    run.say(f"written to {args.output}")


def report(outcomes: list[dict], loads: list[str], code: str, started: float) -> str:
    about = machine()
    lines = [
        "# Theatres on one server",
        "",
        "Written by `python -m bench.theatres` (bench/theatres.py says what it models). "
        "Goals: p95 of polls and ticks ≤ 100 ms, of page loads ≤ 300 ms, no failure.",
        "",
        f"- Run: {datetime.date.today():%Y-%m-%d}, commit {code}, "
        f"{(time.time() - started) / 60:.1f} minutes; {versions()}.",
        f"- Machine: {about['cpus']} CPUs ({about['cpu']}), {about['ram']}; load average "
        f"{loads[0]} before, {loads[1]} after; {os.cpu_count()} cores share the server, the "
        "database and the clients.",
        "",
        "| Engine | Theatres held | Bare GET req/s (before, after) | Theatres per 1,000 bare "
        "GET/s | Tracebacks |",
        "|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        before, after = outcome["bare_range"]
        per_thousand = 1000 * outcome["held"] / outcome["bare"] if outcome["bare"] else 0
        lines.append(
            f"| {outcome['engine'].label} | {outcome['held']:,} | {outcome['bare']:,.0f} "
            f"({before:,.0f}, {after:,.0f}) | {per_thousand:,.0f} | {outcome['errors']} |"
        )
    lines += [
        "",
        "Each level (cores: CPU seconds per second of the level):",
        "",
        "| Engine | Theatres | Requests | p95 tablet poll ms | p95 wall poll ms | p95 tick ms "
        "| p95 page ms | Failures | App cores | DB cores | Client cores | Other cores | Held |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for outcome in outcomes:
        for level in outcome["levels"]:
            failures = "; ".join(f"{what} ×{n}" for what, n in level.failures.items()) or "0"
            p95 = [f"{level.p95[kind]:,.0f}" if kind in level.p95 else "—" for kind in EVERY]
            lines.append(
                f"| {outcome['engine'].label} | {level.theatres:,} | {level.requests:,} | "
                + " | ".join(p95)
                + f" | {failures} | {level.app_cores:.2f} | {level.db_cores:.2f} | "
                f"{level.client_cores:.2f} | {level.other_cores:.2f} | "
                f"{'✓' if level.held else '✗'} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
