"""The scale-out recipe, proven: two app servers behind nginx on one PostgreSQL.

``python -m bench.scale_out`` (or ``make bench-scale-out``) serves the application as
``deploy/`` ships it (bench/load/front.py): two gunicorns started from the app unit's
``ExecStart``, nginx with the shipped site over TLS in front, one PostgreSQL database at
127.0.0.1:5432. Then:

- the hammer (bench/load: 8 tablets changing the same 6 steps of one case, every change based
  on the revision the tablet last saw) through nginx, which sends each request to either app
  server: every accepted change must be in the database and the audit chain (0 lost updates,
  no 5xx), and ``verify_audit`` must find the chains intact;
- a tick on one app server, looked for by a tablet on the other: the time until the other
  server answers the new version, against the tablets' sync interval (3 s).

Writes bench/RESULTS-scale-out.md. Correctness is the point here, not throughput: the figures
are those of one 2-core machine running both servers, nginx, PostgreSQL and the clients.
"""

import argparse
import datetime
import os
import time
from pathlib import Path
from urllib.parse import urlencode

from bench.load import ROOT
from bench.load.browser import TLS_PORTS, Browser, read_rows, read_since
from bench.load.engines import PG_DATABASE, PG_SERVER, Engine
from bench.load.front import AppServer, FrontDoor
from bench.load.report import commit, machine, versions
from bench.load.results import render
from bench.load.run import Run, collect_static, prepare
from bench.load.scenarios import Scenarios

SYNC_INTERVAL_S = 3.0  # the tablets' live-sync poll (templates/checklists/case_detail.html)
TICKS = 20


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_out", description=__doc__)
    parser.add_argument("--seconds", type=float, default=30, help="the hammer's length")
    parser.add_argument("--count", type=int, default=2000, help="generated cases (history)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS-scale-out.md"))
    args = parser.parse_args()
    # What bench/load's Run and Scenarios read, at the sizes of this scenario.
    args.clients, args.poll_clients, args.page_clients = [8], 8, 1
    args.client_processes, args.warmup_seconds, args.max_requests = 2, 1.5, 20000
    args.hammer_seconds, args.reuse, args.verify_all = args.seconds, False, False
    return args


def cross_server_sync(servers: list[AppServer], sessions: list[dict], case: dict) -> list[float]:
    """Milliseconds from a tick answered by the first server until the second answers the
    case's new version, for ``TICKS`` ticks (done, then pending, in turn)."""
    writer = Browser(servers[0].port, sessions[0])
    reader = Browser(servers[1].port, sessions[1])
    case_url, step = f"/cases/{case['case']}/", case["steps"][0]
    page = writer.request("GET", case_url)
    writer.learn_csrf_token(page)
    status, revision = read_rows(page.text)[step]
    since = read_since(page.text, 0)
    delays = []
    for _ in range(TICKS):
        before = _version(reader, case["case"])
        target = "done" if status == "pending" else "pending"
        body = urlencode(
            {
                "csrfmiddlewaretoken": writer.csrf_token,
                "status": target,
                "revision": str(revision),
                "since": str(since),
            }
        )
        headers = writer.htmx_headers(case_url, f"step-{step}")
        reply = writer.request("POST", f"{case_url}steps/{step}/", body=body, headers=headers)
        answered = time.perf_counter()
        if reply.status != 200:
            raise RuntimeError(f"the tick was refused: HTTP {reply.status}")
        (status, revision), since = read_rows(reply.text)[step], read_since(reply.text, since)
        while _version(reader, case["case"]) == before:
            if time.perf_counter() - answered > 10 * SYNC_INTERVAL_S:
                raise RuntimeError("the other server never showed the tick")
            time.sleep(0.005)
        delays.append(1000 * (time.perf_counter() - answered))
    writer.close()
    reader.close()
    return delays


def _version(browser: Browser, case: int) -> int:
    reply = browser.request("GET", f"/cases/{case}/version")
    if reply.status != 200:
        raise RuntimeError(f"the version poll answered HTTP {reply.status}")
    return int(reply.text.split('"version":')[1].strip(" }"))


def main() -> None:
    args = parse_arguments()
    run = Run(args)
    started, code = time.time(), commit()
    loads = [Path("/proc/loadavg").read_text().split()[0]]
    engine = Engine("postgresql", "PostgreSQL", f"{PG_SERVER}/{PG_DATABASE}")
    servers: list[AppServer] = []
    front = None
    try:
        collect_static(run, engine)
        setup = prepare(run, engine)
        engine.version = engine.describe()
        env = run.env(engine, DJANGO_BEHIND_TLS_PROXY="1")
        servers = [AppServer(run.directory, env, name) for name in ("a", "b")]
        front = FrontDoor(run.directory, servers)
        os.environ[TLS_PORTS] = str(front.port)  # before the client processes start
        run.say(
            f"nginx on 127.0.0.1:{front.port} (TLS) in front of gunicorn on "
            + " and ".join(str(server.port) for server in servers)
        )
        scenarios = Scenarios(run, engine, front, setup)  # type: ignore[arg-type]
        scenarios.log_in_everyone()
        scenarios.hammer()
        answered = front.answered_by()
        delays = cross_server_sync(servers, scenarios.sessions["staff"], setup["step_cases"][0])
    finally:
        if front is not None:
            front.stop()
        for server in servers:
            server.stop()
        run.pool.shutdown()
        if not args.keep:
            engine.drop()
    loads.append(Path("/proc/loadavg").read_text().split()[0])
    text = _report(run, engine, answered, delays, loads, code, started)
    print(text)
    Path(args.output).write_text(text)
    run.say(f"written to {args.output}")


def _report(
    run: Run,
    engine: Engine,
    answered: dict[str, int],
    delays: list[float],
    loads: list[str],
    code: str,
    started: float,
) -> str:
    about = machine()
    ordered = sorted(delays)
    shares = ", ".join(f"{address}: {count:,}" for address, count in sorted(answered.items()))
    return "\n".join(
        [
            "# Scale-out: two app servers behind nginx on one PostgreSQL",
            "",
            "Written by `python -m bench.scale_out` (bench/scale_out.py says what it does). "
            "The deployment is `deploy/` as shipped: nginx with `deploy/nginx/sitracker.conf` "
            "over TLS, two gunicorns started from `deploy/systemd/sitracker@.service`'s "
            "`ExecStart`.",
            "",
            f"- Run: {datetime.date.today():%Y-%m-%d}, commit {code}, "
            f"{(time.time() - started) / 60:.1f} minutes; {versions()}; {engine.version}.",
            f"- Machine: {about['cpus']} CPUs ({about['cpu']}), {about['ram']}; load average "
            f"{loads[0]} before, {loads[1]} after (other work on the machine included).",
            "",
            "## The hammer through nginx",
            "",
            render(run.rows),
            "",
            f"Requests by the app server that answered them (nginx's log): {shares}.",
            "",
            "## A tick on one server, seen on the other",
            "",
            f"{len(delays)} ticks on the first app server; the second answered the new version "
            f"after {ordered[len(ordered) // 2]:.1f} ms (median), {ordered[-1]:.1f} ms at "
            f"worst: well within the tablets' {SYNC_INTERVAL_S:.0f} s sync interval, so a "
            "tablet on the other server shows the change at its next poll.",
            "",
        ]
    )


if __name__ == "__main__":
    main()
