"""gunicorn serving the application for one engine, and what /proc says about it: its
processes' CPU time and memory, the PostgreSQL backends' CPU time, the machine's."""

import os
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


class Server:
    """gunicorn serving sitracker.wsgi with bench.settings, its stderr kept in a file."""

    def __init__(self, run: "Run", engine: "Engine") -> None:
        self.port = free_port()
        self.log = run.directory / f"gunicorn-{engine.key}.log"
        command = [
            *(sys.executable, "-m", "gunicorn", "sitracker.wsgi"),
            *("--bind", f"127.0.0.1:{self.port}"),
            *("--workers", str(run.args.workers), "--worker-class", "gthread"),
            *("--threads", str(run.args.threads), "--keep-alive", "30"),
            *("--timeout", "300", "--graceful-timeout", "10"),
        ]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=run.env(engine), stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_until_healthy()

    def _wait_until_healthy(self) -> None:
        give_up = time.time() + 60
        while time.time() < give_up:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            try:
                reply = Browser(self.port).request("GET", "/healthz")
            except OSError:
                reply = None
            if reply is not None and reply.status == 200 and len(self.workers()) > 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer /healthz; see {self.log}")

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

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


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
