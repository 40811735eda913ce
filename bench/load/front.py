"""The shipped deployment in front of the bench's app servers: nginx serving
``deploy/nginx/sitracker.conf`` over TLS (a self-signed certificate made for the run), and
gunicorns started from the ``ExecStart`` line of ``deploy/systemd/sitracker@.service``.

Only what cannot be the same here is replaced, each replacement checked to have happened: the
upstream's ports, the listening ports, the server name, the certificate's files, and the
paths under ``/srv/sitracker``. tests/site/test_deploy.py checks the same rendering with
``nginx -t`` and ``systemd-analyze verify``.
"""

import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.load import ROOT
from bench.load.browser import Browser
from bench.load.server import _cpu_seconds, _processes, free_port

DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx" / "sitracker.conf"
APP_UNIT = DEPLOY / "systemd" / "sitracker@.service"
EVENTS_UNIT = DEPLOY / "systemd" / "sitracker-events.service"
EVENTS_PORT = "127.0.0.1:8100"
SHIPPED_PORTS = ("127.0.0.1:8001", "127.0.0.1:8002")
SHIPPED_ROOT = "/srv/sitracker"


def replace(text: str, old: str, new: str) -> str:
    """``old`` replaced by ``new``; a file that no longer says ``old`` fails the run, rather
    than serving something other than what ships."""
    if old not in text:
        raise ValueError(f"the shipped file no longer contains {old!r}")
    return text.replace(old, new)


def render_site(
    *,
    upstreams: list[int],
    https_port: int,
    http_port: int,
    certificate: Path,
    key: Path,
    events_port: int | None = None,
) -> str:
    """The shipped nginx site with this machine's ports and certificate (and events server's
    port, where one runs)."""
    text = SITE.read_text()
    if events_port is not None:
        shipped = f"server {EVENTS_PORT} max_fails=3 fail_timeout=10s;"
        text = replace(
            text, shipped, f"server 127.0.0.1:{events_port} max_fails=3 fail_timeout=10s;"
        )
    upstream_lines = "\n    ".join(
        f"server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;" for port in upstreams
    )
    for address in SHIPPED_PORTS[1:]:
        text = replace(text, f"    server {address} max_fails=3 fail_timeout=10s;\n", "")
    text = replace(text, f"server {SHIPPED_PORTS[0]} max_fails=3 fail_timeout=10s;", upstream_lines)
    text = replace(text, "listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    text = replace(text, "listen 80;", f"listen 127.0.0.1:{http_port};")
    text = replace(text, "    listen [::]:443 ssl http2;\n", "")
    text = replace(text, "    listen [::]:80;\n", "")
    text = replace(text, "server_name si.example.org;", "server_name 127.0.0.1;")
    text = replace(text, "/etc/ssl/certs/sitracker.pem", str(certificate))
    return replace(text, "/etc/ssl/private/sitracker.key", str(key))


def main_config(directory: Path, site: Path) -> str:
    """What Debian's /etc/nginx/nginx.conf gives a site, with every file in ``directory``.
    The access log names the app server that answered each request."""
    return f"""
worker_processes 2;
pid {directory}/nginx.pid;
error_log {directory}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$status $upstream_addr $request_time';
    access_log {directory}/nginx-access.log upstream;
    client_body_temp_path {directory}/client-body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    include {site};
}}
"""


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    certificate, key = directory / "sitracker.pem", directory / "sitracker.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(certificate)),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


def write_nginx_config(
    directory: Path, *, upstreams: list[int], events_port: int | None = None
) -> tuple[Path, int, int]:
    """The rendered site and its main configuration in ``directory``: (main file, https
    port, http port)."""
    certificate, key = self_signed_certificate(directory)
    https_port, http_port = free_port(), free_port()
    site = directory / "sitracker-site.conf"
    site.write_text(
        render_site(
            upstreams=upstreams,
            https_port=https_port,
            http_port=http_port,
            certificate=certificate,
            key=key,
            events_port=events_port,
        )
    )
    main = directory / "nginx.conf"
    main.write_text(main_config(directory, site))
    return main, https_port, http_port


def app_server_command(port: int) -> list[str]:
    """The app unit's ``ExecStart``, for instance ``port``, run from this checkout."""
    return [part.replace("%i", str(port)) for part in _unit_command(APP_UNIT)]


def events_server_command(port: int) -> list[str]:
    """The events unit's ``ExecStart`` on ``port`` instead of its own, run from this checkout."""
    return [part.replace(EVENTS_PORT, f"127.0.0.1:{port}") for part in _unit_command(EVENTS_UNIT)]


def _unit_command(unit: Path) -> list[str]:
    lines = [line for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
    if len(lines) != 1:
        raise ValueError(f"{unit} should have one ExecStart line")
    command = shlex.split(lines[0].removeprefix("ExecStart="))
    gunicorn = f"{SHIPPED_ROOT}/.venv/bin/gunicorn"
    if command[0] != gunicorn:
        raise ValueError(f"{unit} should start {gunicorn}")
    return [sys.executable, "-m", "gunicorn", *command[1:]]


class AppServer:
    """One gunicorn, as the app unit starts it (its stderr kept in a file)."""

    def __init__(self, directory: Path, env: dict[str, str], name: str) -> None:
        self.port = free_port()
        self.log = directory / f"gunicorn-{name}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                app_server_command(self.port),
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_until(lambda: self._healthy(), f"gunicorn on {self.port}; see {self.log}")

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {self.log}")
        try:
            return Browser(self.port).request("GET", "/healthz").status == 200
        except OSError:
            return False

    def workers(self) -> list[int]:
        return [pid for pid, ppid in _processes() if ppid == self.process.pid]

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(pid) for pid in [self.process.pid, *self.workers()])

    def stop(self) -> None:
        _stop(self.process)


class FrontDoor:
    """nginx in front of the app servers: what the bench's scenarios talk to (its ``port``),
    with the CPU and logs of everything behind it."""

    def __init__(
        self, directory: Path, servers: list[AppServer], *, events_port: int | None = None
    ) -> None:
        self.servers = servers
        self.directory = directory
        config, self.port, self.http_port = write_nginx_config(
            directory, upstreams=[server.port for server in servers], events_port=events_port
        )
        checked = subprocess.run(
            ["nginx", "-t", "-q", "-c", str(config), "-e", str(directory / "nginx-error.log")],
            capture_output=True,
            text=True,
            check=False,
        )
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t refused the shipped site:\n{checked.stderr}")
        self.process = subprocess.Popen(
            [
                *("nginx", "-c", str(config), "-e", str(directory / "nginx-error.log")),
                *("-g", "daemon off;"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_until(lambda: self._healthy(), f"nginx on {self.port}")

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"nginx exited; see {self.directory / 'nginx-error.log'}")
        try:
            return Browser(self.port, tls=True).request("GET", "/healthz").status == 200
        except OSError:
            return False

    def cpu_seconds(self) -> float:
        nginx = [self.process.pid, *(p for p, parent in _processes() if parent == self.process.pid)]
        return sum(server.cpu_seconds() for server in self.servers) + sum(
            _cpu_seconds(pid) for pid in nginx
        )

    def log_text(self) -> str:
        return "".join(server.log.read_text(errors="replace") for server in self.servers)

    def answered_by(self) -> dict[str, int]:
        """How many requests each app server answered, from nginx's access log."""
        counts: dict[str, int] = {}
        log = self.directory / "nginx-access.log"
        for line in log.read_text().splitlines() if log.exists() else []:
            parts = line.split()
            if len(parts) >= 2:
                counts[parts[1]] = counts.get(parts[1], 0) + 1
        return counts

    def stop(self) -> None:
        _stop(self.process, signal.SIGQUIT)


def _wait_until(ready, what: str, seconds: float = 60) -> None:
    give_up = time.time() + seconds
    while time.time() < give_up:
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer /healthz")


def _stop(process: subprocess.Popen, how: signal.Signals = signal.SIGTERM) -> None:
    process.send_signal(how)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
