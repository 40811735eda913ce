"""The report: the table with the machine, the date, the commit and how to read it."""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.load import ROOT
from bench.load.engines import Engine
from bench.load.results import render
from bench.load.run import Run
from bench.load.scenarios import ADMIN_PAGE_ROWS


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
