import datetime
import json

import pytest
from django.utils import timezone

from checklists import payloads, workflow
from checklists.choices import AuditAction
from checklists.errors import SignatureRefused
from checklists.models import Case, CaseStep, Implant, Signature
from tests.conftest import (
    PASSWORD,
    events,
    make_case,
    make_procedure,
    perform_time_out,
    record,
)

AT = datetime.datetime(2025, 3, 4, 9, 15, 30, 123456, tzinfo=datetime.UTC)
UDI = "(01)00812345678901(17)291231(10)LOT123(21)SN456"
STEPS = (
    {"title": "Identity confirmed", "phase": "sign_in", "hard_stop": True},
    {"title": "Implants placed", "kind": "implants"},
    {"title": "Length", "kind": "number", "min_value": 3, "max_value": 9},
    {"title": "Counts correct", "phase": "sign_out", "kind": "yes_no", "expected_answer": "yes"},
)

# A checklist whose Time Out gates the procedure: it is read aloud with the team.
TIMED = ({"title": "Team introduced", "phase": "time_out", "gates_later_phases": True},)


def stored(payload) -> str:
    """The JSON text a JSONField stores (``json.dumps``, keys in the order built)."""
    return json.dumps(payload)


def test_every_audit_action_has_its_payloads_defined():
    assert set(payloads.PAYLOADS) == set(AuditAction.values)


def test_a_step_state_is_stored_as_it_always_was():
    step = CaseStep(
        status="done", value="7.5", note="n", na_reason="", recorded_by_id=4, recorded_at=AT
    )
    step.revision = 2

    assert stored(payloads.step_state(step)) == (
        '{"status": "done", "value": "7.5", "note": "n", "na_reason": "", "recorded_by": 4, '
        '"recorded_at": "2025-03-04T09:15:30.123456+00:00", "revision": 2}'
    )
    assert payloads.step_state(CaseStep())["recorded_at"] is None
    assert step.state() == payloads.step_state(step)


def test_a_time_out_ended_is_stored_with_its_team_and_attestations_in_order():
    ended = payloads.time_out_ended(
        time_out=7,
        surgeon=1,
        anaesthetist=2,
        circulating_nurse=3,
        scrub=None,
        all_items_spoken=True,
        everyone_present=False,
        interruptions=2,
    )

    assert stored(ended) == (
        '{"time_out": 7, "surgeon": 1, "anaesthetist": 2, "circulating_nurse": 3, '
        '"scrub": null, "all_items_spoken": true, "everyone_present": false, "interruptions": 2}'
    )


def test_a_rescheduling_is_stored_as_room_and_start_in_utc_to_the_second():
    start = datetime.datetime(
        2025, 3, 4, 9, 15, 30, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )

    assert stored(payloads.scheduling(room="OR 2", scheduled_start=start)) == (
        '{"room": "OR 2", "scheduled_start": "2025-03-04T08:15:30+00:00"}'
    )


def test_a_recorded_step_is_stored_as_its_state_and_a_revert_adds_its_reason_last():
    step = CaseStep(status="pending", recorded_by_id=None, recorded_at=None)
    step.revision = 3
    state = stored(payloads.step_state(step))

    assert stored(payloads.step_recorded(step)) == state
    assert stored(payloads.step_recorded(step, reason="Band re-read")) == (
        f'{state[:-1]}, "reason": "Band re-read"}}'
    )


def test_an_implant_and_a_signature_are_stored_as_they_always_were():
    implant = Implant(
        pk=9, side="left", position=2, manufacturer="SI-BONE", product="iFuse-3D", size="7 x 40",
        lot="L1", expiry=datetime.date(2029, 12, 31), serial="S1", gtin="00812345678901",
        udi=UDI, expiry_override_reason="",
    )  # fmt: skip
    signature = Signature(pk=3, printed_name="Sue Surgeon", meaning="amendment", content_hash="ab")
    step = CaseStep(status="na", na_reason="No specimen", recorded_by_id=4, recorded_at=AT)

    assert stored(payloads.logged_implant(implant)) == (
        '{"implant": 9, "side": "left", "position": 2, "manufacturer": "SI-BONE", '
        '"product": "iFuse-3D", "size": "7 x 40", "lot": "L1", "expiry": "2029-12-31", '
        f'"serial": "S1", "gtin": "00812345678901", "udi": "{UDI}", '
        '"expiry_override_reason": ""}'
    )
    signed = (
        '{"signature": 3, "printed_name": "Sue Surgeon", '
        '"meaning": "Amendment to a signed case, approved by surgeon", "content_hash": "ab"}'
    )
    assert stored(payloads.signature_state(signature)) == signed
    assert stored(payloads.step_amended(step, reason="Re-measured", signature=signature)) == (
        '{"status": "na", "value": "", "note": "", "na_reason": "No specimen", '
        '"recorded_by": 4, "recorded_at": "2025-03-04T09:15:30.123456+00:00", "revision": 0, '
        f'"reason": "Re-measured", "signature": {signed}}}'
    )


def test_a_stop_override_is_stored_with_the_expected_answer_and_the_reason():
    after = payloads.stop_overridden(expected_answer="yes", reason="Recounted", revision=3)
    assert stored(after) == '{"expected_answer": "yes", "reason": "Recounted", "revision": 3}'


def test_a_case_created_keeps_its_first_keys_and_adds_the_identity_seal_last():
    local = AT.astimezone(datetime.timezone(datetime.timedelta(hours=2)))
    after = payloads.case_created(
        procedure_id=1,
        laterality="left",
        surgeon_id=2,
        room="OR 1",
        scheduled_start=local,
        steps=5,
        identity="5eal",
    )
    # The text stored since the first release, then the key added later: old events' JSON
    # is unchanged, and the scheduled start is kept in UTC to the second.
    assert stored(after) == (
        '{"procedure": 1, "laterality": "left", "surgeon": 2, "room": "OR 1", '
        '"scheduled_start": "2025-03-04T09:15:30+00:00", "steps": 5, "identity": "5eal"}'
    )


def test_the_identity_seal_is_keyed_and_holds_no_identity(settings):
    case = Case(patient_mrn="MRN0042", patient_name="Pat Example")
    case.patient_birth_date = datetime.date(1961, 3, 14)
    seal = case.identity_seal(key_id=settings.AUDIT_KEY_ID)

    assert len(seal) == 64 and "MRN0042" not in seal
    assert seal == case.identity_seal(key_id=settings.AUDIT_KEY_ID)
    settings.AUDIT_KEYS = {**settings.AUDIT_KEYS, "other": b"another key, 32 characters long!"}
    assert case.identity_seal(key_id="other") != seal
    case.patient_name = "Pat Exampel"
    assert case.identity_seal(key_id=settings.AUDIT_KEY_ID) != seal


def test_an_implants_optional_keys_come_last_and_only_when_they_hold_something():
    implant = Implant(
        pk=9, side="left", position=1, product="X", lot="", expiry=None, serial="S1",
        gtin="00812345678901", udi="0100812345678901", entry="barcode", carrier="aidc",
        duplicate_override_reason="Relabelled",
    )  # fmt: skip

    assert stored(payloads.logged_implant(implant)).endswith(
        '"expiry_override_reason": "", "entry": "barcode", "carrier": "aidc", '
        '"duplicate_override_reason": "Relabelled"}'
    )
    implant.wasted_reason = "Dropped"
    assert stored(payloads.logged_implant(implant)).endswith(
        '"duplicate_override_reason": "Relabelled", "wasted_reason": "Dropped"}'
    )
    implant.entry = implant.carrier = implant.duplicate_override_reason = ""
    implant.wasted_reason = ""
    assert stored(payloads.logged_implant(implant)).endswith('"expiry_override_reason": ""}')


def test_every_event_the_workflow_writes_has_the_keys_its_action_defines(
    nurse, surgeon, other_surgeon, reviewer
):
    case = make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon)
    workflow.reschedule_case(
        actor=nurse, case_id=case.pk, room=case.room, scheduled_start=AT.replace(microsecond=0)
    )
    record(case, "Identity confirmed", nurse)
    record(case, "Identity confirmed", nurse, status="pending", reason="Band re-read")
    record(case, "Identity confirmed", nurse)
    entry = workflow.ImplantEntry(side="left", udi=UDI, product="iFuse-3D")
    mistaken = workflow.add_implant(actor=nurse, case_id=case.pk, entry=entry)
    entry = workflow.ImplantEntry(side="left", udi=UDI.replace("SN456", "SN457"), product="X")
    placed = workflow.add_implant(actor=nurse, case_id=case.pk, entry=entry)
    workflow.confirm_read_back(actor=nurse, case_id=case.pk, implant_id=placed.pk)
    workflow.remove_implant(actor=nurse, case_id=case.pk, implant_id=mistaken.pk, reason="Twice")
    entry = workflow.ImplantEntry(side="left", udi=UDI.replace("SN456", "SN458"), product="X")
    dropped = workflow.add_implant(actor=nurse, case_id=case.pk, entry=entry)
    workflow.waste_implant(actor=nurse, case_id=case.pk, implant_id=dropped.pk, reason="Dropped")
    entry = workflow.ImplantEntry(side="right", udi=UDI.replace("SN456", "SN459"), product="X")
    wrong_side = workflow.add_implant(actor=nurse, case_id=case.pk, entry=entry)
    workflow.resolve_side_disagreement(
        actor=surgeon,
        case_id=case.pk,
        disagreement_id=case.side_disagreements.get().pk,
        resolution="Mis-scan",
    )
    workflow.remove_implant(actor=nurse, case_id=case.pk, implant_id=wrong_side.pk, reason="Mis")
    record(case, "Implants placed", nurse)
    length = record(case, "Length", surgeon, value="7")
    counts = record(case, "Counts correct", nurse, value="no")
    concern = workflow.raise_concern(actor=nurse, case_id=case.pk, reason="Count wrong")
    workflow.resolve_concern(
        actor=surgeon, case_id=case.pk, concern_id=concern.pk, resolution="Recounted"
    )
    workflow.override_stop(
        actor=surgeon, case_id=case.pk, step_id=counts.pk, revision=1, reason="Recounted: X-ray"
    )
    action = workflow.add_debrief_action(
        actor=nurse, case_id=case.pk, what="Order X-ray", due=timezone.localdate(), owner=nurse
    )
    workflow.close_debrief_action(actor=nurse, action_id=action.pk, note="Ordered")
    with pytest.raises(SignatureRefused):
        workflow.sign_out(actor=surgeon, case_id=case.pk, password="wrong")
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)
    workflow.amend(
        actor=surgeon,
        case_id=case.pk,
        step_id=length.pk,
        answer=workflow.Answer(status="done", value="8"),
        revision=1,
        reason="Re-measured",
        password=PASSWORD,
    )
    workflow.mark_reviewed(actor=reviewer, case_id=case.pk, comment="Fine")
    workflow.explant_implant(
        actor=surgeon,
        case_id=case.pk,
        implant_id=placed.pk,
        explanted_on=timezone.localdate(),
        reason="Loosening",
    )
    other = make_case(case.procedure, actor=nurse, surgeon=surgeon)
    workflow.cancel(actor=nurse, case_id=other.pk, reason="Patient unwell")

    timed_procedure = make_procedure(*TIMED, title="Timed", slug="timed")
    timed = make_case(timed_procedure, actor=nurse, surgeon=surgeon)
    perform_time_out(timed, nurse)
    workflow.change_surgeon(
        actor=nurse, case_id=timed.pk, surgeon=other_surgeon, reason="Called to an emergency"
    )

    written = events(case) + events(other) + events(timed)
    assert {event.action for event in written} == set(AuditAction.values)
    for event in written:
        before, after = payloads.PAYLOADS[event.action]
        for payload, kind in ((event.before, before), (event.after, after)):
            if kind is None:
                assert payload is None, event
            else:
                keys = kind.__required_keys__ | kind.__optional_keys__
                assert kind.__required_keys__ <= set(payload) <= keys, event
    recorded = [event.after for event in written if event.action == AuditAction.STEP_RECORDED]
    assert [after.get("reason") for after in recorded][:3] == [None, "Band re-read", None]
    # identity is written on every new case_created event; only older events lack it.
    [created] = events(case, action=AuditAction.CASE_CREATED)
    assert created.after["identity"] == Case.objects.get(pk=case.pk).identity_seal(
        key_id=created.key_id
    )
