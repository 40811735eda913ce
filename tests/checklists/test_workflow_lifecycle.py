"""An implant's lifecycle through the workflow: read back aloud before it is opened; opened but
not implanted (wasted) while the case is open; explanted, with its day and reason, after the
case is signed. Each change is its own audit event, which the replay folds (``verify_audit``)."""

import datetime

import pytest
from django.utils import timezone

from checklists import workflow
from checklists.audit import verify_audit
from checklists.choices import AuditAction, ImplantStatus
from checklists.errors import CaseLocked, NotFound, NotPermitted, RuleViolation, SignOutBlocked
from checklists.models import Signature
from tests.conftest import PASSWORD, events, make_case, make_procedure, place_implant, record

STEPS = ({"title": "Implants placed", "kind": "implants"},)


@pytest.fixture
def case(nurse, surgeon):
    return make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon)


def add(case, actor, serial):
    """An implant logged and read back."""
    udi = f"(01)00812345678901(17)301231(10)LOT1(21){serial}"
    entry = workflow.ImplantEntry(udi=udi, product="Exemplar SI Fusion Implant")
    return place_implant(case, actor, entry)


def waste(case, implant, actor, reason="Dropped on the floor"):
    return workflow.waste_implant(
        actor=actor, case_id=case.pk, implant_id=implant.pk, reason=reason
    )


def explant(case, implant, actor, on=None, reason="Loosening at 8 months"):
    return workflow.explant_implant(
        actor=actor,
        case_id=case.pk,
        implant_id=implant.pk,
        explanted_on=on or timezone.localdate(),
        reason=reason,
    )


def sign(case, nurse, surgeon):
    record(case, "Implants placed", nurse)
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)


def assert_replays(case):
    verdict = verify_audit(case_ids=[case.pk])
    assert verdict.ok, verdict


def scan(case, actor, serial):
    """An implant logged, its read-back still to do."""
    udi = f"(01)00812345678901(17)301231(10)LOT1(21){serial}"
    entry = workflow.ImplantEntry(udi=udi, product="Exemplar SI Fusion Implant")
    return workflow.add_implant(actor=actor, case_id=case.pk, entry=entry)


def read_back(case, implant, actor):
    return workflow.confirm_read_back(actor=actor, case_id=case.pk, implant_id=implant.pk)


# --- the read-back before opening ---------------------------------------------------------------


def test_a_read_back_records_who_confirmed_it_and_when_in_its_own_event(case, nurse, scrub):
    implant = scan(case, nurse, "S1")
    assert implant.awaiting_read_back

    confirmed = read_back(case, implant, scrub)

    implant.refresh_from_db()
    assert (implant.read_back_by, implant.read_back_at) == (scrub, confirmed.read_back_at)
    assert not implant.awaiting_read_back
    event = events(case)[-1]
    assert (event.action, event.actor, event.before, event.after, event.created_at) == (
        AuditAction.IMPLANT_READ_BACK,
        scrub,
        None,
        {"implant": implant.pk, "side": "left", "position": 1},
        implant.read_back_at,
    )
    assert_replays(case)


def test_a_second_read_back_of_the_same_implant_changes_nothing(case, nurse, scrub):
    implant = scan(case, nurse, "S1")
    first = read_back(case, implant, nurse)
    count = len(events(case))

    again = read_back(case, implant, scrub)  # a double tap, or a second tablet

    assert (again.read_back_by, again.read_back_at) == (nurse, first.read_back_at)
    assert len(events(case)) == count


def test_the_implant_step_waits_for_every_implant_of_its_side_to_be_read_back(case, nurse):
    first = scan(case, nurse, "S1")
    second = scan(case, nurse, "S2")
    read_back(case, first, nurse)

    with pytest.raises(RuleViolation, match="Read back implant 2 aloud"):
        record(case, "Implants placed", nurse)
    read_back(case, second, nurse)

    assert record(case, "Implants placed", nurse).status == "done"


def test_an_implant_logged_after_its_step_was_ticked_stops_sign_out_until_read_back(
    case, nurse, surgeon
):
    add(case, nurse, "S1")
    record(case, "Implants placed", nurse)
    late = scan(case, nurse, "S2")
    step = case.steps.get(title="Implants placed")

    assert workflow.missing_for_sign_out(case) == [step]
    with pytest.raises(SignOutBlocked, match="Implants placed"):
        workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)
    read_back(case, late, nurse)

    assert workflow.missing_for_sign_out(case) == []
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)


def test_an_implant_taken_off_the_log_or_wasted_unopened_is_not_read_back(case, nurse):
    wrong_box = scan(case, nurse, "S1")
    dropped = scan(case, nurse, "S2")
    workflow.remove_implant(
        actor=nurse, case_id=case.pk, implant_id=wrong_box.pk, reason="Wrong size scanned"
    )
    waste(case, dropped, nurse)

    with pytest.raises(RuleViolation, match="opened, not implanted"):
        read_back(case, dropped, nurse)
    with pytest.raises(NotFound):
        read_back(case, wrong_box, nurse)


def test_a_read_back_needs_a_role_that_logs_implants_and_an_open_case(
    case, nurse, surgeon, reviewer
):
    implant = scan(case, nurse, "S1")
    with pytest.raises(NotPermitted):
        read_back(case, implant, reviewer)
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Postponed")
    with pytest.raises(CaseLocked):
        read_back(case, implant, surgeon)
    assert events(case)[-2].action == AuditAction.IMPLANT_ADDED


# --- waste and explant --------------------------------------------------------------------------


def test_an_implant_opened_but_not_implanted_stays_on_the_log_marked_with_why(case, nurse):
    implant = add(case, nurse, "S1")
    add(case, nurse, "S2")

    waste(case, implant, nurse)

    implant.refresh_from_db()
    assert (implant.status, implant.wasted_reason) == (ImplantStatus.WASTED, "Dropped on the floor")
    event = events(case)[-1]
    assert (event.action, event.actor) == (AuditAction.IMPLANT_WASTED, nurse)
    assert event.after == {"implant": implant.pk, "reason": "Dropped on the floor"}
    assert event.before["serial"] == "S1" and "wasted_reason" not in event.before
    assert_replays(case)


def test_the_signature_covers_the_waste_and_the_case_still_replays(case, nurse, surgeon):
    wasted = add(case, nurse, "S1")
    add(case, nurse, "S2")
    waste(case, wasted, nurse)
    sign(case, nurse, surgeon)
    assert_replays(case)


def test_the_waste_needs_a_reason_and_a_role_that_logs_implants(case, nurse, reviewer):
    implant = add(case, nurse, "S1")
    with pytest.raises(RuleViolation, match="why"):
        waste(case, implant, nurse, reason="  ")
    with pytest.raises(NotPermitted):
        waste(case, implant, reviewer)
    assert events(case)[-1].action == AuditAction.IMPLANT_READ_BACK


def test_the_only_implant_placed_of_a_ticked_step_is_not_wasted(case, nurse):
    implant = add(case, nurse, "S1")
    record(case, "Implants placed", nurse)
    with pytest.raises(RuleViolation, match="only implant placed"):
        waste(case, implant, nurse)


def test_a_ticked_implant_step_needs_an_implant_placed_not_only_opened(case, nurse):
    waste(case, add(case, nurse, "S1"), nurse)
    with pytest.raises(RuleViolation, match="Log at least one implant"):
        record(case, "Implants placed", nurse)


def test_an_implant_is_wasted_once_and_only_in_an_open_case(case, nurse, surgeon):
    wasted, placed = add(case, nurse, "S1"), add(case, nurse, "S2")
    waste(case, wasted, nurse)
    with pytest.raises(RuleViolation, match="already"):
        waste(case, wasted, nurse)
    sign(case, nurse, surgeon)
    with pytest.raises(CaseLocked):
        waste(case, placed, nurse)


def test_a_device_wasted_in_one_case_may_be_implanted_in_another(case, nurse, surgeon):
    waste(case, add(case, nurse, "S1"), nurse)
    other = make_case(case.procedure, actor=nurse, surgeon=surgeon)
    assert add(other, nurse, "S1").serial == "S1"  # no surgeon's reason asked


def test_an_explant_after_sign_out_is_kept_with_its_day_and_reason(case, nurse, surgeon):
    implant = add(case, nurse, "S1")
    sign(case, nurse, surgeon)
    signatures = Signature.objects.count()
    today = timezone.localdate()

    explant(case, implant, surgeon, on=today)

    implant.refresh_from_db()
    assert implant.status == ImplantStatus.EXPLANTED
    assert (implant.explanted_on, implant.explant_reason) == (today, "Loosening at 8 months")
    event = events(case)[-1]
    assert (event.action, event.actor) == (AuditAction.IMPLANT_EXPLANTED, surgeon)
    assert event.after == {
        "implant": implant.pk,
        "explanted_on": today.isoformat(),
        "reason": "Loosening at 8 months",
    }
    # Not an amendment: no new signature, the case not marked amended, and the rows still
    # hash to what the sign-out's signature vouches for.
    case.refresh_from_db()
    assert Signature.objects.count() == signatures and not case.amended
    assert_replays(case)


def test_an_explant_after_review_too(case, nurse, surgeon, reviewer):
    implant = add(case, nurse, "S1")
    sign(case, nurse, surgeon)
    workflow.mark_reviewed(actor=reviewer, case_id=case.pk, comment="")
    explant(case, implant, surgeon)
    assert_replays(case)


def test_only_a_surgeon_records_an_explant_and_only_on_a_signed_case(case, nurse, surgeon):
    implant = add(case, nurse, "S1")
    with pytest.raises(RuleViolation, match="signed-out case"):
        explant(case, implant, surgeon)
    sign(case, nurse, surgeon)
    with pytest.raises(NotPermitted, match="surgeon"):
        explant(case, implant, nurse)
    with pytest.raises(RuleViolation, match="why"):
        explant(case, implant, surgeon, reason="")


@pytest.mark.parametrize("days", [1, -3650])
def test_an_explant_day_in_the_future_or_before_the_case_is_refused(case, nurse, surgeon, days):
    implant = add(case, nurse, "S1")
    sign(case, nurse, surgeon)
    with pytest.raises(RuleViolation, match="between the case"):
        explant(case, implant, surgeon, on=timezone.localdate() + datetime.timedelta(days=days))


def test_an_implant_is_explanted_once_and_a_wasted_one_never(case, nurse, surgeon):
    wasted, placed = add(case, nurse, "S1"), add(case, nurse, "S2")
    waste(case, wasted, nurse)
    sign(case, nurse, surgeon)
    with pytest.raises(RuleViolation, match="not implanted"):
        explant(case, wasted, surgeon)
    explant(case, placed, surgeon)
    with pytest.raises(RuleViolation, match="already"):
        explant(case, placed, surgeon)


def test_an_implant_of_another_case_is_not_found(case, nurse, surgeon):
    other = make_case(case.procedure, actor=nurse, surgeon=surgeon)
    implant = add(other, nurse, "S9")
    with pytest.raises(NotFound):
        waste(case, implant, nurse)
