import datetime

import pytest
from django.utils import timezone

from checklists import workflow
from checklists.choices import AuditAction, CaseStatus
from checklists.errors import CaseLocked, NotFound, NotPermitted, RuleViolation
from checklists.models import Implant
from tests.conftest import events, make_case, make_procedure, record

UDI = "(01)00812345678901(17)281231(10)LOT123(21)SN456"
BAD_CHECK_DIGIT = "(01)00812345678906(17)281231(10)LOT123(21)SN456"
STEPS = ({"title": "Implants placed", "kind": "implants", "per_side": True},)


@pytest.fixture
def case(nurse, surgeon):
    return make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon, laterality="bilateral")


def add(case, actor, side="left", **fields):
    entry = workflow.ImplantEntry(side=side, **fields)
    return workflow.add_implant(actor=actor, case_id=case.pk, entry=entry)


def test_a_scanned_udi_fills_gtin_expiry_lot_and_serial(case, nurse):
    implant = add(case, nurse, udi=UDI, manufacturer="SI-BONE", product="iFuse-3D")

    assert (implant.gtin, implant.lot, implant.serial) == ("00812345678901", "LOT123", "SN456")
    assert implant.expiry == datetime.date(2028, 12, 31)
    assert implant.udi == UDI
    assert (implant.side, implant.position, implant.added_by) == ("left", 1, nurse)
    event = events(case)[-1]
    assert (event.action, event.actor) == (AuditAction.IMPLANT_ADDED, nurse)
    assert event.after["gtin"] == "00812345678901"
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS


def test_a_udi_with_a_wrong_check_digit_is_refused_and_nothing_stored(case, nurse):
    with pytest.raises(RuleViolation, match="check digit"):
        add(case, nurse, udi=BAD_CHECK_DIGIT)
    assert Implant.objects.count() == 0
    assert events(case)[-1].action == AuditAction.CASE_CREATED


@pytest.mark.parametrize("udi", ["(01)0081234", "hello", "(99"])
def test_a_malformed_udi_is_refused(case, nurse, udi):
    with pytest.raises(RuleViolation):
        add(case, nurse, udi=udi)
    assert Implant.objects.count() == 0


def test_a_typed_lot_that_contradicts_the_barcode_is_refused(case, nurse):
    with pytest.raises(RuleViolation, match="lot"):
        add(case, nurse, udi=UDI, lot="LOT999")


def test_an_implant_can_be_typed_by_hand(case, nurse):
    implant = add(case, nurse, product="iFuse-3D", size="7.0 x 45", lot="A1")
    assert (implant.product, implant.size, implant.gtin) == ("iFuse-3D", "7.0 x 45", "")


def test_an_implant_needs_a_product_or_a_barcode(case, nurse):
    with pytest.raises(RuleViolation, match="product"):
        add(case, nurse, manufacturer="SI-BONE")


def test_positions_count_up_per_side(case, nurse):
    sides = [add(case, nurse, side, product="Screw").position for side in ("left", "left", "right")]
    assert sides == [1, 2, 1]


def test_an_implant_must_go_on_a_side_of_the_case(nurse, surgeon):
    case = make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon, laterality="left")
    with pytest.raises(RuleViolation, match="left side"):
        add(case, nurse, side="right", product="Screw")


def test_an_expired_implant_needs_a_reason(case, nurse, surgeon):
    past = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(RuleViolation, match="expired"):
        add(case, surgeon, product="Screw", expiry=past)
    with pytest.raises(NotPermitted, match="surgeon"):
        add(case, nurse, product="Screw", expiry=past, expiry_override_reason="Only one left")

    implant = add(case, surgeon, product="Screw", expiry=past, expiry_override_reason="Only one")

    assert implant.expiry_override_reason == "Only one"
    assert events(case)[-1].after["expiry_override_reason"] == "Only one"


def test_the_implant_step_needs_an_implant_on_its_side(case, nurse):
    add(case, nurse, side="right", product="Screw")
    with pytest.raises(RuleViolation, match="left side"):
        record(case, "Implants placed", nurse, side="left")
    assert record(case, "Implants placed", nurse, side="right").status == "done"


def test_removing_an_implant_keeps_it_in_the_audit_trail(case, nurse):
    implant = add(case, nurse, udi=UDI, product="iFuse-3D")

    workflow.remove_implant(actor=nurse, case_id=case.pk, implant_id=implant.pk, reason="Misscan")

    assert not Implant.objects.filter(pk=implant.pk).exists()
    event = events(case)[-1]
    assert event.action == AuditAction.IMPLANT_REMOVED
    assert event.before["lot"] == "LOT123"
    assert event.after == {"reason": "Misscan"}


def test_removing_needs_a_reason(case, nurse):
    implant = add(case, nurse, product="Screw")
    with pytest.raises(RuleViolation, match="reason"):
        workflow.remove_implant(actor=nurse, case_id=case.pk, implant_id=implant.pk, reason="")


def test_the_last_implant_of_a_ticked_step_cannot_be_removed(case, nurse):
    implant = add(case, nurse, product="Screw")
    record(case, "Implants placed", nurse, side="left")
    with pytest.raises(RuleViolation, match="pending first"):
        workflow.remove_implant(actor=nurse, case_id=case.pk, implant_id=implant.pk, reason="x")


def test_an_implant_of_another_case_is_not_found(case, nurse, surgeon):
    other = make_case(case.procedure, actor=nurse, surgeon=surgeon, laterality="bilateral")
    implant = add(other, nurse, product="Screw")
    with pytest.raises(NotFound):
        workflow.remove_implant(actor=nurse, case_id=case.pk, implant_id=implant.pk, reason="x")


def test_a_cancelled_case_takes_no_implants(case, nurse):
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Postponed")
    with pytest.raises(CaseLocked):
        add(case, nurse, product="Screw")
