"""``workflow.reschedule_case``: the theatre list moves a case not yet started."""

import datetime

import pytest

from accounts.models import Room
from checklists import workflow
from checklists.audit import verify_audit
from checklists.choices import AuditAction
from checklists.errors import CaseLocked, NotPermitted, RuleViolation
from checklists.models import Case
from tests.conftest import events, make_case, make_procedure, record, tamper

START = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture
def case(nurse, surgeon):
    Room.objects.create(name="OR 2")
    procedure = make_procedure({"title": "Identity confirmed", "phase": "sign_in"})
    return make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 1", scheduled_start=START)


def move(case, actor, *, room="OR 2", hours=2):
    return workflow.reschedule_case(
        actor=actor,
        case_id=case.pk,
        room=room,
        scheduled_start=START + datetime.timedelta(hours=hours),
    )


def test_it_moves_a_scheduled_case_with_its_audit_event(case, nurse):
    moved = move(case, nurse)

    assert (moved.room, moved.scheduled_start, moved.version) == (
        "OR 2",
        START + datetime.timedelta(hours=2),
        case.version + 1,
    )
    event = events(case)[-1]
    assert (event.action, event.actor) == (AuditAction.CASE_RESCHEDULED, nurse)
    assert (event.before, event.after) == (
        {"room": "OR 1", "scheduled_start": "2026-12-01T08:00:00+00:00"},
        {"room": "OR 2", "scheduled_start": "2026-12-01T10:00:00+00:00"},
    )
    assert verify_audit().ok


def test_the_same_time_and_room_again_changes_nothing(case, nurse):
    move(case, nurse, room="OR 1", hours=0)

    assert [event.action for event in events(case)] == [AuditAction.CASE_CREATED]


def test_a_started_case_stays_where_the_team_is(case, nurse):
    record(case, "Identity confirmed", nurse)

    with pytest.raises(RuleViolation, match="This case has started"):
        move(case, nurse)
    assert Case.objects.get().room == "OR 1"


def test_a_cancelled_case_is_locked(case, nurse):
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")

    with pytest.raises(CaseLocked):
        move(case, nurse)


def test_a_room_not_in_use_is_refused(case, nurse):
    Room.objects.filter(name="OR 2").update(active=False)

    with pytest.raises(RuleViolation, match="“OR 2” is not a room in use"):
        move(case, nurse)
    assert len(events(case)) == 1


def test_a_role_that_cannot_schedule_cannot_move(case, reviewer):
    with pytest.raises(NotPermitted):
        move(case, reviewer)


def test_a_moved_cases_room_changed_in_sql_is_named(case, nurse):
    move(case, nurse)
    tamper(Case, "UPDATE {table} SET room = 'OR 1' WHERE id = %s", case.pk)

    assert [str(difference) for difference in verify_audit().differences] == [
        f"Case {case.pk}: the chain says room 'OR 2', the row says 'OR 1'"
    ]
