"""Cases without a side: the WHO template for any operation may be scheduled with no side (a
general procedure where a side does not apply); a procedure whose steps ask for a side (per
side, or the side seen) refuses it. Such a case runs to its signature with no side steps, no
side disagreement, and says "No side" on the tablet, the wall and the record."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts import devices
from accounts.choices import DeviceKind
from accounts.models import EnrolledDevice, Room
from checklists import workflow
from checklists.choices import AuditAction, CaseStatus, Laterality
from checklists.errors import RuleViolation
from checklists.models import Case
from checklists.workflow.sides import check_sides_agree
from procedures.choices import Phase
from procedures.models import Procedure
from tests.conftest import PASSWORD, events, make_case, record, record_phase

WHO = "who-surgical-safety-checklist"
MI = "si-fusion-minimally-invasive"


@pytest.fixture
def room(db) -> Room:
    return Room.objects.create(name="OR 5")


def who() -> Procedure:
    return Procedure.objects.get(slug=WHO)


def entry(procedure: Procedure, surgeon, **changes) -> dict[str, str]:
    return {
        "patient_mrn": "MRN0077",
        "patient_name": "Sam Example",
        "patient_birth_date": "1970-05-02",
        "procedure": str(procedure.pk),
        "laterality": "none",
        "surgeon": str(surgeon.pk),
        "room": "OR 5",
        "scheduled_start": f"{timezone.localdate():%Y-%m-%d}T10:00",
        **changes,
    }


def test_the_new_case_form_schedules_the_who_template_with_no_side(client, nurse, surgeon, room):
    client.force_login(nurse)
    assert b'value="none"' in client.get("/cases/new/").content  # offered

    response = client.post("/cases/new/", entry(who(), surgeon))

    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.laterality, case.sides()) == (Laterality.NONE, [])
    assert case.steps.count() == 19
    assert not case.steps.exclude(side="").exists()
    [created] = events(case, action=AuditAction.CASE_CREATED)
    assert created.after["laterality"] == "none"


def test_a_procedure_that_asks_for_a_side_refuses_no_side_on_the_form(client, nurse, surgeon, room):
    client.force_login(nurse)

    response = client.post("/cases/new/", entry(Procedure.objects.get(slug=MI), surgeon))

    assert response.status_code == 422
    assert "is done on a side (its steps ask for it): choose left, right or bilateral" in (
        response.content.decode()
    )
    assert not Case.objects.exists()


def test_the_workflow_refuses_no_side_for_a_procedure_with_side_steps(nurse, surgeon):
    with pytest.raises(RuleViolation, match="is done on a side"):
        make_case(Procedure.objects.get(slug=MI), actor=nurse, surgeon=surgeon, laterality="none")


def test_a_case_without_a_side_runs_to_the_surgeons_signature(nurse, surgeon):
    case = make_case(who(), actor=nurse, surgeon=surgeon, laterality="none")

    for phase in (Phase.SIGN_IN, Phase.TIME_OUT):
        record_phase(case, phase, nurse)
    record(case, "Name of the procedure recorded", nurse, value="Hernia repair")
    record_phase(case, Phase.SIGN_OUT, nurse)
    check_sides_agree(case)  # nothing disagrees: there is no side to disagree with
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)

    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert not case.side_disagreements.exists()
    assert not events(case, action=AuditAction.SIDE_DISAGREEMENT_RAISED)


def test_the_tablet_the_wall_and_the_record_say_no_side(
    client, nurse, surgeon, reviewer, administrator, room
):
    case = make_case(who(), actor=nurse, surgeon=surgeon, laterality="none", room="OR 5")
    record_phase(case, Phase.SIGN_IN, nurse)
    client.force_login(nurse)
    tablet = client.get(f"/cases/{case.pk}/")
    assert tablet.status_code == 200
    assert "<dt>Side</dt><dd>No side</dd>" in tablet.content.decode()

    _, code = devices.new_pairing(room=room, name="OR 5 wall", by=administrator)
    wall = Client()
    assert wall.post("/display/", {"code": code}).status_code == 302
    device = EnrolledDevice.objects.get(kind=DeviceKind.WALL_DISPLAY)
    screen = wall.get(f"/rooms/{device.room_id}/display/")
    assert screen.status_code == 200
    assert "NO SIDE" in screen.content.decode()

    record_phase(case, Phase.TIME_OUT, nurse)
    record(case, "Name of the procedure recorded", nurse, value="Hernia repair")
    record_phase(case, Phase.SIGN_OUT, nurse)
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)
    reader = Client()
    reader.force_login(reviewer)
    record_page = reader.get(f"/review/{case.pk}/")
    assert record_page.status_code == 200
    assert "<dt>Side</dt><dd>No side</dd>" in record_page.content.decode()


def test_the_fhir_procedure_of_a_case_without_a_side_names_no_body_site(nurse, surgeon):
    from api.fhir import case_patient, case_people, case_procedure

    case = make_case(who(), actor=nurse, surgeon=surgeon, laterality="none")
    sided = make_case(who(), actor=nurse, surgeon=surgeon, laterality="left")

    def body_site(case):
        people = case_people(case)
        built = case_procedure(
            case, patient=case_patient(case), surgeon=people[case.surgeon_id], devices=[]
        )
        return built.bodySite

    assert body_site(case) is None
    assert body_site(sided) is not None  # the side, as before
