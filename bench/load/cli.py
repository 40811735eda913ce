"""The command line (``python -m bench.load``) and the order of a run: prepare every
engine's database, then, engine by engine, start gunicorn, run the scenarios, report."""

import argparse
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bench.load
from bench.load import ROOT
from bench.load.engines import PG_DATABASE, PG_SERVER, Engine
from bench.load.report import commit, report
from bench.load.run import Run, collect_static, prepare
from bench.load.scenarios import Scenarios
from bench.load.server import Server


def parse_arguments() -> argparse.Namespace:
    description = (bench.load.__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=description)
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
