from itertools import pairwise

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from checklists.audit import verify_chains
from checklists.models import AuditEvent
from tests.conftest import events, make_case, make_procedure, record, tamper


@pytest.fixture
def case(nurse, surgeon):
    procedure = make_procedure({"title": "First"}, {"title": "Second"}, {"title": "Third"})
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    for title in ("First", "Second", "Third"):
        record(case, title, nurse)
    return case


def run_sql(sql: str, *params) -> None:
    """Behind the application's back, the way a person with database access would (on
    PostgreSQL, disabling the audit table's append-only trigger first)."""
    tamper(AuditEvent, sql, *params)


def test_an_untouched_chain_verifies(case, capsys):
    call_command("verify_audit")
    assert "verified: 1 cases, 4 events" in capsys.readouterr().out


def test_each_event_links_to_the_one_before(case):
    chain = events(case)
    assert [e.seq for e in chain] == [1, 2, 3, 4]
    assert chain[0].prev_hash == ""
    assert all(later.prev_hash == earlier.hash for earlier, later in pairwise(chain))
    case.refresh_from_db()
    assert (case.audit_seq, case.audit_head) == (4, chain[-1].hash)


def test_an_altered_after_value_is_caught_and_named(case, capsys):
    target = events(case)[2]
    run_sql("UPDATE {table} SET after = %s WHERE id = %s", '{"status": "na"}', target.pk)

    with pytest.raises(CommandError, match="does not verify"):
        call_command("verify_audit")

    err = capsys.readouterr().err
    assert f"Case {case.pk}, event #3 (id {target.pk})" in err
    assert "altered" in err


def test_a_deleted_middle_event_is_caught(case):
    run_sql("DELETE FROM {table} WHERE id = %s", events(case)[1].pk)
    [chain_break] = verify_chains().breaks
    assert chain_break.seq == 3
    assert "missing or reordered" in chain_break.problem


def test_a_deleted_newest_event_is_caught(case):
    run_sql("DELETE FROM {table} WHERE id = %s", events(case)[-1].pk)
    [chain_break] = verify_chains().breaks
    assert "removed" in chain_break.problem


def test_swapped_events_are_caught(case):
    second, third = events(case)[1:3]
    run_sql("UPDATE {table} SET seq = 1000 WHERE id = %s", second.pk)
    run_sql("UPDATE {table} SET seq = 2 WHERE id = %s", third.pk)
    run_sql("UPDATE {table} SET seq = 3 WHERE id = %s", second.pk)
    assert not verify_chains().ok


def test_the_command_checks_one_case_on_request(case, nurse, surgeon, capsys):
    other = make_case(case.procedure, actor=nurse, surgeon=surgeon)
    run_sql("UPDATE {table} SET action = 'cancelled' WHERE id = %s", events(case)[0].pk)

    call_command("verify_audit", "--case", str(other.pk))
    assert "verified: 1 cases, 1 events" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("verify_audit", "--case", str(case.pk))


def test_an_unknown_case_is_an_error(db):
    with pytest.raises(CommandError, match="No such case"):
        call_command("verify_audit", "--case", "424242")


def test_the_model_refuses_updates_and_deletes(case):
    event = events(case)[0]
    event.action = "cancelled"
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(case=case).update(action="cancelled")
    with pytest.raises(TypeError, match="append-only"):
        AuditEvent.objects.filter(case=case).delete()
    assert verify_chains().ok
