"""Migration 0008 stores the compliance facts of cases closed before the workflow did.

Its SQL is a frozen copy of ``checklists.compliance``; these tests run it through Django's
migration executor on cases whose facts were stored by the workflow and by
``checklists.bulk`` (both through the Python definition), cleared first, and compare.
"""

import pytest
from django.db import connection

from checklists import bulk, workflow
from checklists.choices import StepStatus
from checklists.models import Case
from tests.checklists.conftest import migrate, migrate_to_latest
from tests.conftest import PASSWORD, make_case, make_procedure, record

BEFORE = ("checklists", "0007_case_compliance_facts")
FACTS = ("time_out_at", "incision_at", "required_complete", "amended")

STEPS = (
    {"title": "Identity confirmed", "phase": "sign_in", "hard_stop": True},
    {"title": "Team introduced", "phase": "time_out"},
    {"title": "Skin incision made", "milestone": "incision", "per_side": True},
    {"title": "Wound closed"},
)


def backfill_again() -> None:
    """Clear every case's facts, then run the backfill as ``migrate`` would."""
    Case.objects.update(time_out_at=None, incision_at=None, required_complete=None, amended=False)
    try:
        migrate(BEFORE)  # the backfill's way back does nothing: the columns stay
    finally:
        migrate_to_latest()  # the database is left at its latest migrations, whatever happens


def facts() -> dict[int, tuple]:
    return {row[0]: row[1:] for row in Case.objects.values_list("pk", *FACTS)}


def worked_through(procedure, nurse, surgeon, **fields) -> Case:
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="bilateral", **fields)
    record(case, "Identity confirmed", nurse)
    record(case, "Team introduced", nurse)
    record(case, "Skin incision made", surgeon, side="left")
    record(case, "Skin incision made", surgeon, side="right")
    record(case, "Wound closed", surgeon)
    return case


@pytest.fixture
def cases(reference_data, nurse, surgeon, reviewer) -> dict[str, Case]:
    """Cases in every state, closed through the workflow (and so with their facts stored)."""
    procedure = make_procedure(*STEPS)
    signed = worked_through(procedure, nurse, surgeon)
    workflow.sign_out(actor=surgeon, case_id=signed.pk, password=PASSWORD)
    amended = worked_through(procedure, nurse, surgeon)
    workflow.sign_out(actor=surgeon, case_id=amended.pk, password=PASSWORD)
    step = amended.steps.get(title="Team introduced")
    workflow.amend(
        actor=surgeon,
        case_id=amended.pk,
        step_id=step.pk,
        answer=workflow.Answer(status=StepStatus.DONE, note="Repeated after the incision"),
        revision=step.revision,
        reason="Corrected from the theatre log",
        password=PASSWORD,
    )
    workflow.mark_reviewed(actor=reviewer, case_id=amended.pk)
    cancelled = make_case(procedure, actor=nurse, surgeon=surgeon)
    record(cancelled, "Identity confirmed", nurse)
    record(cancelled, "Team introduced", nurse)
    workflow.cancel(actor=nurse, case_id=cancelled.pk, reason="Patient unwell")
    open_case = worked_through(procedure, nurse, surgeon)
    return {"signed": signed, "amended": amended, "cancelled": cancelled, "open": open_case}


def test_it_stores_what_the_workflow_and_the_generator_store_and_leaves_open_cases_unknown(cases):
    # One trip back and forth for all three: each replays some thirty migrations of every app,
    # the costliest thing the suite does. (On a database without cases the backfill runs
    # whenever a test database is made.)
    bulk.generate(count=60, seed=8)
    stored = facts()
    assert stored[cases["amended"].pk][3] is True  # a fact worth restoring
    assert stored[cases["cancelled"].pk][2] is False

    backfill_again()

    assert facts() == stored
    assert facts()[cases["open"].pk] == (None, None, None, False)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner statistics")
def test_on_sqlite_it_gathers_the_case_tables_statistics_again_where_there_were_some(cases):
    def case_statistics() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'checklists_case'")
            return cursor.fetchone()[0]

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    try:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'checklists_case'")  # as 0007

        backfill_again()

        assert case_statistics() > 0
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE sqlite_stat1")  # the suite's other tests plan without


def test_a_server_still_on_the_code_before_the_facts_can_create_cases(cases):
    """During a rolling deploy, servers not yet updated insert cases without naming the new
    columns: the database gives ``amended`` its default, and the others stay unknown."""
    signed = cases["signed"]
    columns = [
        field.column
        for field in Case._meta.concrete_fields
        if not field.primary_key and field.name not in FACTS
    ]
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO checklists_case ({names}) SELECT {names} FROM checklists_case "  # noqa: S608
            "WHERE id = %s",
            [signed.pk],
        )
    copy = Case.objects.exclude(pk__in=[case.pk for case in cases.values()]).get()
    assert copy.amended is False
    assert copy.required_complete is None
