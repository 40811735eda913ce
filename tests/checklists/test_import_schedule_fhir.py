"""``manage.py import_schedule FILE.json``: the theatre list as a FHIR R4B Bundle."""

import datetime
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from fhir.resources.R4B.bundle import Bundle

from accounts.models import Room
from checklists.audit import verify_audit
from checklists.choices import AuditAction
from checklists.models import Case
from tests.conftest import events, make_procedure

START = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)
SECRET_NAME = "Zelda Quartermain"


@pytest.fixture
def procedure(db):
    return make_procedure({"title": "Identity confirmed", "phase": "sign_in"}, slug="si-fusion")


@pytest.fixture
def rooms(db):
    for name in ("OR 1", "OR 2"):
        Room.objects.create(name=name)


def appointment(number: int, *, start=None, room="OR 1", side="left") -> list[dict]:
    """An Appointment and its Patient (by urn:uuid fullUrl), and the shared Practitioner and
    Location it references by ``<type>/<id>``."""
    patient = f"urn:uuid:00000000-0000-4000-8000-{number:012d}"
    start = start or START + datetime.timedelta(minutes=30 * number)
    return [
        {
            "fullUrl": patient,
            "resource": {
                "resourceType": "Patient",
                "identifier": [{"system": "urn:sitracker:mrn", "value": f"MRN{number:05d}"}],
                "name": [{"given": ["Zelda"], "family": "Quartermain"}],
                "birthDate": "1961-03-14",
            },
        },
        {
            "resource": {
                "resourceType": "Appointment",
                "id": f"apt-{number}",
                "status": "booked",
                "start": start.isoformat(),
                "serviceType": [
                    {"coding": [{"system": "urn:sitracker:procedure", "code": "si-fusion"}]}
                ],
                "extension": [{"url": "urn:sitracker:laterality", "valueCode": side}],
                "participant": [
                    {"actor": {"reference": patient}, "status": "accepted"},
                    {"actor": {"reference": "Practitioner/surgeon"}, "status": "accepted"},
                    {
                        "actor": {"reference": f"Location/{room.replace(' ', '')}"},
                        "status": "accepted",
                    },
                ],
            },
        },
    ]


def bundle(*appointments: list[dict]) -> dict:
    shared = [
        {
            "resource": {
                "resourceType": "Practitioner",
                "id": "surgeon",
                "identifier": [{"system": "urn:sitracker:username", "value": "surgeon"}],
            }
        },
        *(
            {"resource": {"resourceType": "Location", "id": name.replace(" ", ""), "name": name}}
            for name in ("OR 1", "OR 2")
        ),
    ]
    entries = shared + [entry for pair in appointments for entry in pair]
    data = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    Bundle.model_validate(data)  # what the test sends is valid FHIR R4B
    return data


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "theatre-list.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run(path: Path) -> str:
    out = StringIO()
    call_command("import_schedule", str(path), "--by", "nurse", stdout=out)
    return out.getvalue()


def test_a_bundle_of_20_appointments_schedules_20_cases_once(
    procedure, rooms, nurse, surgeon, tmp_path
):
    path = write(tmp_path, bundle(*(appointment(n) for n in range(1, 21))))

    assert "20 created, 0 updated, 0 unchanged, 0 refused." in run(path)
    assert "0 created, 0 updated, 20 unchanged, 0 refused." in run(path)

    case = Case.objects.get(source_appointment_id="apt-7")
    assert (case.patient_mrn, case.patient_name, str(case.patient_birth_date)) == (
        "MRN00007",
        SECRET_NAME,
        "1961-03-14",
    )
    assert (case.room, case.laterality, case.surgeon) == ("OR 1", "left", surgeon)
    assert case.scheduled_start == START + datetime.timedelta(minutes=210)
    assert Case.objects.count() == 20


def test_a_moved_appointment_moves_its_case(procedure, rooms, nurse, surgeon, tmp_path):
    run(write(tmp_path, bundle(appointment(1))))
    later = START + datetime.timedelta(hours=3)

    output = run(write(tmp_path, bundle(appointment(1, start=later, room="OR 2"))))

    assert "0 created, 1 updated, 0 unchanged, 0 refused." in output
    case = Case.objects.get()
    assert (case.room, case.scheduled_start) == ("OR 2", later)
    assert events(case)[-1].action == AuditAction.CASE_RESCHEDULED
    assert verify_audit().ok


def test_an_appointment_that_cannot_be_read_is_refused_by_its_entry(
    procedure, rooms, nurse, surgeon, tmp_path
):
    data = bundle(appointment(1), appointment(2, side="both"), appointment(3))
    del data["entry"][8]["resource"]["participant"][2]  # the third's Location

    output = run(write(tmp_path, data))

    assert "1 created, 0 updated, 0 unchanged, 2 refused." in output
    assert "entry 7 (appointment apt-2): The extension urn:sitracker:laterality" in output
    assert "entry 9 (appointment apt-3): No participant references a Location" in output
    assert SECRET_NAME not in output and "Quartermain" not in output


def test_a_bundle_that_is_not_valid_fhir_is_refused_whole_without_its_values(db, nurse, tmp_path):
    data = bundle(appointment(1))
    data["entry"][3]["resource"]["birthDate"] = "14/03/1961"

    with pytest.raises(CommandError, match="not valid FHIR R4B") as refused:
        run(write(tmp_path, data))
    assert "14/03/1961" not in str(refused.value)
    assert not Case.objects.exists()
