"""Audit events cannot be changed or deleted: the model refuses everywhere, and on PostgreSQL
the database refuses too (migration checklists 0006), whatever program is asking."""

import pytest
from django.db import DatabaseError, connection, transaction

from checklists.choices import AuditAction
from checklists.models import AuditEvent
from tests.conftest import events, make_case, make_procedure, record

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a PostgreSQL trigger; SQLite has the model guard"
)
TABLE = AuditEvent._meta.db_table


@pytest.fixture
def case(nurse, surgeon):
    case = make_case(make_procedure({"title": "Only step"}), actor=nurse, surgeon=surgeon)
    record(case, "Only step", nurse)
    return case


def raw(sql: str, *params) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_model_refuses_to_change_or_delete_an_event(case):
    event = events(case)[0]
    event.action = AuditAction.CANCELLED

    for attempt in (
        event.save,
        event.delete,
        lambda: AuditEvent.objects.filter(case=case).update(action=AuditAction.CANCELLED),
        lambda: AuditEvent.objects.filter(case=case).delete(),
    ):
        with pytest.raises(TypeError, match="append-only"):
            attempt()

    assert [e.action for e in events(case)] == [AuditAction.CASE_CREATED, AuditAction.STEP_RECORDED]


@on_postgresql
def test_on_postgresql_the_database_refuses_an_update(case):
    event = events(case)[0]

    with pytest.raises(DatabaseError, match="checklists_auditevent rows are append-only"):
        raw(f"UPDATE {TABLE} SET action = %s WHERE id = %s", "cancelled", event.pk)  # noqa: S608

    assert events(case)[0].action == AuditAction.CASE_CREATED


@on_postgresql
def test_on_postgresql_the_database_refuses_a_delete(case):
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"):
        raw(f"DELETE FROM {TABLE} WHERE case_id = %s", case.pk)  # noqa: S608

    assert len(events(case)) == 2


@on_postgresql
def test_on_postgresql_new_events_are_still_written(case, nurse):
    record(case, "Only step", nurse, status="pending")

    assert events(case)[-1].seq == 3


@on_postgresql
def test_on_postgresql_both_append_only_tables_have_the_trigger(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE tgname LIKE %s ORDER BY 1",
            ["%append_only"],
        )
        triggers = cursor.fetchall()

    assert triggers == [
        ("checklists_auditevent", "checklists_auditevent_append_only"),
        ("review_recordaccess", "review_recordaccess_append_only"),
    ]
