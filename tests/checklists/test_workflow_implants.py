import datetime

import pytest
from django.utils import timezone

from catalogue.choices import RecallScope
from catalogue.models import Device, Recall
from checklists import workflow
from checklists.choices import AuditAction, CaseStatus
from checklists.errors import (
    CaseLocked,
    DeviceConflict,
    ImplantRefused,
    NotFound,
    NotPermitted,
    RuleViolation,
    SidesDisagree,
)
from checklists.models import Implant
from tests.conftest import events, make_case, make_procedure, place_implant, record

UDI = "(01)00812345678901(17)281231(10)LOT123(21)SN456"
# The same UDI as a scanner reads it from the DataMatrix: symbology identifier, no brackets, a
# group separator after the lot (a variable-length field).
SCANNED = "]d201008123456789011728123110LOT123\x1d21SN456"
CATALOGUED = {
    "manufacturer": "Example Orthopaedics (fictitious)",
    "product": "Exemplar SI Fusion Implant EX-7045",
    "size": "7.0 x 45 mm",
}
UNKNOWN = "(01)00987654321005(17)281231(10)LOT9(21)SN9"
BAD_CHECK_DIGIT = "(01)00812345678906(17)281231(10)LOT123(21)SN456"
STEPS = ({"title": "Implants placed", "kind": "implants", "per_side": True},)


@pytest.fixture
def case(nurse, surgeon):
    return make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon, laterality="bilateral")


def add(case, actor, side="left", **fields):
    entry = workflow.ImplantEntry(side=side, **fields)
    return workflow.add_implant(actor=actor, case_id=case.pk, entry=entry)


def place(case, actor, side="left", **fields):
    """An implant logged and read back: placed."""
    return place_implant(case, actor, workflow.ImplantEntry(side=side, **fields))


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


def test_an_implant_on_a_side_the_case_does_not_have_holds_the_case(nurse, surgeon):
    """Logged as reported, and the side disagreement holds the case (workflow.sides): a
    refusal would leave a possible wrong-side implant in an integration's log, unseen."""
    case = make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon, laterality="left")

    implant = add(case, nurse, side="right", product="Screw")

    assert implant.side == "right"
    assert case.side_disagreements.get().implant == implant
    with pytest.raises(SidesDisagree, match=r"Implant 1 \(Screw\): right seen, the case is left"):
        add(case, nurse, product="Screw")


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
    place(case, nurse, side="right", product="Screw")
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
    implant = place(case, nurse, product="Screw")
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


# --- the device catalogue --------------------------------------------------------------------


def test_a_catalogued_gtin_names_the_implant_from_the_catalogue(case, nurse, device_catalogue):
    implant = add(case, nurse, udi=UDI)

    fields = {name: getattr(implant, name) for name in CATALOGUED}
    assert fields == CATALOGUED
    after = events(case)[-1].after
    assert {name: after[name] for name in CATALOGUED} == CATALOGUED
    assert (after["entry"], after["carrier"]) == ("manual", "hrf")  # the printed text, typed


def test_the_implant_keeps_what_the_catalogue_said_at_the_scan(case, nurse, device_catalogue):
    implant = add(case, nurse, udi=UDI)

    Device.objects.filter(gtin="00812345678901").update(brand="Renamed", size="9 x 99 mm")

    implant.refresh_from_db()
    assert (implant.product, implant.size) == (CATALOGUED["product"], CATALOGUED["size"])


def test_a_scanners_data_is_kept_as_read_and_marked_scanned(case, nurse, device_catalogue):
    implant = add(case, nurse, udi=SCANNED)

    assert (implant.udi, implant.entry, implant.carrier) == (SCANNED, "barcode", "aidc")
    assert (implant.gtin, implant.lot, implant.serial) == ("00812345678901", "LOT123", "SN456")
    assert (events(case)[-1].after["entry"], events(case)[-1].after["carrier"]) == (
        "barcode",
        "aidc",
    )


def test_an_implant_typed_part_by_part_is_marked_typed_without_a_carrier(case, nurse):
    implant = add(case, nurse, product="Screw", lot="A1")

    assert (implant.entry, implant.carrier) == ("manual", "")
    after = events(case)[-1].after
    assert after["entry"] == "manual"
    assert "carrier" not in after  # optional keys are stored only when they hold something


def test_a_gtin_the_catalogue_does_not_know_needs_the_products_name(case, nurse, device_catalogue):
    with pytest.raises(ImplantRefused, match="Not in the device catalogue") as refused:
        add(case, nurse, udi=UNKNOWN)
    assert refused.value.field == "product"
    assert refused.value.status_code == 422
    assert Implant.objects.count() == 0
    assert events(case)[-1].action == AuditAction.CASE_CREATED

    implant = add(case, nurse, udi=UNKNOWN, product="Local fusion screw")

    assert (implant.product, implant.manufacturer, implant.gtin) == (
        "Local fusion screw",
        "",
        "00987654321005",
    )
    assert events(case)[-1].after["product"] == "Local fusion screw"


def test_an_inactive_catalogue_entry_is_not_used(case, nurse, device_catalogue):
    Device.objects.filter(gtin="00812345678901").update(active=False)

    with pytest.raises(ImplantRefused, match="Not in the device catalogue"):
        add(case, nurse, udi=UDI)


def test_a_typed_name_that_is_not_the_catalogues_is_refused(case, nurse, device_catalogue):
    with pytest.raises(ImplantRefused, match="not the device catalogue's") as refused:
        add(case, nurse, udi=UDI, product="iFuse-3D")
    assert refused.value.field == "product"
    assert Implant.objects.count() == 0

    assert add(case, nurse, udi=UDI, size=CATALOGUED["size"]).size == CATALOGUED["size"]


# --- the side --------------------------------------------------------------------------------


def test_without_a_side_a_one_sided_case_takes_it_on_its_side(nurse, surgeon):
    case = make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon, laterality="right")

    assert add(case, nurse, side="", product="Screw").side == "right"


def test_without_a_side_a_bilateral_case_takes_it_on_the_side_whose_implant_step_is_next(
    case, nurse
):
    assert place(case, nurse, side="", product="Screw").side == "left"
    record(case, "Implants placed", nurse, side="left")

    implant = add(case, nurse, side="", product="Screw")

    assert (implant.side, implant.position) == ("right", 1)
    assert events(case)[-1].after["side"] == "right"


def test_without_a_side_and_no_implant_step_to_do_the_side_is_asked_for(case, nurse):
    for side in ("left", "right"):
        place(case, nurse, side=side, product="Screw")
        record(case, "Implants placed", nurse, side=side)

    with pytest.raises(RuleViolation, match="Choose the side"):
        add(case, nurse, side="", product="Screw")


# --- the same device twice, and recalls -------------------------------------------------------

REASON = "Box relabelled by the maker: the other case's record is wrong"


@pytest.fixture
def other_case(case, nurse, surgeon):
    """Another case, on 4 Mar 2025, whose left side holds the device of ``UDI`` (SN456)."""
    other = make_case(
        case.procedure,
        actor=nurse,
        surgeon=surgeon,
        scheduled_start=datetime.datetime(2025, 3, 4, 9, 0, tzinfo=datetime.UTC),
    )
    add(other, nurse, udi=UDI, product="iFuse-3D")
    return other


def test_the_same_device_twice_on_one_case_is_refused(case, nurse):
    add(case, nurse, side="right", udi=UDI, product="iFuse-3D")

    with pytest.raises(DeviceConflict, match="already on this case's log: right side") as refused:
        add(case, nurse, side="left", udi=UDI, product="iFuse-3D")

    assert refused.value.status_code == 409
    assert Implant.objects.filter(case=case).count() == 1
    assert [e.action for e in events(case)][-1] == AuditAction.IMPLANT_ADDED
    assert len(events(case, action=AuditAction.IMPLANT_ADDED)) == 1


def test_the_same_lot_without_a_serial_is_not_a_duplicate(case, nurse):
    lot_only = "(01)00812345678901(17)281231(10)LOT123"
    add(case, nurse, udi=lot_only, product="Screw")

    assert add(case, nurse, udi=lot_only, product="Screw").position == 2


def test_a_device_implanted_in_another_case_is_refused_naming_its_date(
    case, nurse, surgeon, other_case
):
    with pytest.raises(
        DeviceConflict, match="implanted in another case, on 04 Mar 2025"
    ) as refused:
        add(case, surgeon, udi=UDI, product="iFuse-3D")

    assert refused.value.field == "duplicate_override_reason"
    assert refused.value.status_code == 409
    assert other_case.patient_name not in refused.value.message
    assert other_case.patient_mrn not in refused.value.message
    assert not Implant.objects.filter(case=case).exists()
    assert events(case)[-1].action == AuditAction.CASE_CREATED


def test_only_a_surgeon_may_log_a_device_recorded_in_another_case(case, nurse, other_case):
    with pytest.raises(NotPermitted, match="Only a surgeon"):
        add(case, nurse, udi=UDI, product="iFuse-3D", duplicate_override_reason=REASON)
    assert not Implant.objects.filter(case=case).exists()


def test_a_surgeons_reason_logs_it_and_is_kept_on_the_implant_and_in_the_trail(
    case, surgeon, other_case
):
    implant = add(case, surgeon, udi=UDI, product="iFuse-3D", duplicate_override_reason=REASON)

    assert implant.duplicate_override_reason == REASON
    event = events(case)[-1]
    assert (event.action, event.actor) == (AuditAction.IMPLANT_ADDED, surgeon)
    assert event.after["duplicate_override_reason"] == REASON


def test_a_reason_given_when_none_is_needed_is_not_kept(case, surgeon):
    implant = add(case, surgeon, udi=UDI, product="iFuse-3D", duplicate_override_reason=REASON)

    assert implant.duplicate_override_reason == ""
    assert "duplicate_override_reason" not in events(case)[-1].after


def test_a_device_on_a_cancelled_case_was_not_implanted(case, nurse, other_case):
    workflow.cancel(actor=nurse, case_id=other_case.pk, reason="Patient unwell")

    assert add(case, nurse, udi=UDI, product="iFuse-3D").serial == "SN456"


def recall(administrator, scope=RecallScope.ALL, listed="", reason="Coating may flake."):
    return Recall.objects.create(
        gtin="00812345678901",
        scope=scope,
        listed=listed,
        reason=reason,
        recalled_on=datetime.date(2025, 5, 6),
        recorded_by=administrator,
    )


def test_a_recalled_device_is_refused_with_the_recalls_reason(case, nurse, administrator):
    recall(administrator)

    with pytest.raises(
        DeviceConflict, match="Recalled on 06 May 2025: Coating may flake"
    ) as refused:
        add(case, nurse, udi=UDI, product="iFuse-3D")

    assert refused.value.status_code == 409
    assert refused.value.field == ""  # no reason lets it through
    assert not Implant.objects.exists()
    assert events(case)[-1].action == AuditAction.CASE_CREATED


def test_a_recall_of_listed_lots_refuses_those_lots_only(case, nurse, administrator):
    recall(administrator, RecallScope.LOTS, listed="LOT122\nLOT123, LOT124")

    with pytest.raises(DeviceConflict, match="Recalled"):
        add(case, nurse, udi=UDI, product="iFuse-3D")
    other_lot = UDI.replace("LOT123", "LOT200")

    assert add(case, nurse, udi=other_lot, product="iFuse-3D").lot == "LOT200"


def test_a_recall_of_listed_serials_refuses_those_serials_only(case, nurse, administrator):
    recall(administrator, RecallScope.SERIALS, listed="SN456; SN999")

    with pytest.raises(DeviceConflict, match="Recalled"):
        add(case, nurse, udi=UDI, product="iFuse-3D")
    with pytest.raises(DeviceConflict, match="Recalled"):
        add(case, nurse, udi=UDI.replace("SN456", "SN999"), product="iFuse-3D")

    assert add(case, nurse, udi=UDI.replace("SN456", "SN457"), product="iFuse-3D")


def test_a_recall_of_another_device_refuses_nothing_here(case, nurse, administrator):
    Recall.objects.create(
        gtin="00812345678925",
        reason="Wrong size printed",
        recalled_on=datetime.date(2025, 5, 6),
        recorded_by=administrator,
    )

    assert add(case, nurse, udi=UDI, product="iFuse-3D")
