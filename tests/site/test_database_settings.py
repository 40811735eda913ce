"""Database settings: DATABASE_PREPARED_STATEMENTS (PostgreSQL only, off unless asked for, and
queries still run), and SQLite's busy timeout against gunicorn's request timeout.

Most cases start Django in a fresh process with their environment (settings are read once).
"""

import json
import runpy

import psycopg
import pytest
from django.conf import settings
from gunicorn.config import Config

from tests.site.test_deploy_check import ROOT, run

POSTGRESQL = "postgres://postgres@127.0.0.1:5432/test"

SHOW_DATABASE = """
import json, django
django.setup()
from django.conf import settings
from django.db import connection
options = settings.DATABASES["default"].get("OPTIONS", {})
with connection.cursor() as cursor:  # the same question six times: prepared from the fifth
    for _ in range(6):
        cursor.execute("SELECT %s + 1", [41])
        answer = cursor.fetchone()[0]
print(json.dumps({
    "server_side_binding": options.get("server_side_binding"),
    "prepare_threshold": options.get("prepare_threshold"),
    "application_name": options.get("application_name"),
    "answer": answer,
}))
"""


def database_under(**environment: str) -> dict:
    result = run(["-c", SHOW_DATABASE], **environment)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def postgresql_answers() -> bool:
    try:
        psycopg.connect(POSTGRESQL, connect_timeout=2).close()
    except psycopg.OperationalError:
        return False
    return True


needs_postgresql = pytest.mark.skipif(
    not postgresql_answers(), reason="no PostgreSQL on 127.0.0.1:5432 (DESIGN.md's setup)"
)


@needs_postgresql
def test_postgresql_prepares_statements_only_when_asked():
    asked = database_under(DATABASE_URL=POSTGRESQL, DATABASE_PREPARED_STATEMENTS="1")
    assert asked == {
        "server_side_binding": True,
        "prepare_threshold": 5,
        "application_name": None,
        "answer": 42,
    }

    default = database_under(DATABASE_URL=POSTGRESQL)
    assert default["server_side_binding"] is None
    assert default["answer"] == 42


@needs_postgresql
def test_the_urls_own_options_are_kept():
    """Options in DATABASE_URL (sslmode, sslrootcert: how patient data crosses the network)
    must survive the setting, not be replaced by it."""
    url = f"{POSTGRESQL}?application_name=sitracker-test"
    found = database_under(DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="1")
    assert found["application_name"] == "sitracker-test"
    assert found["server_side_binding"] is True


def test_sqlite_ignores_it(tmp_path):
    found = database_under(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", DATABASE_PREPARED_STATEMENTS="1"
    )
    assert found["server_side_binding"] is None
    assert found["answer"] == 42


SHOW_BUSY_TIMEOUT = """
import django
django.setup()
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("PRAGMA busy_timeout")
    print(cursor.fetchone()[0])
"""


def test_sqlite_gives_up_on_a_held_lock_well_before_gunicorn_gives_up_on_the_request():
    """A write stuck behind SQLite's lock must be told "Not saved, try again" (a 503) while the
    worker is still alive, not be killed by gunicorn's timeout with the tablet left waiting."""
    gunicorn = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    busy_timeout = settings.SQLITE_OPTIONS["timeout"]

    assert busy_timeout == settings.SQLITE_BUSY_TIMEOUT == 5
    # A request may wait for the lock more than once (its change, then its session): four
    # waits still end before gunicorn's timeout.
    assert 4 * busy_timeout <= gunicorn["timeout"] == 30
    # `gunicorn sitracker.wsgi`, started in the project's folder as the README says, reads it.
    assert Config().settings["config"].get() == "./gunicorn.conf.py"


def test_every_sqlite_connection_waits_the_busy_timeout_the_settings_name(tmp_path):
    result = run(["-c", SHOW_BUSY_TIMEOUT], DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip().splitlines()[-1]) == settings.SQLITE_BUSY_TIMEOUT * 1000
