"""The debrief at Sign Out (NatSSIPs 2): actions with an owner and a due day, added through
``workflow.add_debrief_action`` and closed, any time later, with a note; each one event on the
chain of the case that raised it, replayed by ``verify_audit``."""

import datetime

import pytest
from django.utils import timezone

from accounts.choices import ClinicalRole
from checklists import workflow
from checklists.audit import verify_audit
from checklists.choices import AuditAction
from checklists.errors import CaseLocked, NotFound, NotPermitted, RuleViolation
from checklists.models import DebriefAction
from tests.conftest import events, make_case, make_procedure, tamper
from tests.review.conftest import STEPS, signed_out


@pytest.fixture
def procedure(db):
    return make_procedure(*STEPS, title="Small fusion", slug="small-fusion")


@pytest.fixture
def case(procedure, nurse, surgeon):
    return make_case(procedure, actor=nurse, surgeon=surgeon)


def tomorrow() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=1)


def add(case, actor, *, what="Order 7.0 mm drill bits", **owner):
    owner = owner or {"owner_role": ClinicalRole.NURSE}
    return workflow.add_debrief_action(
        actor=actor, case_id=case.pk, what=what, due=tomorrow(), **owner
    )


def test_an_action_is_added_with_its_owner_and_one_audit_event(case, nurse, scrub):
    action = add(case, nurse, owner=scrub)

    assert (action.what, action.owner, action.owner_role, action.due) == (
        "Order 7.0 mm drill bits",
        scrub,
        "",
        tomorrow(),
    )
    assert action.is_open and action.raised_by == nurse
    (event,) = events(case, action=AuditAction.DEBRIEF_ACTION_ADDED)
    assert (event.actor, event.after) == (
        nurse,
        {
            "action": action.pk,
            "what": "Order 7.0 mm drill bits",
            "owner": scrub.pk,
            "owner_role": "",
            "due": tomorrow().isoformat(),
        },
    )
    assert verify_audit().ok


def test_an_action_owned_by_a_role(case, nurse):
    action = add(case, nurse, owner_role=ClinicalRole.ANAESTHETIST)

    assert (action.owner, action.owner_role) == (None, "anaesthetist")


@pytest.mark.parametrize(
    ("what", "owner", "message"),
    [
        ("  ", {"owner_role": "nurse"}, "Say what is to be done"),
        ("x" * 201, {"owner_role": "nurse"}, "too long"),
        ("Fix the lamp", {"owner_role": "janitor"}, "not a theatre role"),
        ("Fix the lamp", {"owner_role": ""}, "one owner"),
    ],
)
def test_an_action_needs_words_and_one_owner(case, nurse, what, owner, message):
    with pytest.raises(RuleViolation, match=message):
        add(case, nurse, what=what, **owner)
    assert not DebriefAction.objects.exists()


def test_a_person_and_a_role_together_are_refused(case, nurse, scrub):
    with pytest.raises(RuleViolation, match="one owner"):
        add(case, nurse, owner=scrub, owner_role="scrub")


def test_a_due_day_in_the_past_is_refused(case, nurse):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(RuleViolation, match="due date has passed"):
        workflow.add_debrief_action(
            actor=nurse, case_id=case.pk, what="Lamp", due=yesterday, owner_role="nurse"
        )


def test_a_reviewer_cannot_add_an_action(case, reviewer):
    with pytest.raises(NotPermitted):
        add(case, reviewer)


def test_a_double_tap_adds_the_action_once(case, nurse):
    assert add(case, nurse) == add(case, nurse)
    assert len(events(case, action=AuditAction.DEBRIEF_ACTION_ADDED)) == 1


def test_an_unknown_case_is_not_found(nurse, db):
    with pytest.raises(NotFound):
        workflow.add_debrief_action(
            actor=nurse, case_id=99999, what="Lamp", due=tomorrow(), owner_role="nurse"
        )


def test_actions_are_added_shortly_after_sign_out_but_not_later(procedure, nurse, surgeon):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)

    assert add(case, nurse).case == case  # the team debriefs as the patient leaves

    case.completed_at = timezone.now() - workflow.debrief.ADD_AFTER_SIGN_OUT
    case.completed_at -= datetime.timedelta(minutes=1)
    assert not workflow.debrief_is_open(case)


def test_no_action_on_a_case_signed_out_long_ago(procedure, nurse, surgeon):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    two_hours_ago = timezone.now() - datetime.timedelta(hours=2, minutes=1)
    tamper(type(case), "UPDATE {table} SET completed_at = %s WHERE id = %s", two_hours_ago, case.pk)

    with pytest.raises(CaseLocked, match="debrief of this case is over"):
        add(case, nurse)


def test_no_action_on_a_cancelled_case(case, nurse):
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")

    with pytest.raises(CaseLocked, match="cancelled"):
        add(case, nurse)


def test_an_action_is_closed_later_by_a_reviewer_with_a_note(procedure, nurse, surgeon, reviewer):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    action = add(case, nurse)
    workflow.mark_reviewed(actor=reviewer, case_id=case.pk, comment="")  # the case is filed

    closed = workflow.close_debrief_action(
        actor=reviewer, action_id=action.pk, note="Bits in stock from Monday"
    )

    assert (closed.closed_by, closed.closing_note) == (reviewer, "Bits in stock from Monday")
    (event,) = events(action.case, action=AuditAction.DEBRIEF_ACTION_CLOSED)
    assert (event.actor, event.after) == (
        reviewer,
        {"action": action.pk, "note": "Bits in stock from Monday"},
    )
    assert verify_audit().ok


def test_closing_needs_a_note(case, nurse):
    action = add(case, nurse)

    with pytest.raises(RuleViolation, match="Say what was done"):
        workflow.close_debrief_action(actor=nurse, action_id=action.pk, note=" ")


def test_closing_twice_is_refused(case, nurse, scrub):
    action = add(case, nurse)
    workflow.close_debrief_action(actor=nurse, action_id=action.pk, note="Done")

    with pytest.raises(RuleViolation, match="already closed by Nora Nurse"):
        workflow.close_debrief_action(actor=scrub, action_id=action.pk, note="Done too")
    assert len(events(case, action=AuditAction.DEBRIEF_ACTION_CLOSED)) == 1


def test_closing_an_unknown_action_is_not_found(nurse, db):
    with pytest.raises(NotFound):
        workflow.close_debrief_action(actor=nurse, action_id=99999, note="Done")


def test_an_administrator_without_review_rights_cannot_close(case, nurse, django_user_model):
    action = add(case, nurse)
    nobody = django_user_model.objects.create_user("nobody", password="x")

    with pytest.raises(NotPermitted):
        workflow.close_debrief_action(actor=nobody, action_id=action.pk, note="Done")


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("what", "Something else", "its what is to be done is not what the chain says"),
        ("due", "2031-01-01", "the chain says due day"),
        ("owner_role", "scrub", "the chain says owner (role) 'nurse', the row says 'scrub'"),
        ("closing_note", "Quietly closed", "its closing note is not what the chain says"),
    ],
)
def test_verify_audit_catches_an_action_changed_behind_its_back(
    case, nurse, column, value, expected
):
    action = add(case, nurse)
    sql = f"UPDATE {{table}} SET {column} = %s WHERE id = %s"  # noqa: S608 (a test's own column)
    tamper(DebriefAction, sql, value, action.pk)

    (difference,) = verify_audit().differences
    assert f"debrief action {action.pk}" in str(difference)
    assert expected in str(difference)


def test_verify_audit_catches_an_action_the_chain_never_added(case, nurse):
    add(case, nurse)
    DebriefAction.objects.create(
        case=case,
        what="Forged",
        owner_role="nurse",
        due=tomorrow(),
        raised_by=nurse,
        raised_at=timezone.now(),
    )

    (difference,) = verify_audit().differences
    assert "the chain never added it" in str(difference)
