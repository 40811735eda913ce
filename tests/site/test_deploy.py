"""The deployment as shipped in deploy/: nginx accepts the site, systemd the units.

bench/scale_out.py runs them for real (two app servers behind nginx on one PostgreSQL); these
checks keep the files valid between benchmark runs. nginx and systemd-analyze come from
Debian's packages nginx and systemd (``.ci/run`` installs nginx when missing): a machine
without them fails here, with the reason, rather than skipping.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from bench.load.front import APP_UNIT, SHIPPED_ROOT, app_server_command, write_nginx_config

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
        [analyze, "verify", "sitracker-migrate.service", "sitracker@8001.service"],
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
