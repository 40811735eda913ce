"""Real database outages for tests: a held SQLite write lock, a read-only database, a database
out of reach. Each is made with the database itself (a second connection, a session setting, a
wrong address), never by mocking the ORM."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# SQLite's busy timeout during these tests: the wait the settings give (5 s), shortened so that
# each refused request costs a fifth of a second.
TEST_BUSY_TIMEOUT = 0.2


@contextmanager
def settings_of_connection(**changes: object) -> Iterator[None]:
    """The default connection reopened with ``changes`` to its settings (``OPTIONS`` merged),
    then reopened as it was. Threads that open their own connection (the live server) read the
    same settings."""
    settings = connection.settings_dict
    saved = {key: settings[key] for key in changes}
    connection.close()
    for key, value in changes.items():
        settings[key] = {**settings[key], **value} if key == "OPTIONS" else value
    try:
        yield
    finally:
        connection.close()
        settings.update(saved)


@contextmanager
def short_busy_timeout() -> Iterator[None]:
    with settings_of_connection(OPTIONS={"timeout": TEST_BUSY_TIMEOUT}):
        yield


@contextmanager
def sqlite_write_lock_held() -> Iterator[None]:
    """Another writer (a second connection to the same file, as another gunicorn worker would
    be) holding SQLite's write lock until the block ends."""
    holder = sqlite3.connect(connection.settings_dict["NAME"], timeout=1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def read_only_database() -> Iterator[None]:
    """The default connection refusing every write: SQLite's ``query_only``, PostgreSQL's
    ``default_transaction_read_only`` for the session (as on a standby after a failover)."""
    setting = {
        "sqlite": ("PRAGMA query_only = 1", "PRAGMA query_only = 0"),
        "postgresql": (
            "SET default_transaction_read_only = on",
            "SET default_transaction_read_only = off",
        ),
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(setting[0])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(setting[1])


@contextmanager
def database_out_of_reach(tmp_path) -> Iterator[None]:
    """The default connection pointed at a database that is not there: a SQLite file in a
    missing folder, a PostgreSQL port nobody listens on."""
    if connection.vendor == "sqlite":
        changes: dict[str, object] = {"NAME": str(tmp_path / "gone" / "db.sqlite3")}
    else:
        changes = {"HOST": "127.0.0.1", "PORT": "1", "OPTIONS": {"connect_timeout": 2}}
    with settings_of_connection(**changes):
        yield
