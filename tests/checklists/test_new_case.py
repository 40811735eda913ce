import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from accounts import roles
from accounts.models import Room
from checklists import workflow
from checklists.choices import AuditAction, CaseStatus
from checklists.errors import RuleViolation
from checklists.models import Case
from procedures.models import Procedure
from tests.conftest import enrol_tablet, events, make_procedure, make_user, published_steps

MI = "si-fusion-minimally-invasive"


@pytest.fixture
def procedure(db) -> Procedure:
    return Procedure.objects.get(slug=MI)


@pytest.fixture
def entry(procedure, surgeon) -> dict[str, str]:
    """What a nurse types to schedule a case."""
    Room.objects.create(name="OR 3")
    return {
        "patient_mrn": "MRN0042",
        "patient_name": "Pat Example",
        "patient_birth_date": "1961-03-14",
        "procedure": str(procedure.pk),
        "laterality": "bilateral",
        "surgeon": str(surgeon.pk),
        "room": "OR 3",
        "scheduled_start": f"{timezone.localdate():%Y-%m-%d}T14:30",
    }


def post(client, entry, **changes):
    return client.post("/cases/new/", {**entry, **changes}, HTTP_USER_AGENT="Tablet/1.0")


def test_it_shows_the_form_starting_at_the_next_quarter_hour(client, nurse, surgeon):
    client.force_login(nurse)
    before = timezone.localtime().replace(tzinfo=None)  # the form shows naive local time

    response = client.get("/cases/new/")

    assert response.status_code == 200
    start = response.context["form"]["scheduled_start"].value()
    assert start.minute % 15 == 0 and start.second == start.microsecond == 0
    assert before < start <= before + datetime.timedelta(minutes=15)
    assert f'value="{start:%Y-%m-%dT%H:%M}"'.encode() in response.content
    assert b'type="datetime-local"' in response.content
    assert b'type="date"' in response.content
    assert b'type="radio"' in response.content


def test_it_offers_active_procedures_and_active_surgeons_by_name(client, nurse, surgeon, procedure):
    retired = make_procedure(title="Retired approach", slug="retired")
    Procedure.objects.filter(pk=retired.pk).update(active=False)
    gone = make_user("gone", roles.SURGEON, first_name="Gone", last_name="Away")
    gone.is_active = False
    gone.save()
    client.force_login(nurse)

    response = client.get("/cases/new/")

    form = response.context["form"]
    assert procedure in form.fields["procedure"].queryset
    assert retired not in form.fields["procedure"].queryset
    assert list(form.fields["surgeon"].queryset) == [surgeon]
    radio = r'<input type="radio"[^>]*name="surgeon"[^>]*>\s*<label[^>]*>\s*Sue Surgeon\s*</label>'
    assert re.search(radio, response.content.decode())  # a radio button each: one tap
    assert b"Nora Nurse</option>" not in response.content


def test_it_schedules_the_case_through_the_workflow_and_opens_its_checklist(
    client, nurse, surgeon, procedure, entry
):
    client.force_login(nurse)

    response = post(client, entry)

    case = Case.objects.get()
    assert response.status_code == 302
    assert response.url == f"/cases/{case.pk}/"
    assert (case.patient_name, case.laterality, case.surgeon, case.room) == (
        "Pat Example",
        "bilateral",
        surgeon,
        "OR 3",
    )
    assert timezone.localtime(case.scheduled_start).strftime("%H:%M") == "14:30"
    assert case.status == CaseStatus.SCHEDULED
    assert case.steps.count() > published_steps(procedure).count()  # per-side steps once per side
    [event] = events(case)
    assert (event.action, event.actor) == (AuditAction.CASE_CREATED, nurse)
    assert (event.remote_addr, event.user_agent) == ("127.0.0.1", "Tablet/1.0")
    [message] = get_messages(response.wsgi_request)
    assert "Case scheduled" in str(message)
    assert "Pat Example" not in str(message)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("patient_mrn", "  ", "Enter the patient's MRN."),
        ("patient_name", "", "Enter the patient's name."),
        ("patient_birth_date", "", "Enter the patient's date of birth."),
        ("patient_birth_date", "14/03/61", "Enter the date of birth as a date"),
        ("patient_birth_date", "1820-01-01", "more than 130 years ago"),
        ("laterality", "", "Choose the side: left, right, bilateral or no side."),
        ("laterality", "both", "Choose the side: left, right, bilateral or no side."),
        ("room", "", "Choose the operating room."),
        ("room", "OR 99", "Choose one of the rooms offered."),
        ("scheduled_start", "", "Enter the scheduled start."),
        ("scheduled_start", "half past two", "Enter the scheduled start as a date and time."),
        ("procedure", "", "Choose the procedure."),
        ("surgeon", "", "Choose the surgeon."),
    ],
)
def test_it_explains_each_field_error_and_schedules_nothing(
    client, nurse, entry, field, value, error
):
    client.force_login(nurse)

    response = post(client, entry, **{field: value})

    assert response.status_code == 422
    assert any(error in message for message in response.context["form"].errors[field])
    assert error.encode() in response.content.replace(b"&#x27;", b"'")
    assert f'href="#id_{field}'.encode() in response.content  # the summary links to the field
    assert not Case.objects.exists()


def test_a_birth_date_in_the_future_is_refused(client, nurse, entry):
    client.force_login(nurse)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = post(client, entry, patient_birth_date=tomorrow.isoformat())

    assert response.status_code == 422
    assert response.context["form"].errors["patient_birth_date"] == [
        "The date of birth cannot be in the future."
    ]
    assert not Case.objects.exists()


def test_a_forged_or_inactive_procedure_is_refused(client, nurse, entry):
    retired = make_procedure(title="Retired approach", slug="retired")
    Procedure.objects.filter(pk=retired.pk).update(active=False)
    client.force_login(nurse)

    for forged in (str(retired.pk), "999999", "not-a-number"):
        response = post(client, entry, procedure=forged)

        assert response.status_code == 422
        assert response.context["form"].errors["procedure"] == [
            "Choose one of the procedures offered in the list."
        ]
    assert not Case.objects.exists()


def test_a_forged_or_inactive_surgeon_is_refused(client, nurse, surgeon, entry):
    surgeon.is_active = False
    surgeon.save()
    client.force_login(nurse)

    for forged in (str(surgeon.pk), str(nurse.pk), "999999"):
        response = post(client, entry, surgeon=forged)

        assert response.status_code == 422
        assert response.context["form"].errors["surgeon"] == [
            "Choose one of the surgeons in the list."
        ]
    assert not Case.objects.exists()


def test_a_surgeon_may_schedule_a_case(client, surgeon, entry):
    client.force_login(surgeon)

    response = post(client, entry)

    assert response.status_code == 302
    assert events(Case.objects.get())[0].actor == surgeon


def test_a_reviewer_may_not_schedule_a_case(client, reviewer, entry):
    client.force_login(reviewer)

    assert client.get("/cases/new/").status_code == 403
    assert post(client, entry).status_code == 403
    assert not Case.objects.exists()


def test_it_offers_the_rooms_in_use_in_their_natural_order(client, nurse, surgeon):
    for name in ("OR 10", "OR 2", "OR 1"):
        Room.objects.create(name=name)
    Room.objects.create(name="OR 9", active=False)  # retired
    client.force_login(nurse)

    form = client.get("/cases/new/").context["form"]

    assert [name for name, _ in form.fields["room"].choices] == ["OR 1", "OR 2", "OR 10"]
    assert form["room"].value() is None  # this browser is no room's tablet


def test_a_retired_room_is_refused(client, nurse, entry):
    Room.objects.filter(name="OR 3").update(active=False)
    client.force_login(nurse)

    response = post(client, entry)

    assert response.status_code == 422
    assert "Choose one of the rooms offered." in response.content.decode()
    assert not Case.objects.exists()


def test_a_tablet_enrolled_for_a_room_schedules_there_by_default(client, nurse, administrator):
    Room.objects.create(name="OR 5")
    enrol_tablet(client, by=administrator, room=Room.objects.create(name="OR 4"))
    client.force_login(nurse)

    form = client.get("/cases/new/").context["form"]

    assert form["room"].value() == "OR 4"


def test_the_workflow_refuses_a_room_not_in_use(nurse, surgeon, procedure):
    with pytest.raises(RuleViolation, match="“OR 77” is not a room in use"):
        workflow.create_case(
            actor=nurse,
            procedure=procedure,
            patient_mrn="MRN0042",
            patient_name="Pat Example",
            patient_birth_date=datetime.date(1961, 3, 14),
            laterality="left",
            surgeon=surgeon,
            room="OR 77",
            scheduled_start=timezone.now(),
        )
