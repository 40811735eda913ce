"""/healthz: 200 while the database answers a read and takes a write, 503 naming what failed.

The outages are real (tests/outages.py); the tests that hold a lock or move the database away
are transactional, so that the lock holder and the request see the same committed database.
"""

import logging
import time

import pytest
from django.db import connection

from tests.outages import database_out_of_reach, short_busy_timeout, sqlite_write_lock_held

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock")
outage_test = pytest.mark.django_db(transaction=True)


@outage_test
def test_it_answers_ok_when_the_database_takes_a_write(client, django_assert_max_num_queries):
    # SELECT 1; BEGIN, the write probe, ROLLBACK; SQLite's busy timeout shortened and put back
    # (PostgreSQL sets its lock timeout inside the transaction instead).
    with django_assert_max_num_queries(6):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_it_needs_no_login(client, db):
    assert client.get("/healthz").status_code == 200


def test_it_refuses_post(client, db):
    assert client.post("/healthz").status_code == 405


@outage_test
def test_it_leaves_no_transaction_open_and_no_lock_held(client):
    assert client.get("/healthz").status_code == 200

    assert not connection.in_atomic_block
    if connection.vendor == "sqlite":
        with short_busy_timeout(), sqlite_write_lock_held():  # refused were a lock still held
            pass
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND relation = "
                "'django_migrations'::regclass"
            )
            assert cursor.fetchone()[0] == 0


@on_sqlite
@outage_test
def test_it_fails_the_write_check_while_the_lock_is_held_and_recovers_after(client):
    with short_busy_timeout():
        with sqlite_write_lock_held():
            response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "failed": "database-write"}

        assert client.get("/healthz").status_code == 200


@on_sqlite
@outage_test
def test_it_waits_for_the_lock_one_second_not_the_whole_busy_timeout(client):
    # The settings' own busy timeout (5 s) is in force: the check gives up after a fifth of it.
    with sqlite_write_lock_held():
        started = time.monotonic()
        response = client.get("/healthz")
        waited = time.monotonic() - started

    assert response.status_code == 503
    assert 0.9 < waited < 2.5
    with connection.cursor() as cursor:  # and the connection's own busy timeout is put back
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 5000


@outage_test
def test_it_fails_the_read_check_without_details_when_the_database_is_out_of_reach(
    client, tmp_path, caplog
):
    with database_out_of_reach(tmp_path), caplog.at_level(logging.WARNING):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": "database-read"}
    code = "SQLITE_CANTOPEN" if connection.vendor == "sqlite" else "OperationalError"
    lines = [r.getMessage() for r in caplog.records if r.name == "sitracker.database"]
    assert lines == [f"Health check: database-read failed ({code})"]
    assert client.get("/healthz").status_code == 200
