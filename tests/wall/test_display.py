"""A room's wall display: enrolled with a one-time code, it shows its room's case in progress
(the patient in full during Sign In and the Time Out, initials otherwise), and nothing else."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.utils import timezone

from accounts import devices
from accounts.choices import DeviceKind
from accounts.models import DisplayPairing, EnrolledDevice, Room
from checklists.choices import AccessAction
from checklists.models import Case, RecordAccess
from procedures.choices import Phase
from procedures.models import Procedure
from tests.conftest import make_case, plausible_value, record, record_phase

MI = "si-fusion-minimally-invasive"


@pytest.fixture
def room(db) -> Room:
    return Room.objects.create(name="OR 4")


@pytest.fixture
def display(room, administrator) -> tuple[Client, EnrolledDevice]:
    """A browser enrolled as OR 4's wall display, with its one-time code."""
    _, code = devices.new_pairing(room=room, name="OR 4 wall", by=administrator)
    browser = Client()
    response = browser.post("/display/", {"code": code})
    assert response.status_code == 302
    device = EnrolledDevice.objects.get(kind=DeviceKind.WALL_DISPLAY)
    return browser, device


@pytest.fixture
def case(room, nurse, surgeon):
    procedure = Procedure.objects.get(slug=MI)
    case = make_case(
        procedure,
        actor=nurse,
        surgeon=surgeon,
        room="OR 4",
        patient_name="Jordan Example",
        patient_mrn="MRN-778812",
    )
    record_phase(case, Phase.SIGN_IN, nurse)  # under way: in the room
    return case


def screen(display) -> str:
    browser, device = display
    response = browser.get(f"/rooms/{device.room_id}/display/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_administrator_makes_a_code_in_the_admin_and_it_enrols_the_display_once(
    administrator_client, administrator, room
):
    response = administrator_client.post(
        "/admin/accounts/displaypairing/add/", {"room": room.pk, "name": "OR 4 wall"}, follow=True
    )
    message = next(str(m) for m in response.context["messages"])
    code = message.split("type the code ")[1].split(" ")[0]
    assert DisplayPairing.objects.get().code_hash != code  # only its hash is kept
    assert LogEntry.objects.filter(object_repr__contains="OR 4 wall").exists()  # audited

    wall = Client()
    assert "Type the one-time code" in wall.get("/display/").content.decode()
    enrolled = wall.post("/display/", {"code": code.lower().replace("-", " ")})
    assert enrolled.status_code == 302
    assert enrolled["Location"] == f"/rooms/{room.pk}/display/"
    assert enrolled.cookies[devices.COOKIE]["httponly"]
    device = EnrolledDevice.objects.get(kind=DeviceKind.WALL_DISPLAY)
    assert (device.room, device.name, device.enrolled_by) == (
        room,
        "OR 4 wall",
        administrator,
    )
    assert wall.get("/display/")["Location"] == f"/rooms/{room.pk}/display/"  # enrolled already

    again = Client().post("/display/", {"code": code})
    assert again.status_code == 403
    assert "already used" in again.content.decode()
    assert EnrolledDevice.objects.filter(kind=DeviceKind.WALL_DISPLAY).count() == 1


@pytest.mark.parametrize("code", ["", "ABCD-EFGH", "x" * 16, "'; DROP TABLE x; --"])
def test_a_wrong_code_enrols_nothing_and_says_so(room, administrator, code):
    devices.new_pairing(room=room, name="OR 4 wall", by=administrator)

    response = Client().post("/display/", {"code": code})

    assert response.status_code in (400, 403)
    assert not EnrolledDevice.objects.exists()
    assert "code" in response.content.decode()


def test_a_code_older_than_its_minutes_is_refused(room, administrator):
    pairing, code = devices.new_pairing(room=room, name="OR 4 wall", by=administrator)
    DisplayPairing.objects.filter(pk=pairing.pk).update(expires_at=timezone.now())

    response = Client().post("/display/", {"code": code})

    assert response.status_code == 403
    assert "older than 10 minutes" in response.content.decode()


def test_an_empty_room_shows_nothing_of_anyone(display, nurse, surgeon):
    make_case(Procedure.objects.get(slug=MI), actor=nurse, surgeon=surgeon, room="OR 4")  # later

    page = screen(display)

    assert "No case in progress" in page
    assert "Pat Example" not in page and "MRN0042" not in page
    assert not RecordAccess.objects.exists()


def test_during_sign_in_the_wall_names_the_patient_and_logs_it(display, room, case):
    case.steps.filter(phase=Phase.SIGN_IN).update(status="pending")  # the team is at Sign In

    page = screen(display)

    assert "Jordan Example" in page
    assert "MRN MRN-778812" in page and "Born 14 Mar 1961" in page
    assert "LEFT" in page
    assert "Sign In" in page
    shown = RecordAccess.objects.get()
    assert (shown.device, shown.user, shown.case, shown.action) == (
        display[1],
        None,
        case,
        AccessAction.WALL_DISPLAY,
    )


def test_outside_sign_in_and_the_time_out_initials_only(display, case, nurse, anaesthetist):
    record_phase(case, Phase.INDUCTION, anaesthetist)  # Time Out next: names shown
    assert "Jordan Example" in screen(display)
    record_phase(case, Phase.TIME_OUT, nurse)

    page = screen(display)

    assert "Patient JE" in page
    assert "Jordan Example" not in page and "MRN-778812" not in page
    assert "Time Out done <strong data-minutes>0 min</strong> ago" in page
    assert RecordAccess.objects.count() == 1  # only the screen that named the patient


def test_the_item_being_read_and_who_answers_it(display, case):
    page = screen(display)

    reading = case.steps.filter(status="pending").order_by("position").first()
    assert reading.label in page
    assert f"Answered by the {reading.get_role_display().lower()}" in page


def test_now_is_the_time_out_while_it_holds_the_next_step_back(display, case, nurse, anaesthetist):
    record_phase(case, Phase.INDUCTION, anaesthetist)
    for step in case.steps.filter(phase=Phase.TIME_OUT).order_by("position"):
        record(case, step.title, nurse, value=plausible_value(step))  # ticked, not read aloud

    page = screen(display)

    assert "Time Out: everyone stops" in page
    assert case.steps.get(title="Lateral buttock incision made").label not in page
    assert '<p class="wall-phase">Time Out</p>' in page
    assert "Jordan Example" in page  # still the Time Out: the patient in full


def test_the_poll_answers_204_until_the_case_changes(display, case, nurse, anaesthetist):
    browser, device = display
    live = f"/rooms/{device.room_id}/display/live"
    first = browser.get(live, {"seen": "stale"})
    assert first.status_code == 200
    key = first.content.decode().split("seen=")[1].split('"')[0]

    assert browser.get(live, {"seen": key}).status_code == 204
    record_phase(case, Phase.INDUCTION, anaesthetist)
    changed = browser.get(live, {"seen": key})
    assert changed.status_code == 200
    assert 'id="wall-screen"' in changed.content.decode()


def test_another_rooms_page_is_refused(display, case):
    browser, _ = display
    other = Room.objects.create(name="OR 5")

    response = browser.get(f"/rooms/{other.pk}/display/")

    assert response.status_code == 403
    assert "This display shows OR 4 only." in response.content.decode()
    assert browser.get(f"/rooms/{other.pk}/display/live").status_code == 403


@pytest.mark.parametrize("who", [None, "nurse", "surgeon", "reviewer", "administrator"])
def test_a_browser_that_is_no_display_is_refused(request, db, room, case, who):
    browser = Client()
    if who:
        browser.force_login(request.getfixturevalue(who))

    for url in (f"/rooms/{room.pk}/display/", f"/rooms/{room.pk}/display/live"):
        response = browser.get(url)
        assert response.status_code == 403
        assert "Jordan Example" not in response.content.decode()


def test_a_revoked_display_loses_its_screen_at_its_next_request(display, case, administrator):
    browser, device = display
    devices.revoke(device=device, by=administrator)

    assert browser.get(f"/rooms/{device.room_id}/display/live").status_code == 403
    assert browser.get(f"/rooms/{device.room_id}/display/").status_code == 403


def test_a_display_writes_nothing(display, case):
    browser, device = display
    case.refresh_from_db()
    version = case.version
    steps = list(case.steps.values_list("pk", "revision"))

    assert browser.post(f"/rooms/{device.room_id}/display/").status_code == 405
    assert browser.post(
        f"/cases/{case.pk}/steps/{steps[-1][0]}/", {"status": "done"}
    ).status_code in (302, 403)
    assert browser.get(f"/cases/{case.pk}/").status_code in (302, 403)  # no session: no case
    case.refresh_from_db()
    assert case.version == version
    assert list(case.steps.values_list("pk", "revision")) == steps


def test_a_side_disagreement_is_shown_in_red_until_the_surgeon_resolves_it(
    display, case, nurse, surgeon
):
    from checklists import workflow
    from checklists.models import SideDisagreement
    from tests.conftest import record

    record(
        case,
        "Procedure and side confirmed against consent",
        nurse,
        status="pending",
        reason="Read again",
    )
    record(case, "Procedure and side confirmed against consent", nurse, value="right")

    shown = screen(display)
    assert '<p class="wall-stop wall-sides">' in shown
    assert (
        "SIDES DISAGREE · Procedure and side confirmed against consent: right seen, the case "
        "is left. Everything waits for the surgeon." in shown
    )
    workflow.resolve_side_disagreement(
        actor=surgeon,
        case_id=case.pk,
        disagreement_id=SideDisagreement.objects.get().pk,
        resolution="Consent re-read: left",
    )
    assert "SIDES DISAGREE" not in screen(display)


def test_the_screen_is_read_in_a_fixed_number_of_queries(
    display, case, nurse, django_assert_max_num_queries
):
    browser, device = display
    with django_assert_max_num_queries(9):  # 8, and the side disagreements standing
        browser.get(f"/rooms/{device.room_id}/display/")
    # Steps recorded by people, and a Time Out with its team: none of them is read one by one.
    record_phase(case, Phase.TIME_OUT, nurse)
    record_phase(case, Phase.INDUCTION, nurse)
    with django_assert_max_num_queries(8):  # no side disagreement stands
        browser.get(f"/rooms/{device.room_id}/display/live", {"seen": "stale"})
    with django_assert_max_num_queries(3):
        key = f"{case.pk}.{case.__class__.objects.get(pk=case.pk).version}"
        browser.get(f"/rooms/{device.room_id}/display/live", {"seen": key})


def test_a_pairing_never_outlives_its_minutes_by_default():
    assert devices.PAIRING_MINUTES == 10
    assert datetime.timedelta(minutes=devices.PAIRING_MINUTES) < datetime.timedelta(hours=1)


def test_of_two_cases_in_progress_in_one_room_the_wall_shows_the_one_started_last(
    display, case, nurse, surgeon
):
    """Two cases under way in one room is a mistake the wall does not hide: it shows the case
    started last, as the team in the room works on it."""
    later = make_case(
        Procedure.objects.get(slug=MI),
        actor=nurse,
        surgeon=surgeon,
        room="OR 4",
        patient_name="Robin Later",
        patient_mrn="MRN-990011",
    )
    record_phase(later, Phase.SIGN_IN, nurse)
    later.refresh_from_db()
    case.refresh_from_db()
    assert later.started_at > case.started_at and later.pk > case.pk
    page = screen(display)
    assert "Patient RL" in page and "Patient JE" not in page

    # The first case started later after all (its start moved by hand): it is the one shown.
    Case.objects.filter(pk=case.pk).update(
        started_at=later.started_at + datetime.timedelta(minutes=1)
    )
    page = screen(display)
    assert "Patient JE" in page and "Patient RL" not in page
