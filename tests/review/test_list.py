import re

import pytest
from django.urls import reverse

from accounts import roles
from checklists import bulk, workflow
from checklists.choices import StepStatus
from review.views import HELD_MRN
from tests.conftest import PASSWORD, make_case, make_procedure, make_user, record
from tests.review.conftest import amend_incision, day, signed_out

LIST = reverse("review:case-list")


def listed(response) -> list[int]:
    """The case numbers of the list's rows, in order."""
    return [int(pk) for pk in re.findall(r'href="/review/(\d+)/"', response.content.decode())]


@pytest.fixture
def two_surgeons_cases(procedure, nurse, surgeon, other_surgeon):
    """Four signed-out cases: two surgeons, two rooms, two months."""
    return [
        signed_out(
            procedure, nurse=nurse, surgeon=surgeon, room="OR 1", scheduled_start=day(2025, 3, 3)
        ),
        signed_out(
            procedure, nurse=nurse, surgeon=surgeon, room="OR 2", scheduled_start=day(2025, 4, 7)
        ),
        signed_out(
            procedure,
            nurse=nurse,
            surgeon=other_surgeon,
            room="OR 1",
            scheduled_start=day(2025, 3, 20),
        ),
        signed_out(
            procedure,
            nurse=nurse,
            surgeon=other_surgeon,
            room="OR 10",
            scheduled_start=day(2025, 4, 28),
        ),
    ]


@pytest.mark.parametrize(
    "url", [LIST, reverse("review:dashboard"), reverse("review:export")], ids=str
)
@pytest.mark.parametrize("persona", ["nurse", "surgeon"])
def test_or_staff_are_refused_the_review_pages(client, db, request, url, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url).status_code == 403


def test_or_staff_are_refused_a_record_and_marking_it_reviewed(client, nurse, surgeon, procedure):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    client.force_login(nurse)
    assert client.get(reverse("review:record", args=[case.pk])).status_code == 403
    response = client.post(reverse("review:mark-reviewed", args=[case.pk]), {"comment": "ok"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "completed"


@pytest.mark.parametrize("persona", ["reviewer", "administrator"])
def test_reviewers_and_administrators_reach_the_list(client, db, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(LIST).status_code == 200


def test_a_visitor_is_sent_to_log_in(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_navigation_offers_review_to_reviewers_only(client, reviewer, nurse):
    client.force_login(nurse)
    assert f'href="{LIST}"' not in client.get(reverse("home")).content.decode()
    client.force_login(reviewer)
    assert f'href="{LIST}"' in client.get(LIST).content.decode()


def test_the_list_holds_signed_out_cases_not_open_or_cancelled_ones(
    logged_in, procedure, nurse, surgeon
):
    done = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    make_case(procedure, actor=nurse, surgeon=surgeon)  # scheduled
    started = make_case(procedure, actor=nurse, surgeon=surgeon)
    record(started, "Identity confirmed", nurse)
    cancelled = make_case(procedure, actor=nurse, surgeon=surgeon)
    workflow.cancel(actor=nurse, case_id=cancelled.pk, reason="Patient unwell")

    assert listed(logged_in.get(LIST)) == [done.pk]


def test_cancelled_cases_are_listed_on_request(logged_in, procedure, nurse, surgeon):
    done = signed_out(procedure, nurse=nurse, surgeon=surgeon, scheduled_start=day(2025, 1, 6))
    cancelled = make_case(procedure, actor=nurse, surgeon=surgeon, scheduled_start=day(2025, 1, 7))
    workflow.cancel(actor=nurse, case_id=cancelled.pk, reason="Patient unwell")

    assert listed(logged_in.get(LIST, {"cancelled": "on"})) == [cancelled.pk, done.pk]
    assert listed(logged_in.get(LIST, {"status": "cancelled"})) == [cancelled.pk]


def test_the_newest_case_comes_first_by_default(logged_in, two_surgeons_cases):
    march, april, late_march, late_april = two_surgeons_cases
    assert listed(logged_in.get(LIST)) == [
        late_april.pk,
        april.pk,
        late_march.pk,
        march.pk,
    ]


def test_the_date_range_takes_whole_local_days(logged_in, two_surgeons_cases):
    march, april, late_march, late_april = two_surgeons_cases
    response = logged_in.get(LIST, {"date_from": "2025-03-20", "date_to": "2025-04-07"})
    assert listed(response) == [april.pk, late_march.pk]
    assert listed(logged_in.get(LIST, {"date_to": "2025-03-03"})) == [march.pk]
    assert listed(logged_in.get(LIST, {"date_from": "2025-04-28"})) == [late_april.pk]


def test_the_surgeon_filter_keeps_one_surgeons_cases(logged_in, two_surgeons_cases, other_surgeon):
    _, _, late_march, late_april = two_surgeons_cases
    response = logged_in.get(LIST, {"surgeon": other_surgeon.pk})
    assert listed(response) == [late_april.pk, late_march.pk]


def test_the_procedure_filter_keeps_one_procedures_cases(logged_in, procedure, nurse, surgeon):
    other = make_procedure(
        {"title": "Only step", "phase": "sign_in"}, title="Other", slug="other-procedure"
    )
    mine = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    theirs = make_case(other, actor=nurse, surgeon=surgeon)
    record(theirs, "Only step", nurse)
    workflow.sign_out(actor=surgeon, case_id=theirs.pk, password="Theatre-4-demo")

    assert listed(logged_in.get(LIST, {"procedure": other.pk})) == [theirs.pk]
    assert listed(logged_in.get(LIST, {"procedure": procedure.pk})) == [mine.pk]


def test_the_room_filter_offers_rooms_in_natural_order(logged_in, two_surgeons_cases):
    march, _, late_march, _ = two_surgeons_cases
    response = logged_in.get(LIST, {"room": "OR 1"})
    assert listed(response) == [late_march.pk, march.pk]
    options = re.findall(r'<option value="(OR [^"]+)"', response.content.decode())
    assert options == ["OR 1", "OR 2", "OR 10"]


def test_the_room_filter_offers_the_rooms_of_listed_cases_only(
    logged_in, procedure, nurse, surgeon
):
    signed_out(procedure, nurse=nurse, surgeon=surgeon, room="OR 3")
    cancelled = make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 4")
    workflow.cancel(actor=nurse, case_id=cancelled.pk, reason="No bed")
    make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 5")  # open: not listed

    options = re.findall(r'<option value="(OR [^"]+)"', logged_in.get(LIST).content.decode())

    assert options == ["OR 3", "OR 4"]


def test_status_and_reviewed_filters_tell_reviewed_cases_from_waiting_ones(
    logged_in, two_surgeons_cases, reviewer
):
    march, april, late_march, late_april = two_surgeons_cases
    workflow.mark_reviewed(actor=reviewer, case_id=april.pk, comment="Fine")

    assert listed(logged_in.get(LIST, {"status": "reviewed"})) == [april.pk]
    assert listed(logged_in.get(LIST, {"reviewed": "yes"})) == [april.pk]
    waiting = [late_april.pk, late_march.pk, march.pk]
    assert listed(logged_in.get(LIST, {"status": "completed"})) == waiting
    assert listed(logged_in.get(LIST, {"reviewed": "no"})) == waiting


def test_the_amended_filter_finds_cases_changed_after_sign_out(
    logged_in, two_surgeons_cases, surgeon
):
    _, april, *_ = two_surgeons_cases
    amend_incision(april, surgeon)

    assert listed(logged_in.get(LIST, {"amended": "yes"})) == [april.pk]
    assert april.pk not in listed(logged_in.get(LIST, {"amended": "no"}))


def test_the_compliance_filter_finds_a_time_out_recorded_after_the_incision(
    logged_in, procedure, nurse, surgeon
):
    on_time = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    late = signed_out(procedure, nurse=nurse, surgeon=surgeon, time_out_first=False)

    assert listed(logged_in.get(LIST, {"compliance": "time_out_late"})) == [late.pk]
    assert listed(logged_in.get(LIST, {"compliance": "not_compliant"})) == [late.pk]
    assert listed(logged_in.get(LIST, {"compliance": "compliant"})) == [on_time.pk]
    assert listed(logged_in.get(LIST, {"compliance": "required_missing"})) == []


def test_an_amendment_that_records_the_time_out_again_lists_it_as_late(
    logged_in, procedure, nurse, surgeon
):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    assert listed(logged_in.get(LIST, {"compliance": "compliant"})) == [case.pk]
    step = case.steps.get(title="Team introduced")

    workflow.amend(
        actor=surgeon,
        case_id=case.pk,
        step_id=step.pk,
        answer=workflow.Answer(status=StepStatus.DONE, note="Repeated"),
        revision=step.revision,
        reason="Recorded again from the theatre log",
        password=PASSWORD,
    )

    assert listed(logged_in.get(LIST, {"compliance": "time_out_late"})) == [case.pk]
    assert listed(logged_in.get(LIST, {"amended": "yes"})) == [case.pk]


def test_the_compliance_filter_finds_required_steps_missing(logged_in, procedure, nurse, surgeon):
    signed_out(procedure, nurse=nurse, surgeon=surgeon)
    stopped = make_case(procedure, actor=nurse, surgeon=surgeon)
    record(stopped, "Identity confirmed", nurse)
    workflow.cancel(actor=nurse, case_id=stopped.pk, reason="Patient unwell")

    response = logged_in.get(LIST, {"compliance": "required_missing", "cancelled": "on"})
    assert listed(response) == [stopped.pk]


def test_the_list_shows_each_cases_compliance(logged_in, procedure, nurse, surgeon):
    signed_out(procedure, nurse=nurse, surgeon=surgeon, time_out_first=False)
    row = re.search(r"<tbody>(.*?)</tbody>", logged_in.get(LIST).content.decode(), re.S)[1]
    cells = re.findall(r'class="answer answer-(yes|no)[^"]*"', row)
    assert cells == ["yes", "no", "no"]  # required complete, Time Out late, not amended


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("room", ["OR 1", "OR 1", "OR 10", "OR 2"]),
        ("-room", ["OR 2", "OR 10", "OR 1", "OR 1"]),
        ("date", ["2025-03-03", "2025-03-20", "2025-04-07", "2025-04-28"]),
        ("-date", ["2025-04-28", "2025-04-07", "2025-03-20", "2025-03-03"]),
    ],
)
def test_sorting_orders_the_rows_and_breaks_ties_newest_first(
    logged_in, two_surgeons_cases, sort, expected
):
    by_pk = {case.pk: case for case in two_surgeons_cases}
    rows = [by_pk[pk] for pk in listed(logged_in.get(LIST, {"sort": sort}))]
    if "room" in sort:
        assert [case.room for case in rows] == expected  # text order: "OR 10" before "OR 2"
        if sort == "room":
            assert rows[0].scheduled_start > rows[1].scheduled_start
    else:
        assert [f"{case.scheduled_start:%Y-%m-%d}" for case in rows] == expected


def test_sorting_by_surgeon_uses_last_then_first_name(
    logged_in, two_surgeons_cases, surgeon, other_surgeon
):
    by_pk = {case.pk: case for case in two_surgeons_cases}
    rows = [by_pk[pk] for pk in listed(logged_in.get(LIST, {"sort": "surgeon"}))]
    assert [case.surgeon for case in rows] == [other_surgeon] * 2 + [surgeon] * 2


def test_a_sorted_column_says_so_to_screen_readers_and_links_to_the_reverse(
    logged_in, two_surgeons_cases
):
    page = logged_in.get(LIST, {"sort": "room", "room": "OR 1"}).content.decode()
    header = re.search(r'<th scope="col" aria-sort="ascending">\s*<a href="([^"]+)"', page)
    assert header is not None
    assert header[1] == "?room=OR+1&amp;sort=-room"


def test_pages_split_the_list_and_their_links_keep_the_filters(
    logged_in, two_surgeons_cases, surgeon
):
    ids = listed(logged_in.get(LIST))
    first = logged_in.get(LIST, {"per_page": 25, "surgeon": surgeon.pk})
    assert listed(first) == [pk for pk in ids if pk in {c.pk for c in two_surgeons_cases[:2]}]

    bulk.generate(count=30, seed=3)
    page_one = logged_in.get(LIST, {"per_page": 25})
    page_two = logged_in.get(LIST, {"per_page": 25, "page": 2})
    assert len(listed(page_one)) == 25
    assert len(listed(page_two)) == 34 - 25 - _cancelled_count()
    assert not set(listed(page_one)) & set(listed(page_two))
    assert "?per_page=25&amp;page=2" in page_one.content.decode()
    assert "Page 1 of 2" in page_one.content.decode()


def _cancelled_count() -> int:
    from checklists.models import Case

    return Case.objects.filter(status="cancelled").count()


def test_a_filter_that_cannot_be_read_is_shown_and_left_out(logged_in, two_surgeons_cases):
    response = logged_in.get(LIST, {"date_from": "3 March", "room": "OR 1"})
    assert response.status_code == 400
    assert "could not be read" in response.content.decode()
    assert len(listed(response)) == 2  # the room still applies


def test_an_unknown_parameter_is_never_repeated_in_links(logged_in, two_surgeons_cases):
    page = logged_in.get(LIST, {"room": "OR 1", "patient": "Pat Example"}).content.decode()
    assert "Pat Example" not in page
    assert "Pat+Example" not in page
    assert "patient=" not in page


# --- the MRN search --------------------------------------------------------------------------


def test_an_mrn_search_redirects_to_a_url_without_the_mrn(
    logged_in, procedure, nurse, surgeon, other_surgeon
):
    mine = signed_out(procedure, nurse=nurse, surgeon=surgeon, patient_mrn="MRN-777")
    signed_out(procedure, nurse=nurse, surgeon=other_surgeon, patient_mrn="MRN-7770")

    response = logged_in.post(
        reverse("review:mrn-search"), {"mrn": " MRN-777 ", "filters": "room=OR+3&page=4"}
    )

    assert response.status_code == 302
    assert "777" not in response["Location"]
    assert response["Location"] == f"{LIST}?room=OR+3&mrn=held"
    page = logged_in.get(response["Location"])
    assert listed(page) == [mine.pk]  # exact: MRN-7770 is another patient
    assert "MRN-777" not in page.content.decode()
    assert logged_in.session[HELD_MRN] == "MRN-777"


def test_the_list_without_the_mrn_flag_shows_everyone_again(logged_in, procedure, nurse, surgeon):
    signed_out(procedure, nurse=nurse, surgeon=surgeon, patient_mrn="MRN-1")
    signed_out(procedure, nurse=nurse, surgeon=surgeon, patient_mrn="MRN-2")
    logged_in.post(reverse("review:mrn-search"), {"mrn": "MRN-1"})

    assert len(listed(logged_in.get(LIST, {"mrn": "held"}))) == 1
    assert len(listed(logged_in.get(LIST))) == 2


def test_an_mrn_flag_with_no_mrn_held_shows_no_cases_rather_than_all(
    logged_in, procedure, nurse, surgeon
):
    signed_out(procedure, nurse=nurse, surgeon=surgeon)
    assert listed(logged_in.get(LIST, {"mrn": "held"})) == []


def test_an_empty_mrn_search_forgets_the_held_mrn(logged_in, procedure, nurse, surgeon):
    signed_out(procedure, nurse=nurse, surgeon=surgeon)
    logged_in.post(reverse("review:mrn-search"), {"mrn": "MRN0042"})

    response = logged_in.post(reverse("review:mrn-search"), {"mrn": "", "filters": "mrn=held"})

    assert response["Location"] == f"{LIST}?"
    assert HELD_MRN not in logged_in.session


def test_the_mrn_search_is_a_post_only(logged_in):
    assert logged_in.get(reverse("review:mrn-search"), {"mrn": "MRN0042"}).status_code == 405


# --- queries ---------------------------------------------------------------------------------

# Session, user, permissions (2), roles for the header, filter choices (surgeons, procedures,
# rooms), count, the page's ids, its cases, access log entry.
LIST_QUERIES = 12


@pytest.mark.parametrize("sort", ["-date", "time_out", "surgeon"])
def test_the_list_costs_the_same_queries_for_few_or_many_cases(
    logged_in, procedure, nurse, surgeon, django_assert_max_num_queries, sort
):
    signed_out(procedure, nurse=nurse, surgeon=surgeon)
    logged_in.get(LIST)  # the session's first request writes its start time: not counted
    with django_assert_max_num_queries(LIST_QUERIES):
        assert len(listed(logged_in.get(LIST, {"sort": sort}))) == 1

    bulk.generate(count=120, seed=4)
    make_user("surgeon3", roles.SURGEON)
    with django_assert_max_num_queries(LIST_QUERIES):
        response = logged_in.get(LIST, {"sort": sort, "per_page": 100, "cancelled": "on"})
    assert len(listed(response)) == 100
