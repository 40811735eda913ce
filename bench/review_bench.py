"""The review pages over 100k generated cases, against Django admin's changelist of the same cases.

    python bench/review_bench.py [--count 100000] [--repeat 5] [--fresh] [--no-postgres]
                                 [--no-sqlite]

For SQLite (a separate file, bench/.data/review-bench.sqlite3) and, when a server answers at
postgres://postgres@127.0.0.1:5432/, for PostgreSQL (database ``sitracker_bench``, or
``$SITRACKER_BENCH_DATABASE``):

1. ``migrate`` and ``generate_cases`` up to ``--count`` synthetic cases (kept between runs;
   ``--fresh`` starts again), then ANALYZE, as autovacuum would on PostgreSQL after a bulk load;
2. in a child process with production settings (DEBUG off), Django's test Client, logged in as
   a superuser (the one kind of user who reaches both the review pages and the admin), times
   each page: the median of ``--repeat`` requests after one warm-up, and its query count;
3. the CSV export is read to the end: rows per second, and its peak Python memory
   (tracemalloc, in a second, separate pass: tracing slows the timed one down).

The table printed at the end is also written to bench/RESULTS-review.md with the date, the
machine and the commit. Speed is measured here, never asserted in the test suite.
"""

import argparse
import datetime
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
RESULTS = ROOT / "bench" / "RESULTS-review.md"
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432/"
POSTGRES_DATABASE = os.environ.get("SITRACKER_BENCH_DATABASE", "sitracker_bench")
BENCH_USER = "bench.superuser"


# --- the driver ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="Drop the bench databases first.")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--no-sqlite", action="store_true", help="PostgreSQL only (a million cases: an hour each)."
    )
    parser.add_argument(
        "--no-tracemalloc",
        action="store_true",
        help="Measure the exports' memory by the process's peak resident size only.",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="Where to write the report.")
    parser.add_argument("--child", choices=["prepare", "measure"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "prepare":
        return prepare(args.count)
    if args.child == "measure":
        return measure(args.repeat, trace_memory=not args.no_tracemalloc)

    databases = {} if args.no_sqlite else {"SQLite": sqlite_url(fresh=args.fresh)}
    if not args.no_postgres and postgres_up():
        databases["PostgreSQL"] = postgres_url(fresh=args.fresh)
    results = {}
    for name, url in databases.items():
        print(f"\n== {name}: preparing {args.count} cases", flush=True)
        prepared = child(url, "prepare", "--count", str(args.count))
        print(f"== {name}: measuring", flush=True)
        measuring = ["measure", "--repeat", str(args.repeat)]
        measuring += ["--no-tracemalloc"] if args.no_tracemalloc else []
        results[name] = {**child(url, *measuring), **prepared}
    report = render(results, args)
    print("\n" + report)
    args.output.write_text(report)
    print(f"Written to {args.output}")


def sqlite_url(*, fresh: bool) -> str:
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / "review-bench.sqlite3"
    if fresh:
        for leftover in DATA.glob("review-bench.sqlite3*"):
            leftover.unlink()
    return f"sqlite:///{path}"


def postgres_up() -> bool:
    import psycopg

    try:
        psycopg.connect(f"{POSTGRES_SERVER}postgres", connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def postgres_url(*, fresh: bool) -> str:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{POSTGRES_SERVER}postgres", autocommit=True) as connection:
        name = sql.Identifier(POSTGRES_DATABASE)
        if fresh:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [POSTGRES_DATABASE]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(name))
    return f"{POSTGRES_SERVER}{POSTGRES_DATABASE}"


def child(database_url: str, *arguments: str, script: str = __file__) -> dict:
    """Run a step of ``script`` (this one, or another bench beside it) in a fresh process on
    ``database_url``; it prints one JSON line last."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "sitracker.settings",
        "PYTHONPATH": str(ROOT),
    }
    if arguments[0] == "measure":
        # Production settings, as far as a test Client allows: DEBUG off (no query log, no
        # template debugging), plain http accepted (no TLS in front of the test Client).
        env.update(
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
            SITRACKER_AUDIT_KEYS=f"bench:{secrets.token_urlsafe(40)}",
            DJANGO_ALLOWED_HOSTS="testserver",
            DJANGO_SECURE_SSL_REDIRECT="0",
            DJANGO_LOG_LEVEL="WARNING",
        )
    command = [sys.executable, script, "--child", *arguments]
    finished = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    sys.stderr.write(finished.stderr[-4000:] if finished.returncode else "")
    if finished.returncode:
        raise SystemExit(f"{arguments[0]} failed on {database_url}")
    lines = finished.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(f"   {line}")
    return json.loads(lines[-1])


# --- step 1: the data ------------------------------------------------------------------------


def prepare(count: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from checklists.bulk.vocabulary import MRN_PREFIX
    from checklists.models import AuditEvent, Case, CaseStep, Implant

    call_command("migrate", verbosity=0, interactive=False)
    existing = Case.objects.filter(patient_mrn__startswith=MRN_PREFIX).count()
    generation = None
    if existing < count:
        started = time.perf_counter()
        call_command("generate_cases", count=count - existing, seed=existing, verbosity=0)
        generation = {"cases": count - existing, "seconds": time.perf_counter() - started}
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        json.dumps(
            {
                "generation": generation,
                "data": {
                    "cases": Case.objects.count(),
                    "steps": CaseStep.objects.count(),
                    "implants": Implant.objects.count(),
                    "audit events": AuditEvent.objects.count(),
                },
                "database": connection.vendor,
                "server": _server_version(connection),
            }
        )
    )


def _server_version(connection) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
        else:
            cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


# --- step 2: the timings -------------------------------------------------------------------


def measure(repeat: int, *, trace_memory: bool = True) -> None:
    import django

    django.setup()
    from django.conf import settings

    # The manifest of collectstatic does not exist here; the pages only need static URLs.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from checklists.models import Case

    user, _ = get_user_model().objects.get_or_create(
        username=BENCH_USER, defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)

    # Last calendar month: the review list filters it by dates, the admin by its date hierarchy.
    last_month_end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    last_month = last_month_end.replace(day=1)
    # The dashboard's whole months come from the kept counts, its partial ones from the cases.
    fifteenth = last_month_end.replace(day=15)
    busiest = Case.objects.values("surgeon_id").order_by().annotate(n=Count("pk")).order_by("-n")[0]
    procedure_id = Case.objects.values_list("procedure_id", flat=True).first()
    case_id = Case.objects.filter(status="reviewed").order_by("-pk").values_list("pk", flat=True)[0]
    one_surgeon_month = (
        f"surgeon={busiest['surgeon_id']}"
        f"&date_from={last_month:%Y-%m-%d}&date_to={last_month_end:%Y-%m-%d}"
    )
    # The admin filters by status, procedure and room only: one room's month is its nearest.
    admin_month = (
        f"room=OR+1&scheduled_start__year={last_month.year}"
        f"&scheduled_start__month={last_month.month}"
    )
    # A deep page: the middle of the default list (the farthest from either end), asked for
    # by number (a bookmark) and reached by its Next link (keyset: after the case before it).
    listed = Case.objects.filter(status__in=["completed", "reviewed"])
    middle = max(2, listed.count() // 25 // 2)
    before_middle = listed.order_by("-scheduled_start", "-pk").values_list("pk", flat=True)[
        (middle - 1) * 25 - 1
    ]
    admin_middle = max(1, middle * 25 // 100)  # the admin shows 100 cases a page
    pages = [
        ("Review list, first page", "/review/", "/admin/checklists/case/"),
        (
            f"Review list, deep page {middle} by number",
            f"/review/?page={middle}",
            f"/admin/checklists/case/?p={admin_middle}",
        ),
        (
            f"Review list, deep page {middle} by its Next link",
            f"/review/?page={middle}&after={before_middle}",
            f"/admin/checklists/case/?p={admin_middle}",
        ),
        (
            "Review list, one surgeon's month",
            f"/review/?{one_surgeon_month}",
            f"/admin/checklists/case/?{admin_month}",
        ),
        (
            "Review list, Time Out late (compliance)",
            "/review/?compliance=time_out_late",
            "/admin/checklists/case/?status__exact=completed",
        ),
        (
            "Review list, procedure, sorted by surgeon, page 20",
            f"/review/?procedure={procedure_id}&sort=surgeon&page=20",
            f"/admin/checklists/case/?procedure__id__exact={procedure_id}&o=6&p=20",
        ),
        ("Record of one case", f"/review/{case_id}/", f"/admin/checklists/case/{case_id}/change/"),
        ("Dashboard, default period (13 months)", "/review/dashboard/", "/admin/checklists/case/"),
        (
            "Dashboard, a year from the 15th to the 15th (two partial months)",
            f"/review/dashboard/?date_from={fifteenth.replace(year=fifteenth.year - 1)}"
            f"&date_to={fifteenth}",
            "/admin/checklists/case/",
        ),
    ]
    timings = []
    for label, url, admin_url in pages:
        ours = time_page(client, url, repeat)
        theirs = time_page(client, admin_url, repeat)
        timings.append({"page": label, "url": url, "ours": ours, "admin": theirs})
        print(f"{label}: {ours['ms']:.0f} ms vs admin {theirs['ms']:.0f} ms")

    exports = [
        ("CSV export, every case (one row per case)", "/review/export/"),
        (
            "CSV export, one surgeon's month, one row per step",
            f"/review/export/?rows=steps&{one_surgeon_month}",
        ),
    ]
    admin_page = time_page(client, "/admin/checklists/case/", repeat)
    for label, url in exports:
        timed = time_export(client, url, trace_memory=trace_memory)
        timings.append({"page": label, "url": url, "ours": timed, "admin": admin_page})
        print(f"{label}: {timed['rows']} rows in {timed['ms'] / 1000:.1f} s")
    print(json.dumps({"timings": timings}))


def time_page(client, url: str, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)  # warm-up: caches, the session's first write
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    durations = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            durations.append(time.perf_counter() - started)
        assert response.status_code == 200 and body
    return {
        "ms": statistics.median(durations) * 1000,
        "min_ms": min(durations) * 1000,
        "queries": len(queries),
    }


def time_export(client, url: str, *, trace_memory: bool = True) -> dict:
    import resource
    import tracemalloc

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The process's peak resident memory before and after: what streaming the whole file
    # added, measured without slowing the timed pass (tracemalloc's pass below doubles the
    # time, an hour's worth at a million rows).
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        size = rows = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            rows += chunk.count(b"\n")
        seconds = time.perf_counter() - started
    rows -= 1  # the header
    # Counted now: the next request resets the connection's query log the capture reads.
    query_count = len(queries)
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024

    peak = None
    if trace_memory:
        tracemalloc.start()
        response = client.get(url)
        for _chunk in response.streaming_content:
            pass
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {
        "ms": seconds * 1000,
        "rows": rows,
        "rows_per_s": rows / seconds,
        "megabytes": size / 1e6,
        "peak_mib": None if peak is None else peak / 2**20,
        "rss_growth_mib": rss_growth,
        "queries": query_count,
    }


# --- the report ----------------------------------------------------------------------------


def render(results: dict, args: argparse.Namespace) -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "# Review pages over generated cases, against the Django admin",
        "",
        f"- date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- machine: {os.cpu_count()} CPUs (nproc), {platform.machine()}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}",
        f"- load average when the report was written (1, 5, 15 min): "
        f"{', '.join(f'{load:.1f}' for load in os.getloadavg())}",
        f"- commit: {commit}{' (with uncommitted changes)' if dirty else ''}",
        f"- command: `python bench/review_bench.py {' '.join(sys.argv[1:])}`",
        "- client: Django's test Client in one process, production settings (DEBUG off), "
        "logged in as a superuser; times are the median of the repeats after a warm-up, "
        "from request to the last byte of the body",
        "",
    ]
    for name, result in results.items():
        data = ", ".join(f"{count} {what}" for what, count in result["data"].items())
        lines.append(f"- {name} {result['server']}: {data}")
        if result["generation"]:
            made = result["generation"]
            lines.append(
                f"  - generate_cases: {made['cases']} cases in {made['seconds']:.0f} s "
                f"({made['cases'] / made['seconds']:.0f} cases/s)"
            )
    names = list(results)
    header = "| page | " + " | ".join(f"{n} ms | queries | ÷ admin" for n in names) + " |"
    lines += ["", header, "|---" * (1 + 3 * len(names)) + "|"]
    labels = [t["page"] for t in results[names[0]]["timings"]]
    for index, label in enumerate(labels):
        cells = [label]
        for name in names:
            timing = results[name]["timings"][index]
            ours, admin = timing["ours"], timing["admin"]
            cells += [f"{ours['ms']:.0f}", str(ours["queries"]), f"{ours['ms'] / admin['ms']:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Admin pages compared (same data, same run):", ""]
    for timing in results[names[0]]["timings"]:
        admin_ms = " / ".join(
            f"{results[n]['timings'][labels.index(timing['page'])]['admin']['ms']:.0f} ms"
            for n in names
        )
        lines.append(
            f"- {timing['page']}: `{timing['url']}` vs admin ({admin_ms} on {', '.join(names)})"
        )
    lines += ["", "Exports (read to the last byte):", ""]
    for name in names:
        for timing in results[name]["timings"]:
            ours = timing["ours"]
            if "rows" in ours:
                lines.append(
                    f"- {name}, {timing['page']}: {ours['rows']} rows, {ours['megabytes']:.1f} MB "
                    f"in {ours['ms'] / 1000:.1f} s = {ours['rows_per_s']:.0f} rows/s; "
                    + (
                        f"peak Python memory {ours['peak_mib']:.1f} MiB; "
                        if ours["peak_mib"] is not None
                        else ""
                    )
                    + f"the process's peak resident size grew {ours['rss_growth_mib']:.0f} MiB; "
                    f"{ours['queries']} queries"
                )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
