"""The scenarios on one engine against one running server: the step POST, the live-sync
poll, the pages and the export, the hammer; each measured from worker processes."""

import json
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.load import ROOT
from bench.load.browser import Browser, log_in, read_since
from bench.load.clients import Job, _wait, drive
from bench.load.engines import Engine
from bench.load.results import Measured, Row, _number, _ratio, check_hammer
from bench.load.run import CLIENTS_PER_CASE, Run
from bench.load.server import (
    Server,
    _database_cpu,
    _database_cpu_since,
    _machine_busy_seconds,
)

STAFF = ("nurse", "scrub", "anaesthetist")  # OR staff: they record steps
HAMMER_STEPS = 6  # the hammer's 8 clients share these steps of one case: conflicts on purpose
ADMIN_PAGE_ROWS = 100  # the admin changelist's list_per_page


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
