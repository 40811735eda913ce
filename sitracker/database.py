"""When the database cannot take a change: recognise it, say so honestly, tell the monitors.

A database that is locked (SQLite busy past its timeout), read-only (a read-only file, a
PostgreSQL standby or read-only transaction) or out of reach is an outage, not a bug: the tablet
hears "Not saved — try again" with a 503 and Retry-After, never the 500 page that would leave
the nurse guessing. Any other error, a programming error in the database layer included, stays
a 500. The workflow's atomic blocks have rolled back by the time an error reaches here, so a
503 never leaves half a change behind.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum

from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)

RETRY_AFTER = 5  # seconds: about what SQLite's busy timeout (settings.SQLITE_BUSY_TIMEOUT) waits

# /healthz waits at most this long for SQLite's write lock (or a PostgreSQL lock): a change
# holds it for milliseconds, so a longer wait means writes are stuck, and a monitor's own
# timeout (often 2-5 s) must hear a 503 rather than nothing.
HEALTH_CHECK_PATIENCE = 1  # seconds

# A write that changes no row: the database still checks that it may write (SQLite takes its
# write lock and refuses a read-only file; PostgreSQL refuses it in a read-only transaction),
# and the transaction around it is rolled back at once. django_migrations exists wherever the
# application can run, and nothing locks it against row writes.
WRITE_PROBE = "UPDATE django_migrations SET app = app WHERE 1 = 0"


class Outage(StrEnum):
    LOCKED = "locked"
    READ_ONLY = "read-only"
    UNREACHABLE = "unreachable"


# SQLite's primary result codes; an extended code (SQLITE_BUSY_SNAPSHOT...) keeps its primary
# code in the low byte. SQLITE_LOCKED (6), a conflict inside one connection, is a bug.
SQLITE_OUTAGES = {
    5: Outage.LOCKED,  # SQLITE_BUSY: another writer held the lock past the busy timeout
    8: Outage.READ_ONLY,  # SQLITE_READONLY
    14: Outage.UNREACHABLE,  # SQLITE_CANTOPEN: the file or its folder is gone or unreadable
}

# PostgreSQL's SQLSTATEs: class 08 is "connection exception"; 57P01-57P03 a server shutting
# down, crashed or starting up; 25006 a write in a read-only transaction (or on a standby).
POSTGRESQL_OUTAGES = {
    "25006": Outage.READ_ONLY,
    "57P01": Outage.UNREACHABLE,
    "57P02": Outage.UNREACHABLE,
    "57P03": Outage.UNREACHABLE,
}

# (heading, message on the page, message alone): a row on the checklist shows the message
# without the page's heading, so that one says "Not saved" itself.
WRITE_REFUSED = (
    "Not saved",
    "The database could not take this change just now, so none of it was recorded. "
    "Wait a few seconds and try again.",
    "Not saved — the database could not take this change just now, so none of it was "
    "recorded. Wait a few seconds and try again.",
)
BUSY = "The database is busy or out of reach just now. Wait a few seconds and reload the page."
READ_REFUSED = ("Try again", BUSY, BUSY)


def outage(error: BaseException) -> Outage | None:
    """The outage ``error`` reports, or None when it is anything else. Read from the driver's
    own code (sqlite3's result code, psycopg's SQLSTATE), never from the wording."""
    if isinstance(error, InterfaceError):
        return Outage.UNREACHABLE  # the connection was closed under us
    if not isinstance(error, DatabaseError):
        return None
    cause = error.__cause__ or error  # Django's error wraps the driver's
    sqlite_code = getattr(cause, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        return SQLITE_OUTAGES.get(sqlite_code & 0xFF)
    if not hasattr(cause, "sqlstate"):  # not psycopg either
        return None
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is None:
        # psycopg's own error, with no server behind it: refused, timed out, connection lost.
        return Outage.UNREACHABLE if isinstance(error, OperationalError) else None
    if sqlstate.startswith("08"):
        return Outage.UNREACHABLE
    return POSTGRESQL_OUTAGES.get(sqlstate)


def _code(error: BaseException) -> str:
    cause = error.__cause__ or error
    name = getattr(cause, "sqlite_errorname", None) or getattr(cause, "sqlstate", None)
    return str(name or type(cause).__name__)


def unavailable(request: HttpRequest, error: BaseException) -> HttpResponse | None:
    """The 503 for a database outage (``outage``), or None for any other error.

    Answered without the request's context: the signed-in person, their roles and the messages
    all come from the database that just failed. An htmx request gets the message alone (the
    ``message`` partial of error.html), which the checklist shows in the row that was tapped.
    """
    kind = outage(error)
    if kind is None:
        return None
    # One line, no SQL and no driver message (they may hold patient data or a host's address):
    # what failed, the driver's code, and which request; URLs hold ids only.
    logger.warning(
        "Database %s (%s): %s %s answered 503", kind, _code(error), request.method, request.path
    )
    title, on_page, alone = READ_REFUSED if request.method in ("GET", "HEAD") else WRITE_REFUSED
    htmx = request.headers.get("HX-Request") == "true"
    message = alone if htmx else on_page
    context = {"status": 503, "title": title, "message": message, "error_page": True}
    template = "error.html#message" if htmx else "error.html"
    response = render(None, template, context, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


class DatabaseUnavailableMiddleware:
    """Answers a database outage met in a view with ``unavailable``'s 503. An outage met in
    other middleware (loading the session or the signed-in person, saving the session) reaches
    the 500 handler, which answers it the same way (sitracker.views.server_error)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return unavailable(request, exception)


def failed_check() -> str | None:
    """What ``/healthz`` found wrong: None when the database answers a read and takes a write,
    else the failed check's name, ``database-read`` or ``database-write``.

    The write changes no row, inside a transaction rolled back at once: no row is kept and no
    lock outlives the check. It waits for a lock at most ``HEALTH_CHECK_PATIENCE``.
    """
    check = "database-read"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        check = "database-write"
        with _patience(HEALTH_CHECK_PATIENCE), transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(f"SET LOCAL lock_timeout = '{HEALTH_CHECK_PATIENCE}s'")
                cursor.execute(WRITE_PROBE)
            transaction.set_rollback(True)
    except (DatabaseError, InterfaceError) as error:
        logger.warning("Health check: %s failed (%s)", check, _code(error))
        return check
    return None


@contextmanager
def _patience(seconds: float) -> Iterator[None]:
    """SQLite's busy timeout shortened to ``seconds`` for this connection, then put back."""
    if connection.vendor != "sqlite":
        yield
        return
    configured = float(connection.settings_dict["OPTIONS"].get("timeout", 5))
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA busy_timeout = {int(min(seconds, configured) * 1000)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(configured * 1000)}")
