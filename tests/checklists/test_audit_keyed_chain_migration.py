"""Migration 0010 re-seals every existing audit chain under the audit key, and refuses to bless
a chain that was already tampered with.

The chains are made through the workflow (keyed), taken back to plain SHA-256 by the
migration's way back (as the release before this one wrote them), and brought forward again.
"""

import json

import pytest
from django.db import connection

from checklists.audit import verify_chains
from checklists.models import AuditEvent, Case
from tests.checklists.conftest import migrate, migrate_to_latest
from tests.conftest import make_case, make_procedure, record, tamper

UNKEYED = ("checklists", "0009_pins_moved_to_accounts")
TABLE = AuditEvent._meta.db_table

STEPS = (
    {"title": "Identity confirmed", "phase": "sign_in", "hard_stop": True},
    {"title": "Team introduced", "phase": "time_out"},
    {"title": "Wound closed"},
)


@pytest.fixture
def cases(reference_data, nurse, surgeon) -> list[Case]:
    procedure = make_procedure(*STEPS)
    made = []
    for _ in range(3):
        case = make_case(procedure, actor=nurse, surgeon=surgeon)
        record(case, "Identity confirmed", nurse)
        record(case, "Team introduced", nurse)
        made.append(case)
    make_case(procedure, actor=nurse, surgeon=surgeon)  # a chain of one event
    return made


def chains() -> dict[int, list[tuple[str, str]]]:
    rows = AuditEvent.objects.order_by("case_id", "seq").values_list("case_id", "hash", "key_id")
    found: dict[int, list[tuple[str, str]]] = {}
    for case_id, hash_, key_id in rows:
        found.setdefault(case_id, []).append((hash_, key_id))
    return found


@pytest.mark.django_db(transaction=True)
def test_it_reseals_plain_chains_under_the_current_key(cases, settings):
    keyed = chains()
    try:
        migrate(UNKEYED)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT hash FROM {TABLE} ORDER BY case_id, seq")  # noqa: S608
            unkeyed = [row[0] for row in cursor.fetchall()]
    finally:
        migrate_to_latest()

    assert unkeyed and unkeyed != [hash_ for chain in keyed.values() for hash_, _ in chain]
    assert chains() == keyed  # sealed again exactly as the workflow sealed them
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {settings.AUDIT_KEY_ID}
    assert verify_chains().ok


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_reseal_a_chain_that_was_tampered_with(cases):
    victim = cases[1]
    event = AuditEvent.objects.get(case=victim, seq=2)
    sql = "UPDATE {table} SET after = %s WHERE id = %s"
    try:
        migrate(UNKEYED)
        tamper(AuditEvent, sql, json.dumps({"status": "done", "value": "x"}), event.pk)
        with pytest.raises(RuntimeError, match=f"Case {victim.pk}: .* at event #2"):
            migrate_to_latest()
    finally:
        tamper(AuditEvent, sql, json.dumps(event.after), event.pk)  # put back, to move on
        migrate_to_latest()
    assert verify_chains().ok
