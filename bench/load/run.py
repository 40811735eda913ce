"""One run: its temporary directory and secrets, the environment of every command it
starts, collectstatic, and a prepared database per engine."""

import argparse
import datetime
import json
import math
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from bench.load import ROOT
from bench.load.engines import Engine
from bench.load.results import Row

CLIENTS_PER_CASE = 4  # the tablets of one operating room, each person on their own steps


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
