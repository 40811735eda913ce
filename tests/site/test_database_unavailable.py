"""A database that cannot take a change answers 503 "Not saved — try again", never the 500 page.

Real outages on the real test database (tests/outages.py): a second connection holding SQLite's
write lock, a read-only session, a database out of reach. The tests are transactional: the
lock holder and the request must see the same committed file, not one test transaction.
"""

import logging

import pytest
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, connection
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from django.utils import timezone

from accounts.models import Room
from checklists.choices import AuditAction, CaseStatus, StepStatus
from checklists.models import AuditEvent, Case
from sitracker import urls as site_urls
from tests.conftest import events, make_case, make_procedure
from tests.outages import (
    database_out_of_reach,
    read_only_database,
    short_busy_timeout,
    sqlite_write_lock_held,
)

pytestmark = pytest.mark.django_db(transaction=True)

on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock")

HTMX = {"HX-Request": "true"}
NOT_SAVED = "database could not take this change just now, so none of it was recorded."
TRY_AGAIN = "Wait a few seconds and try again."


@login_not_required
def bad_sql(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    return HttpResponse()


# A URLconf with one view whose SQL is a programming error, beside the site's own pages.
urlpatterns = [path("bad-sql/", bad_sql), *site_urls.urlpatterns]
handler500 = site_urls.handler500


@pytest.fixture(autouse=True)
def _reference_data(reference_data) -> None:
    """The roles and procedures the migrations installed: flushed after each transactional test."""


@pytest.fixture
def case(nurse, surgeon):
    procedure = make_procedure({"title": "Swab count correct"}, {"title": "Drain placed"})
    return make_case(procedure, actor=nurse, surgeon=surgeon)


@pytest.fixture
def signed_in(client, nurse):
    client.force_login(nurse)
    return client


def tick(client, case, *, htmx: bool, step=None):
    step = step or case.steps.get(title="Swab count correct")
    form = {"status": "done", "revision": step.revision, "since": case.audit_seq}
    return client.post(f"/cases/{case.pk}/steps/{step.pk}/", form, headers=HTMX if htmx else {})


def assert_not_saved(response, *, htmx: bool) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    if htmx:  # the message alone, which the checklist shows in the row that was tapped
        assert f"<span data-error>Not saved — the {NOT_SAVED} {TRY_AGAIN}</span>" in page
        assert "<html" not in page
    else:
        assert "<h1>Not saved</h1>" in page
        assert f"The {NOT_SAVED} {TRY_AGAIN}" in page
        assert "Back to today's board" in page
    for patient in ("Pat Example", "MRN0042"):
        assert patient not in page


def assert_nothing_saved(case, audit_before: list) -> None:
    step = case.steps.get(title="Swab count correct")
    assert (step.status, step.revision, step.recorded_by) == (StepStatus.PENDING, 0, None)
    assert events(case) == audit_before
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SCHEDULED


def outage_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "sitracker.database"]


# --- SQLite: a write lock held past the busy timeout -------------------------------------------


@on_sqlite
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_tick_while_the_database_is_locked_answers_not_saved(signed_in, case, htmx, caplog):
    audit_before = events(case)

    with short_busy_timeout(), sqlite_write_lock_held(), caplog.at_level(logging.WARNING):
        response = tick(signed_in, case, htmx=htmx)

    assert_not_saved(response, htmx=htmx)
    assert_nothing_saved(case, audit_before)
    step = case.steps.get(title="Swab count correct")
    assert outage_lines(caplog) == [
        f"Database locked (SQLITE_BUSY): POST /cases/{case.pk}/steps/{step.pk}/ answered 503"
    ]
    assert not connection.in_atomic_block

    # The lock gone, the same tap is saved: nothing was left half done on the connection.
    response = tick(signed_in, case, htmx=htmx)
    assert response.status_code == (200 if htmx else 302)
    recorded = [e.action for e in events(case)]
    assert recorded == [*(e.action for e in audit_before), AuditAction.STEP_RECORDED]


@on_sqlite
def test_a_new_case_while_the_database_is_locked_answers_not_saved(signed_in, surgeon):
    procedure = make_procedure({"title": "Swab count correct"})
    Room.objects.create(name="OR 3")
    entry = {
        "patient_mrn": "MRN0042",
        "patient_name": "Pat Example",
        "patient_birth_date": "1961-03-14",
        "procedure": str(procedure.pk),
        "laterality": "left",
        "surgeon": str(surgeon.pk),
        "room": "OR 3",
        "scheduled_start": f"{timezone.localdate():%Y-%m-%d}T14:30",
    }

    with short_busy_timeout(), sqlite_write_lock_held():
        response = signed_in.post("/cases/new/", entry)

    assert_not_saved(response, htmx=False)
    assert Case.objects.count() == 0
    assert AuditEvent.objects.count() == 0

    assert signed_in.post("/cases/new/", entry).status_code == 302
    assert AuditEvent.objects.get().action == AuditAction.CASE_CREATED


# --- a read-only database: SQLite's query_only, PostgreSQL's read-only transactions ----------


def test_a_tick_on_a_read_only_database_answers_not_saved(signed_in, case, caplog):
    audit_before = events(case)

    with read_only_database(), caplog.at_level(logging.WARNING):
        response = tick(signed_in, case, htmx=True)
        health = Client().get("/healthz")

    assert_not_saved(response, htmx=True)
    assert_nothing_saved(case, audit_before)
    code = "SQLITE_READONLY" if connection.vendor == "sqlite" else "25006"
    assert outage_lines(caplog)[0].startswith(f"Database read-only ({code}): POST /cases/")
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "failed": "database-write"}

    assert signed_in.get("/healthz").status_code == 200
    assert tick(signed_in, case, htmx=True).status_code == 200


@pytest.mark.postgres_only
def test_on_postgresql_a_read_only_transaction_answers_503_to_a_plain_tick_and_to_healthz(
    signed_in, case
):
    audit_before = events(case)

    with read_only_database():
        response = tick(signed_in, case, htmx=False)
        health = Client().get("/healthz")

    assert_not_saved(response, htmx=False)
    assert_nothing_saved(case, audit_before)
    assert health.status_code == 503
    assert health.json()["failed"] == "database-write"
    assert signed_in.get("/healthz").status_code == 200


# --- a database out of reach --------------------------------------------------------------------


def test_pages_answer_503_when_the_database_is_out_of_reach(nurse, case, tmp_path):
    # Nothing of the request reaches a view: loading the signed-in person fails first, in
    # middleware, so the 500 handler gives the same answer.
    client = Client(raise_request_exception=False)
    client.force_login(nurse)
    step = case.steps.get(title="Swab count correct")

    with database_out_of_reach(tmp_path):
        page = client.get("/")
        row = tick(client, case, htmx=True, step=step)
        health = Client().get("/healthz")  # a monitor, without a session to load

    assert page.status_code == 503
    assert page["Retry-After"] == "5"
    assert "<h1>Try again</h1>" in page.content.decode()
    assert_not_saved(row, htmx=True)
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "failed": "database-read"}
    assert client.get("/healthz").status_code == 200


# --- what is not an outage stays a 500 ------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_a_programming_error_in_sql_stays_a_500():
    response = Client(raise_request_exception=False).get("/bad-sql/")

    assert response.status_code == 500
    assert "Retry-After" not in response
    assert b"Your last change may not have been saved" in response.content


def test_only_outages_are_recognised(nurse):
    from sitracker import database

    with pytest.raises(DatabaseError) as bad_sql, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    with pytest.raises(IntegrityError) as duplicate:
        User.objects.create(username=nurse.username)

    assert database.outage(bad_sql.value) is None
    assert database.outage(duplicate.value) is None
    assert database.outage(RuntimeError("database is locked")) is None
