"""The deployment as shipped in deploy/: nginx accepts the site, systemd the units.

bench/scale_out.py runs them for real (two app servers behind nginx on one PostgreSQL); these
checks keep the files valid between benchmark runs. nginx and systemd-analyze come from
Debian's packages nginx and systemd (``.ci/run`` installs nginx when missing): a machine
without them fails here, with the reason, rather than skipping.
"""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from bench.load.browser import Browser
from bench.load.front import (
    APP_UNIT,
    SHIPPED_ROOT,
    app_server_command,
    events_server_command,
    write_nginx_config,
)
from bench.load.server import free_port

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"

pytestmark = pytest.mark.no_database  # CI runs them once, in its SQLite pass


def test_nginx_accepts_the_shipped_site(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is needed (Debian: apt-get install nginx)"
    config, _, _ = write_nginx_config(tmp_path, upstreams=[8001, 8002])

    checked = subprocess.run(  # noqa: S603 (our own arguments)
        [nginx, "-t", "-c", str(config), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        check=False,
    )

    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


def test_systemd_accepts_the_units_without_a_warning(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is needed (Debian: apt-get install systemd)"
    environment = tmp_path / "env"
    environment.write_text("DJANGO_DEBUG=0\n")
    for unit in UNITS.iterdir():
        text = unit.read_text().replace(SHIPPED_ROOT, str(ROOT))
        (tmp_path / unit.name).write_text(text.replace("/etc/sitracker/env", str(environment)))

    checked = subprocess.run(  # noqa: S603 (our own arguments)
        [
            analyze,
            "verify",
            "sitracker-migrate.service",
            "sitracker@8001.service",
            "sitracker-events.service",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )

    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == "", checked.stderr  # a value systemd ignores is only a warning


def test_the_app_unit_starts_gunicorn_with_its_configuration_on_its_port():
    command = app_server_command(8002)

    assert command[-1] == "sitracker.wsgi"
    assert command[command.index("--config") + 1] == "gunicorn.conf.py"
    assert command[command.index("--bind") + 1] == "127.0.0.1:8002"
    assert "WorkingDirectory=/srv/sitracker" in APP_UNIT.read_text()


def test_the_events_unit_serves_the_asgi_application_on_its_port(tmp_path):
    """The events server's command, run as its unit runs it: gunicorn's uvicorn worker serving
    sitracker.asgi, which answers a stream asked for without a session with the login."""
    port = free_port()
    command = events_server_command(port)
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_DEBUG": "1",
        "SITRACKER_LIVE_PUSH": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",  # never opened here
    }
    server = subprocess.Popen(  # noqa: S603 (our own arguments)
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        give_up, reply = time.monotonic() + 60, None
        while reply is None and time.monotonic() < give_up:
            assert server.poll() is None, server.stdout.read().decode()
            try:
                reply = Browser(port, tls=False).request("GET", "/events/cases/1/")
            except OSError:
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert command[command.index("--worker-class") + 1] == "uvicorn_worker.UvicornWorker"
    assert command[-1] == "sitracker.asgi:application"
    assert reply is not None and reply.status == 302
    assert reply.headers["Location"].startswith("/accounts/login/")
    assert reply.headers["server"] == "uvicorn"
    assert not (tmp_path / "unused.sqlite3").exists()
