"""gunicorn serving the application for one engine (and, for live updates, the ASGI process
beside it), and what /proc says about them: their processes' CPU time and memory, the
PostgreSQL backends' CPU time, the machine's."""

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.load import ROOT
from bench.load.browser import Browser
from bench.load.engines import PG_DATABASE

if TYPE_CHECKING:
    from bench.load.engines import Engine
    from bench.load.run import Run

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raise_open_files_limit() -> int:
    """The soft limit on open files up to the hard one, for this process and what it starts:
    each held event stream is a socket in a client and in the push process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1_048_576 if hard == resource.RLIM_INFINITY else hard  # Linux's usual nr_open
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Server:
    """gunicorn serving sitracker.wsgi with bench.settings, its stderr kept in a file;
    ``env`` adds to the run's environment (``label`` names the log after it)."""

    name = "gunicorn"

    def __init__(
        self, run: "Run", engine: "Engine", *, env: dict[str, str] | None = None, label: str = ""
    ) -> None:
        self.port, self.engine = free_port(), engine
        self.log = run.directory / f"{self.name}-{engine.key}{label}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                self.command(run),
                cwd=ROOT,
                env=run.env(engine, **(env or {})),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_healthy()

    def command(self, run: "Run") -> list[str]:
        return [
            *(sys.executable, "-m", "gunicorn", "sitracker.wsgi"),
            *("--bind", f"127.0.0.1:{self.port}"),
            *("--workers", str(run.args.workers), "--worker-class", "gthread"),
            *("--threads", str(run.args.threads), "--keep-alive", "30"),
            *("--timeout", "300", "--graceful-timeout", "10"),
        ]

    def _wait_until_healthy(self) -> None:
        give_up = time.time() + 60
        while time.time() < give_up:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log}")
            try:
                reply = Browser(self.port).request("GET", "/healthz")
            except OSError:
                reply = None
            if reply is not None and reply.status == 200 and len(self.workers()) > 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer /healthz; see {self.log}")

    def workers(self) -> list[int]:
        return [pid for pid, ppid in _processes() if ppid == self.process.pid]

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(pid) for pid in [self.process.pid, *self.workers()])

    def reset_peak_rss(self) -> bool:
        """Reset each worker's VmHWM (Linux: "5" into clear_refs), so it shows one export's."""
        try:
            for pid in self.workers():
                Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def memory_kib(self, field_name: str) -> int:
        """The largest of the workers' VmHWM (peak) or VmRSS (now), in KiB."""
        values = [0]
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(f"{field_name}:"):
                    values.append(int(line.split()[1]))
        return max(values)

    def status_field(self, field_name: str) -> int:
        """The sum over the workers of a /proc status field (VmRSS in KiB, Threads)."""
        total = 0
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(f"{field_name}:"):
                    total += int(line.split()[1])
        return total

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class PushServer(Server):
    """The live updates' ASGI process (sitracker.asgi under one uvicorn worker, the command of
    deploy/systemd/sitracker-events.service), beside the gunicorn that serves every other URL:
    the same environment and settings."""

    name = "push"

    def command(self, run: "Run") -> list[str]:
        # As deploy/ ships it (its unit's ExecStart), on this server's port. Imported here:
        # bench.load.front imports this module.
        from bench.load.front import events_server_command

        return events_server_command(self.port)


def _processes() -> list[tuple[int, int]]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            found.append((int(entry.name), int(stat.rsplit(")", 1)[1].split()[1])))
    return found


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _machine_busy_seconds() -> float:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS


def _database_cpu() -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend serving the bench database (their process titles
    name it). Parallel query workers are not counted: their titles do not."""
    found = {}
    for pid, _ in _processes():
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"postgres:") and PG_DATABASE.encode() in title:
            found[pid] = _cpu_seconds(pid)
    return found


def _database_cpu_since(before: dict[int, float]) -> float:
    # Per backend, so that one that ended meanwhile does not count as negative time.
    return sum(max(0.0, seconds - before.get(pid, 0.0)) for pid, seconds in _database_cpu().items())
