"""What each of a theatre's requests costs the application: CPU and queries, in one process.

``python -m bench.request_costs`` prepares a small database (seed_demo's day and one theatre, as
bench/theatres.py prepares its theatres), then sends each request of the theatre traffic model
through Django's test client, many times over, and prints per request its queries, its Python
function calls and its CPU and wall milliseconds: the tick (a step's POST and its htmx answer),
the tablet's fetch of what changed, the wall display's new screen, the checklist page, and the
poll answered 304. No server, no network and no load generator share the cores, so the figures
are the application's own cost; `--sql` prints each kind's queries, `--profile KIND` cProfile's
functions for one kind (sorted by $SORT, cumulative by default; $CALLERS, a pattern, adds who
called the functions it matches).

The machine's speed drifts by a quarter within minutes: the kinds take turns in rounds and the
least CPU of a round is given with the median, and the function calls, which do not drift,
compare one version of the code with another to the call.

bench/theatres.py says how many theatres a server carries; this says where a request's time
goes, and measures a change to the hot paths before and after in a minute. Production settings
(bench.settings, DEBUG off); the engine's database is made afresh for each run.
"""

import argparse
import cProfile
import io
import os
import pstats
import secrets
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

from bench.load.engines import PG_SERVER

DATABASE = "sitracker_bench_costs"
SQLITE_PATH = "/tmp/sitracker-bench-costs.sqlite3"  # noqa: S108 -- a bench file, made afresh
KINDS = ("tick", "tablet fetch", "wall fetch", "page", "poll 304")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.request_costs", description=__doc__)
    parser.add_argument("--engine", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--repeat", type=int, default=300, help="requests of each kind")
    parser.add_argument(
        "--rounds", type=int, default=6, help="rounds the requests of each kind are split into"
    )
    parser.add_argument("--profile", choices=KINDS, help="cProfile one kind afterwards")
    parser.add_argument("--top", type=int, default=40, help="functions the profile prints")
    parser.add_argument("--sql", action="store_true", help="print each kind's queries")
    return parser.parse_args()


def use_fresh_database(engine: str) -> None:
    """Point Django (not yet set up) at a new, empty database of ``engine``."""
    if engine == "sqlite":
        for leftover in (SQLITE_PATH, f"{SQLITE_PATH}-wal", f"{SQLITE_PATH}-shm"):
            if os.path.exists(leftover):
                os.unlink(leftover)
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_PATH}"
    else:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {DATABASE}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{DATABASE}"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="0",  # production settings, as bench/theatres.py serves them
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        SITRACKER_AUDIT_KEYS=f"bench:{secrets.token_urlsafe(40)}",
        DJANGO_ALLOWED_HOSTS="testserver",  # the test client's host
    )


class Theatre:
    """One theatre's tablet (a nurse's session) and wall display, and their requests."""

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.test import Client

        from bench import prepare

        call_command("migrate", verbosity=0)
        password = secrets.token_urlsafe(12)  # never typed: the tablet's session is forced
        call_command("seed_demo", password=password, force=True, stdout=io.StringIO())
        prepare.setup(password=password, step_cases=0)
        theatre = prepare.theatres(count=1)[0]
        self.case, self.step, self.room = theatre["case"], theatre["step"], theatre["room"]
        self.url = f"/cases/{self.case}/"
        headers = {"HTTP_X_FORWARDED_PROTO": "https"}  # bench.settings: behind a TLS proxy
        self.tablet = Client(**headers)
        self.tablet.force_login(get_user_model().objects.get(username="nurse"))
        self.wall = Client(**headers)
        for name, value in theatre["display"].items():
            self.wall.cookies[name] = value
        # Each kind reads what the tablet would know from its page (a revision, the last change
        # seen), then gives the request itself: only the request's own queries are counted.
        self.requests: dict[str, Callable[[], Callable[[], Any]]] = {
            "tick": self.tick,
            "tablet fetch": self.tablet_fetch,
            "wall fetch": lambda: lambda: self.expect(self.wall.get(self.wall_path), 200),
            "page": lambda: lambda: self.expect(self.tablet.get(self.url), 200),
            "poll 304": self.poll,
        }
        self.wall_path = f"/rooms/{self.room}/display/live?seen=older"

    @staticmethod
    def expect(response: Any, status: int) -> Any:
        if response.status_code != status:
            raise SystemExit(f"{response.request['PATH_INFO']}: HTTP {response.status_code}")
        return response

    def since(self) -> int:
        from checklists.models import Case

        return Case.objects.values_list("audit_seq", flat=True).get(pk=self.case)

    def tick(self) -> Callable[[], Any]:
        """The step toggled, as the tablet sends it (its revision and what the page last saw)."""
        from checklists.models import CaseStep

        step = CaseStep.objects.get(pk=self.step)
        data = {
            "status": "done" if step.status == "pending" else "pending",
            "revision": step.revision,
            "since": self.since() - 1,  # the page had not seen the last change
        }
        headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": f"step-{self.step}"}
        path = f"{self.url}steps/{self.step}/"
        return lambda: self.expect(self.tablet.post(path, data, **headers), 200)

    def tablet_fetch(self) -> Callable[[], Any]:
        path = f"{self.url}version?since={self.since() - 2}"  # two changes to catch up with
        return lambda: self.expect(self.tablet.get(path, HTTP_HX_REQUEST="true"), 200)

    def poll(self) -> Callable[[], Any]:
        from checklists.checklist_context import etag
        from checklists.models import Case

        version = Case.objects.values_list("version", flat=True).get(pk=self.case)
        path = f"{self.url}version?since={self.since()}"
        tag = f'"{etag(self.case, version)}"'
        headers = {"HTTP_HX_REQUEST": "true", "HTTP_IF_NONE_MATCH": tag}
        return lambda: self.expect(self.tablet.get(path, **headers), 304)


def count_queries(theatre: Theatre, kind: str, *, sql: bool = False) -> int:
    """Queries of one request of ``kind``, after a few to warm up. The tick's, the fetch's
    and the poll's reads of the state they send (a query or two, as a tablet knows it from its
    page) are not counted: the request alone is."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        theatre.requests[kind]()()
    request = theatre.requests[kind]()
    with CaptureQueriesContext(connection) as queries:
        request()
    count = len(queries)  # now: the next requests clear the connection's log
    if sql:
        print(f"-- {kind}", *(query["sql"] for query in queries.captured_queries), sep="\n")
    return count


def calls_per_request(theatre: Theatre, kind: str, requests: int = 20) -> float:
    """Python function calls per request of ``kind`` (cProfile's count, their reads included):
    unlike the CPU ms, the same on a slow day and a fast one, so it compares code with code."""
    profile = cProfile.Profile()
    profile.runcall(lambda: [theatre.requests[kind]()() for _ in range(requests)])
    return pstats.Stats(profile).total_calls / requests  # type: ignore[attr-defined]


def timed_round(theatre: Theatre, kind: str, requests: int) -> tuple[float, float]:
    """CPU and wall ms per request over ``requests`` of ``kind`` (their reads included)."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(requests):
        theatre.requests[kind]()()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return 1000 * cpu / requests, 1000 * wall / requests


def main() -> None:
    args = parse_arguments()
    use_fresh_database(args.engine)
    import django

    django.setup()
    from django.conf import settings

    # The static files' URLs without collectstatic's manifest (10 s or more of compressing for a
    # dictionary look-up per URL): the only difference from the served application.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise: no STATIC_ROOT
    theatre = Theatre()
    queries = {kind: count_queries(theatre, kind, sql=args.sql) for kind in KINDS}
    # The kinds take turns, round after round: a spell of the machine running slower falls on
    # every kind alike, and the least CPU of a round is the request's cost with least
    # interference (the median says how much there was).
    rounds: dict[str, list[tuple[float, float]]] = {kind: [] for kind in KINDS}
    for _ in range(args.rounds):
        for kind in KINDS:
            rounds[kind].append(timed_round(theatre, kind, max(1, args.repeat // args.rounds)))
    print(
        f"{args.engine}, {args.repeat} requests of each kind in {args.rounds} rounds, "
        f"DEBUG {settings.DEBUG}"
    )
    print(f"{'request':14} {'queries':>7} {'calls':>7} {'CPU ms':>8} {'median':>8} {'wall ms':>8}")
    for kind, measured in rounds.items():
        cpu = sorted(round_cpu for round_cpu, _ in measured)
        wall = min(round_wall for _, round_wall in measured)
        calls = calls_per_request(theatre, kind)
        print(
            f"{kind:14} {queries[kind]:7} {calls:7,.0f} {cpu[0]:8.2f} "
            f"{statistics.median(cpu):8.2f} {wall:8.2f}"
        )
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [theatre.requests[args.profile]()() for _ in range(args.repeat)])
        stats = pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative"))
        stats.print_stats(args.top)
        if os.environ.get("CALLERS"):
            stats.print_callers(os.environ["CALLERS"])


if __name__ == "__main__":
    main()
