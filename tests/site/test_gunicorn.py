"""gunicorn as the README runs it: no Server header (gunicorn.conf.py).

Each test starts a real gunicorn on a free loopback port, asks it for /healthz over a socket,
and stops it; a few seconds each, bounded by timeouts.
"""

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30
PATHS = ("/healthz", "/no-such-page/", "/static/css/sitracker.css")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(tmp_path: Path, *options: str) -> Iterator[int]:
    """gunicorn serving sitracker.wsgi on a free loopback port (SQLite in ``tmp_path``)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_DEBUG": "1",
        "DJANGO_SECRET_KEY": "gunicorn-test-key-" + "x" * 40,
        "WEB_CONCURRENCY": "1",  # the headers need one worker, not two per core
    }
    log = (tmp_path / "gunicorn.log").open("w")
    command = [sys.executable, "-m", "gunicorn", *options, "--bind", f"127.0.0.1:{port}"]
    # From an empty directory, so gunicorn finds no ./gunicorn.conf.py unless it is named.
    process = subprocess.Popen(  # noqa: S603 -- our own interpreter, fixed arguments
        [*command, "--chdir", str(ROOT), "sitracker.wsgi"],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        give_up = time.monotonic() + STARTUP_SECONDS
        while True:
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < give_up, "gunicorn did not start"
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


def headers_of(port: int, path: str = "/healthz") -> dict[str, str]:
    # A worker loads the application on its first request: 10 s was too short once CI's two
    # test workers and a browser shared the machine's two cores with it.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return {name.lower(): value for name, value in response.getheaders()}
    finally:
        connection.close()


def test_gunicorn_with_our_configuration_sends_no_server_header(tmp_path):
    with gunicorn(tmp_path, "--config", str(ROOT / "gunicorn.conf.py")) as port:
        answers = {path: headers_of(port, path) for path in PATHS}

    for path, headers in answers.items():
        assert "server" not in headers, path
        # The rest of the answer is intact: gunicorn's own headers and the application's.
        assert "date" in headers and "connection" in headers, path
        assert "camera=()" in headers["permissions-policy"], path


def configured(**env: str) -> dict[str, str]:
    """The settings gunicorn reads from gunicorn.conf.py, as it prints them."""
    environment = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"}
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    printed = subprocess.run(  # noqa: S603 -- our own interpreter, fixed arguments
        [*command, "--print-config", "sitracker.wsgi"],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pairs = (line.split("=", 1) for line in printed.splitlines() if "=" in line)
    return {name.strip(): value.strip() for name, value in pairs}


def test_the_configuration_runs_two_workers_per_core_of_two_threads():
    settings = configured()
    assert (settings["workers"], settings["threads"]) == (str(2 * os.cpu_count()), "2")
    assert configured(WEB_CONCURRENCY="3")["workers"] == "3"  # the host's choice wins


def test_gunicorn_alone_would_name_itself(tmp_path):
    """Why gunicorn.conf.py exists. When gunicorn stops sending the header by itself, this
    fails: drop the patch then."""
    with gunicorn(tmp_path) as port:
        assert headers_of(port)["server"].startswith("gunicorn")
