"""The day's theatre list uploaded as a file on its page, and picked from on the new-case page."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.dates import local_midnight
from accounts.models import Room
from checklists import workflow
from checklists.choices import AuditAction, CaseStatus
from checklists.forms.schedule import MAX_LIST_BYTES
from checklists.models import AuditEvent, Case
from checklists.schedule_import import HEADER
from procedures.models import Procedure
from tests.conftest import enrol_tablet

MI = "si-fusion-minimally-invasive"
NAME = "Zelda Quartermain"


@pytest.fixture
def rooms(db):
    return [Room.objects.create(name=name) for name in ("OR 1", "OR 2")]


def today_at(hour: int, minute: int = 0) -> datetime.datetime:
    return local_midnight(timezone.localdate()) + datetime.timedelta(hours=hour, minutes=minute)


def csv_list(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def row(number: int, *, room: str = "OR 1", name: str = NAME, side: str = "left") -> str:
    start = today_at(8 + number)
    return (
        f"APT-{number},MRN{number:05d},{name},1961-03-14,{MI},{side},surgeon,{room},"
        f"{start.isoformat()}"
    )


def upload(client, data: bytes, name: str = "list.csv"):
    return client.post("/cases/import/", {"file": SimpleUploadedFile(name, data)})


def test_a_nurse_imports_the_list_and_reads_the_report(client, nurse, surgeon, rooms):
    client.force_login(nurse)
    page = client.get("/cases/import/")
    assert page.status_code == 200
    assert HEADER in page.content.decode()

    response = upload(client, csv_list(row(1), row(2), row(3, room="OR 99")))

    assert response.status_code == 200
    text = response.content.decode()
    assert "2 created, 0 updated, 0 unchanged, 1 refused." in text
    assert "line 4 (appointment APT-3)" in text
    assert Case.objects.filter(source_appointment_id__in=["APT-1", "APT-2"]).count() == 2
    created = AuditEvent.objects.filter(action=AuditAction.CASE_CREATED)
    assert {event.actor for event in created} == {nurse}
    # The same list again changes nothing.
    again = upload(client, csv_list(row(1), row(2)))
    assert "0 created, 0 updated, 2 unchanged, 0 refused." in again.content.decode()
    assert Case.objects.count() == 2


def test_a_fhir_bundle_is_read_as_one(client, nurse, surgeon, rooms):
    client.force_login(nurse)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": []}

    response = upload(client, json.dumps(bundle).encode(), name="list.json")

    assert response.status_code == 200
    assert "0 created, 0 updated, 0 unchanged, 0 refused." in response.content.decode()


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (b"", "list.csv", "That file is empty"),
        (b"\xff\xfe not UTF-8", "list.csv", "UTF-8"),
        (b"appointment_id,mrn\nA,1\n", "list.csv", "patient_name"),
        (b"{not json", "list.json", "JSON"),
        (b"x" * (MAX_LIST_BYTES + 1), "list.csv", "far smaller"),
    ],
)
def test_an_unreadable_file_imports_nothing_and_says_why(
    client, nurse, surgeon, rooms, data, name, says
):
    client.force_login(nurse)

    response = upload(client, data, name=name)

    assert response.status_code == 422
    assert "Nothing was imported" in response.content.decode()
    assert says in response.content.decode()
    assert not Case.objects.exists()


def test_no_file_is_asked_for(client, nurse):
    client.force_login(nurse)

    response = client.post("/cases/import/", {})

    assert response.status_code == 422
    assert "Choose the theatre list file to import." in response.content.decode()


def test_a_reviewer_cannot_import_a_list(client, reviewer, surgeon, rooms):
    client.force_login(reviewer)

    assert client.get("/cases/import/").status_code == 403
    assert upload(client, csv_list(row(1))).status_code == 403
    assert not Case.objects.exists()


def test_the_new_case_page_offers_the_rooms_imported_cases_not_yet_started(
    client, nurse, surgeon, administrator, rooms, django_assert_max_num_queries
):
    client.force_login(nurse)
    upload(client, csv_list(row(1), row(2, room="OR 2", name="Other Patient"), row(3)))
    started = Case.objects.get(source_appointment_id="APT-3")
    step = started.steps.order_by("position").first()
    workflow.record_step(
        actor=nurse,
        case_id=started.pk,
        step_id=step.pk,
        answer=workflow.Answer(status="done"),
        revision=0,
    )
    enrol_tablet(client, by=administrator, room=rooms[0])
    client.force_login(nurse)

    with django_assert_max_num_queries(12):
        page = client.get("/cases/new/")

    listed = list(page.context["listed"])
    assert listed == [Case.objects.get(source_appointment_id="APT-1")]
    text = page.content.decode()
    assert "On today's theatre list for OR 1" in text
    assert NAME in text and "Other Patient" not in text
    assert f'href="/cases/{listed[0].pk}/"' in text
    assert Case.objects.get(source_appointment_id="APT-3").status == CaseStatus.IN_PROGRESS


def test_without_a_room_every_rooms_list_is_offered(client, nurse, surgeon, rooms):
    client.force_login(nurse)
    upload(client, csv_list(row(1), row(2, room="OR 2", name="Other Patient")))

    page = client.get("/cases/new/")

    assert [case.source_appointment_id for case in page.context["listed"]] == ["APT-1", "APT-2"]
    assert "Other Patient" in page.content.decode()


def test_a_case_scheduled_by_hand_is_not_on_the_list(client, nurse, surgeon, rooms):
    client.force_login(nurse)
    by_hand = {
        "patient_mrn": "MRN0042",
        "patient_name": "Pat Example",
        "patient_birth_date": "1961-03-14",
        "procedure": str(Procedure.objects.get(slug=MI).pk),
        "laterality": "left",
        "surgeon": str(surgeon.pk),
        "room": "OR 1",
        "scheduled_start": f"{today_at(23, 45):%Y-%m-%dT%H:%M}",
    }
    assert client.post("/cases/new/", by_hand).status_code == 302

    page = client.get("/cases/new/")

    assert not page.context["listed"]
    assert "On today's theatre list" not in page.content.decode()
