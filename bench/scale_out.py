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
  server answers the new version, against the tablets' sync interval (3 s);
- live push through nginx: the events server (deploy/systemd/sitracker-events.service's
  command) behind the shipped site's ``/events/``, a tablet's stream held through nginx over
  TLS, and the time from a tick answered by an app server until the stream tells it.

Writes bench/RESULTS-scale-out.md. Correctness is the point here, not throughput: the figures
are those of one 2-core machine running both servers, nginx, PostgreSQL and the clients.
"""

import argparse
import datetime
import http.client
import os
import ssl
import threading
import time
from collections.abc import Iterator
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
from bench.load.server import PushServer
from bench.load.theatre_clients import VERSION
from bench.load.theatre_push import EventParser

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
    reader = Browser(servers[1].port, sessions[1])
    delays = []
    for _, answered, version in _ticks(servers[0], sessions[0], case):
        while _version(reader, case["case"]) < version:
            if time.perf_counter() - answered > 10 * SYNC_INTERVAL_S:
                raise RuntimeError("the other server never showed the tick")
            time.sleep(0.005)
        delays.append(1000 * (time.perf_counter() - answered))
    reader.close()
    return delays


def pushed_through_nginx(
    front: FrontDoor, server: AppServer, sessions: list[dict], case: dict
) -> list[tuple[float, float]]:
    """For ``TICKS`` ticks on an app server, milliseconds from sending the tick until (1) the
    case's event stream, held by the events server through nginx (TLS, /events/), told the new
    version and (2) the tick's own answer came back: live push as a tablet behind the shipped
    site gets it. A thread reads the stream, so each event is timed when it arrives."""
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE  # the run's self-signed certificate
    stream = http.client.HTTPSConnection("127.0.0.1", front.port, context=tls, timeout=30)
    cookies = "; ".join(f"{name}={value}" for name, value in sessions[1].items())
    stream.request("GET", f"/events/cases/{case['case']}/", headers={"Cookie": cookies})
    response = stream.getresponse()
    if response.status != 200 or not response.headers["Content-Type"].startswith(
        "text/event-stream"
    ):
        raise RuntimeError(f"the stream through nginx answered HTTP {response.status}")
    arrived: dict[int, float] = {}
    opened = threading.Event()

    def read() -> None:
        parser = EventParser()
        try:
            while chunk := response.read1(65536):
                now = time.perf_counter()
                for event in parser.feed(chunk):
                    if event.type == "version":
                        arrived.setdefault(int(event.data), now)
                        opened.set()
        except OSError:
            pass  # the stream closed at the end

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not opened.wait(30):
        raise RuntimeError("the stream through nginx sent no first event")
    delays = []
    for sent, answered, version in _ticks(server, sessions[0], case):
        while version not in arrived:
            if time.perf_counter() - sent > 10 * SYNC_INTERVAL_S:
                raise RuntimeError("the stream never told the tick")
            time.sleep(0.001)
        delays.append((1000 * (arrived[version] - sent), 1000 * (answered - sent)))
    stream.close()
    return delays


def _ticks(server: AppServer, session: dict, case: dict) -> Iterator[tuple[float, float, int]]:
    """``TICKS`` ticks of the case's first step on ``server`` (done, then pending, in turn):
    after each, when it was sent, when answered, and the case's version its answer shows."""
    writer = Browser(server.port, session)
    case_url, step = f"/cases/{case['case']}/", case["steps"][0]
    page = writer.request("GET", case_url)
    writer.learn_csrf_token(page)
    status, revision = read_rows(page.text)[step]
    since = read_since(page.text, 0)
    for _ in range(TICKS):
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
        sent = time.perf_counter()
        reply = writer.request("POST", f"{case_url}steps/{step}/", body=body, headers=headers)
        answered = time.perf_counter()
        if reply.status != 200:
            raise RuntimeError(f"the tick was refused: HTTP {reply.status}")
        (status, revision), since = read_rows(reply.text)[step], read_since(reply.text, since)
        yield sent, answered, int(VERSION.search(reply.text).group(1))  # type: ignore[union-attr]
    writer.close()


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
    front, push = None, None
    try:
        collect_static(run, engine)
        setup = prepare(run, engine)
        engine.version = engine.describe()
        behind = {"DJANGO_BEHIND_TLS_PROXY": "1", "SITRACKER_LIVE_PUSH": "1"}
        env = run.env(engine, **behind)
        servers = [AppServer(run.directory, env, name) for name in ("a", "b")]
        push = PushServer(run, engine, env=behind)
        front = FrontDoor(run.directory, servers, events_port=push.port)
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
        pushed = pushed_through_nginx(
            front, servers[0], scenarios.sessions["staff"], setup["step_cases"][0]
        )
    finally:
        if front is not None:
            front.stop()
        if push is not None:
            push.stop()
        for server in servers:
            server.stop()
        run.pool.shutdown()
        if not args.keep:
            engine.drop()
    loads.append(Path("/proc/loadavg").read_text().split()[0])
    text = _report(run, engine, answered, delays, pushed, loads, code, started)
    print(text)
    Path(args.output).write_text(text)
    run.say(f"written to {args.output}")


def _report(
    run: Run,
    engine: Engine,
    answered: dict[str, int],
    delays: list[float],
    pushed: list[tuple[float, float]],
    loads: list[str],
    code: str,
    started: float,
) -> str:
    about = machine()
    ordered = sorted(delays)
    told, answers = sorted(p[0] for p in pushed), sorted(p[1] for p in pushed)
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
            "## Live push through nginx",
            "",
            f"With live push on (`SITRACKER_LIVE_PUSH=1`, the events server started from "
            f"`deploy/systemd/sitracker-events.service`'s `ExecStart`, nginx's `/events/`), "
            f"a tablet's event stream held through nginx told each of {len(pushed)} ticks on "
            f"the first app server {told[len(told) // 2]:.1f} ms (median), {told[-1]:.1f} ms "
            "at worst, after the tick was sent (the tick's own answer came back after "
            f"{answers[len(answers) // 2]:.1f} ms, median: the event leaves at the commit, "
            "before the answer is drawn). The tablet then asks for the "
            "change at once, instead of at its next poll.",
            "",
        ]
    )


if __name__ == "__main__":
    main()
