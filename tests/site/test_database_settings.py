"""DATABASE_PREPARED_STATEMENTS: PostgreSQL only, off unless asked for, and queries still run.

Each case starts Django in a fresh process with that environment (settings are read once).
"""

import json

import psycopg
import pytest

from tests.site.test_deploy_check import run

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
