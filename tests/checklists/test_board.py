import datetime
import zoneinfo

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from procedures.models import Procedure
from tests.conftest import make_case, make_procedure, published_steps, record

STEPS = (
    {"title": "Identity confirmed", "phase": "sign_in"},
    {"title": "Site marked", "phase": "sign_in"},
    {"title": "Team introduced", "phase": "time_out"},
    {"title": "Incision", "phase": "procedure"},
    {"title": "Closure", "phase": "procedure"},
    {"title": "Counts correct", "phase": "sign_out"},
)
# Session, user, the user's own and group permissions, the cases with all their counts, the
# header's roles and the person's running emergency accesses (for the banner).
BOARD_QUERIES = 6


@pytest.fixture
def procedure(db):
    return make_procedure(*STEPS)


def at(hour: int, minute: int = 0, *, days: int = 0) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_it_groups_the_days_cases_by_room_in_time_order(client, nurse, surgeon, procedure):
    late = make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 2", scheduled_start=at(14))
    ten = make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 10", scheduled_start=at(8))
    early = make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 2", scheduled_start=at(9))
    client.force_login(nurse)

    response = client.get("/")

    assert response.status_code == 200
    rooms = [
        (room.room, [entry.case for entry in room.cases]) for room in response.context["rooms"]
    ]
    assert rooms == [("OR 2", [early, late]), ("OR 10", [ten])]
    html = response.content.decode()
    assert html.index(">OR 2 <") < html.index(">OR 10 <")
    assert html.count('<section class="board-room"') == 2


def test_it_shows_patient_initials_but_never_the_name_or_mrn(client, nurse, surgeon, procedure):
    make_case(
        procedure,
        actor=nurse,
        surgeon=surgeon,
        patient_name="Hermione Jean Quartermaine",
        patient_mrn="MRN-4711",
    )
    client.force_login(nurse)

    response = client.get("/")

    assert b"HJQ" in response.content
    assert b"Hermione" not in response.content
    assert b"Quartermaine" not in response.content
    assert b"MRN-4711" not in response.content


def test_it_shows_procedure_side_surgeon_status_and_a_link_to_the_checklist(
    client, nurse, surgeon, procedure
):
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="bilateral")
    record(case, "Identity confirmed", nurse)
    client.force_login(nurse)

    response = client.get("/")

    assert b"Test procedure" in response.content
    assert b"Bilateral" in response.content
    assert b"Sue Surgeon" in response.content
    assert b"In progress" in response.content
    assert f'href="/cases/{case.pk}/"'.encode() in response.content


def test_it_counts_recorded_steps_overall_and_per_phase(client, nurse, surgeon, procedure):
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    record(case, "Identity confirmed", nurse)
    record(case, "Site marked", nurse)
    record(case, "Closure", nurse, status="na", na_reason="Percutaneous")
    client.force_login(nurse)

    response = client.get("/")

    [room] = response.context["rooms"]
    [entry] = room.cases
    assert (entry.recorded, entry.total) == (3, 6)
    assert [(p.label, p.recorded, p.total) for p in entry.phases] == [
        ("Sign In", 2, 2),
        ("Time Out", 0, 1),
        ("Procedure", 1, 2),
        ("Sign Out", 0, 1),
    ]
    html = response.content.decode()
    assert "<strong>3 / 6</strong> steps recorded" in html
    assert "Sign In <strong>2&nbsp;/&nbsp;2</strong>" in html
    assert "Procedure <strong>1&nbsp;/&nbsp;2</strong>" in html


def test_it_counts_each_side_of_a_bilateral_case(client, nurse, surgeon):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="bilateral")
    client.force_login(nurse)

    response = client.get("/")

    [entry] = response.context["rooms"][0].cases
    assert entry.total == case.steps.count() > published_steps(procedure).count()
    assert sum(phase.total for phase in entry.phases) == entry.total


def test_it_shows_only_the_chosen_day(client, nurse, surgeon, procedure):
    today = make_case(procedure, actor=nurse, surgeon=surgeon, scheduled_start=at(8))
    tomorrow = make_case(procedure, actor=nurse, surgeon=surgeon, scheduled_start=at(8, days=1))
    client.force_login(nurse)

    on_today = client.get("/")
    on_tomorrow = client.get("/", {"day": (timezone.localdate() + datetime.timedelta(1))})

    assert [e.case for r in on_today.context["rooms"] for e in r.cases] == [today]
    assert [e.case for r in on_tomorrow.context["rooms"] for e in r.cases] == [tomorrow]


def test_the_date_switcher_links_the_previous_and_next_day(client, nurse):
    client.force_login(nurse)

    response = client.get("/", {"day": "2025-03-01"})

    assert response.context["day"] == datetime.date(2025, 3, 1)
    assert b'href="/?day=2025-02-28"' in response.content
    assert b'href="/?day=2025-03-02"' in response.content
    assert b"Saturday 1 March 2025" in response.content
    assert b"No cases are scheduled for Saturday 1 March 2025." in response.content


def test_the_today_button_is_marked_current_only_on_today(client, nurse):
    client.force_login(nurse)

    assert b'aria-current="date"' in client.get("/").content
    assert b'aria-current="date"' not in client.get("/", {"day": "2025-03-01"}).content


@pytest.mark.parametrize("day", ["2025-02-30", "yesterday", "01/03/2025", "", "0001-01-01"])
def test_an_unreadable_day_shows_a_message_and_today(client, nurse, day):
    client.force_login(nurse)

    response = client.get("/", {"day": day})

    assert response.status_code == 200
    assert response.context["day"] == timezone.localdate()
    assert b"That day could not be read (use YYYY-MM-DD). Showing today." in response.content


def test_a_day_is_a_local_day_even_when_the_clocks_change(client, nurse, surgeon, procedure):
    london = zoneinfo.ZoneInfo("Europe/London")
    # 30 March 2025 is 23 hours long in London; 23:30 BST is 22:30 UTC.
    late = datetime.datetime(2025, 3, 30, 23, 30, tzinfo=london)
    case = make_case(procedure, actor=nurse, surgeon=surgeon, scheduled_start=late)
    client.force_login(nurse)

    with timezone.override(london):
        on_the_day = client.get("/", {"day": "2025-03-30"})
        next_day = client.get("/", {"day": "2025-03-31"})

    assert [e.case for r in on_the_day.context["rooms"] for e in r.cases] == [case]
    assert next_day.context["rooms"] == []


def test_it_offers_to_schedule_a_case_to_or_staff_only(client, nurse, reviewer):
    client.force_login(nurse)
    assert b'href="/cases/new/"' in client.get("/").content

    client.force_login(reviewer)
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/cases/new/"' not in response.content


def test_it_is_forbidden_to_a_user_without_a_role(client, db):
    client.force_login(User.objects.create_user("visitor", password="x-Visitor-2"))

    response = client.get("/")

    assert response.status_code == 403


def test_it_takes_the_same_few_queries_for_one_case_or_fifteen(
    client, nurse, surgeon, django_assert_max_num_queries
):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    make_case(procedure, actor=nurse, surgeon=surgeon, scheduled_start=at(7))
    client.force_login(nurse)
    client.get("/")  # the session's first request writes it once; that is not the board's cost
    with CaptureQueriesContext(connection) as one_case:
        client.get("/")
    for number in range(14):
        make_case(
            procedure,
            actor=nurse,
            surgeon=surgeon,
            room=f"OR {number % 4 + 1}",
            laterality="bilateral" if number % 2 else "right",
            scheduled_start=at(8, number),
        )

    with django_assert_max_num_queries(BOARD_QUERIES):
        response = client.get("/")

    assert len(one_case) == BOARD_QUERIES
    assert sum(len(room.cases) for room in response.context["rooms"]) == 15
