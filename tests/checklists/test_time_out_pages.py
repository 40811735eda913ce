"""The read-aloud Time Out's pages: started from the checklist, one item at a time, ended with
the team and its attestations; bad input answered with a message, never a 500."""

import pytest
from django.urls import reverse

from checklists.models import TimeOut
from procedures.choices import Phase
from tests.checklists.checklist_html import buttons, content, mi_procedure, text
from tests.conftest import make_case, perform_time_out, plausible_value, record_phase


@pytest.fixture
def case(nurse, surgeon, anaesthetist, scrub):
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="right")
    record_phase(case, Phase.SIGN_IN, nurse)
    record_phase(case, Phase.INDUCTION, anaesthetist)
    return case


@pytest.fixture
def tablet(client, nurse):
    client.force_login(nurse)
    return client


def start(tablet, case):
    response = tablet.post(reverse("time-out-start", args=[case.pk]))
    assert response.status_code == 302
    return TimeOut.objects.get(case=case)


def team_form(*people, **changes):
    surgeon, anaesthetist, nurse, scrub = (person.pk for person in people)
    form = {
        "surgeon": surgeon,
        "anaesthetist": anaesthetist,
        "circulating_nurse": nurse,
        "scrub": scrub,
        "all_items_spoken": "yes",
        "everyone_present": "yes",
        "interrupted": "no",
        "interruptions": "",
    }
    return {**form, **changes}


def test_the_checklist_offers_the_time_out_once_the_sign_in_is_done(tablet, case):
    page = content(tablet.get(reverse("case-detail", args=[case.pk])))

    assert "Start Time Out" in page


def test_the_team_reads_each_item_then_ends_with_the_team(
    tablet, case, nurse, surgeon, anaesthetist, scrub, django_assert_max_num_queries
):
    time_out = start(tablet, case)
    url = reverse("time-out", args=[case.pk, time_out.pk])
    steps = list(case.steps.filter(phase=Phase.TIME_OUT).order_by("position"))

    with django_assert_max_num_queries(12):
        first = content(tablet.get(url))
    assert steps[0].title in first and "Item 1 of 7" in first
    assert "Answered by the circulating nurse" in first

    for index, step in enumerate(steps):
        item_url = reverse("time-out-item", args=[case.pk, time_out.pk, step.pk])
        data = {"item": index, "revision": 0, "value": plausible_value(step)}
        response = tablet.post(item_url, data)
        assert response.status_code == 302
        assert response["Location"] == f"{url}?item={index + 1}"
    ending = content(tablet.get(f"{url}?item=7"))
    assert "End the Time Out" in ending

    response = tablet.post(
        reverse("time-out-end", args=[case.pk, time_out.pk]),
        team_form(surgeon, anaesthetist, nurse, scrub, interrupted="yes", interruptions="1"),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[case.pk])
    time_out.refresh_from_db()
    assert time_out.holds and time_out.interruptions == 1
    page = content(tablet.get(reverse("case-detail", args=[case.pk])))
    assert "Time Out done at" in page and "Start Time Out" not in page


def test_a_repeated_time_out_walks_the_items_without_recording_them(
    tablet, case, nurse, other_surgeon
):
    from checklists import workflow

    perform_time_out(case, nurse)
    workflow.change_surgeon(actor=nurse, case_id=case.pk, surgeon=other_surgeon, reason="Ill")

    page = content(tablet.get(reverse("case-detail", args=[case.pk])))
    assert "no longer holds" in page and "Repeat the Time Out" in page
    time_out = workflow.start_time_out(actor=nurse, case_id=case.pk)
    shown = content(tablet.get(reverse("time-out", args=[case.pk, time_out.pk])))
    assert "Spoken: next item" in shown and 'href="?item=1"' in shown


def test_an_ending_with_a_missing_role_is_refused_with_a_message(
    tablet, case, nurse, surgeon, anaesthetist, scrub
):
    time_out = start(tablet, case)
    data = team_form(surgeon, anaesthetist, nurse, scrub, anaesthetist="")

    response = tablet.post(reverse("time-out-end", args=[case.pk, time_out.pk]), data)

    assert response.status_code == 400
    assert "Pick the anaesthetist present." in content(response)


def test_interruptions_said_yes_need_a_count(tablet, case, nurse, surgeon, anaesthetist, scrub):
    time_out = start(tablet, case)
    data = team_form(surgeon, anaesthetist, nurse, scrub, interrupted="yes")

    response = tablet.post(reverse("time-out-end", args=[case.pk, time_out.pk]), data)

    assert response.status_code == 400
    assert "Say how many interruptions there were." in content(response)


def test_an_ending_before_the_items_are_confirmed_is_refused(
    tablet, case, nurse, surgeon, anaesthetist, scrub
):
    time_out = start(tablet, case)

    response = tablet.post(
        reverse("time-out-end", args=[case.pk, time_out.pk]),
        team_form(surgeon, anaesthetist, nurse, scrub),
    )

    assert response.status_code == 422
    assert "is not confirmed yet" in content(response)
    time_out.refresh_from_db()
    assert time_out.in_progress


def test_a_double_tap_on_an_item_records_it_once(tablet, case, nurse):
    time_out = start(tablet, case)
    step = case.steps.filter(phase=Phase.TIME_OUT).order_by("position").first()
    url = reverse("time-out-item", args=[case.pk, time_out.pk, step.pk])
    tablet.post(url, {"item": 0, "revision": 0})

    response = tablet.post(url, {"item": 0, "revision": 0})

    assert response.status_code == 302
    assert response["Location"].endswith("?item=1")
    step.refresh_from_db()
    assert step.revision == 1


def test_an_unreadable_item_post_is_a_message(tablet, case, nurse):
    time_out = start(tablet, case)
    step = case.steps.filter(phase=Phase.TIME_OUT).order_by("position").first()
    url = reverse("time-out-item", args=[case.pk, time_out.pk, step.pk])

    response = tablet.post(url, {"item": 0, "revision": "x"}, follow=True)

    assert response.status_code == 200
    assert "could not be read" in content(response)
    step.refresh_from_db()
    assert step.revision == 0


@pytest.mark.parametrize("item", ["-1", "x", "99999", ""])
def test_an_odd_item_number_shows_the_first_item(tablet, case, item):
    time_out = start(tablet, case)

    response = tablet.get(reverse("time-out", args=[case.pk, time_out.pk]), {"item": item})

    assert response.status_code == 200
    assert "Item 1 of 7" in content(response)


def test_another_cases_time_out_is_not_found_through_this_one(tablet, case, nurse, surgeon):
    time_out = start(tablet, case)
    other = make_case(mi_procedure(), actor=nurse, surgeon=surgeon)

    response = tablet.get(reverse("time-out", args=[other.pk, time_out.pk]))

    assert response.status_code == 404


def test_the_side_seen_on_the_images_is_asked_left_right_or_both_none_chosen(
    tablet, case, django_assert_max_num_queries
):
    time_out = start(tablet, case)
    url = reverse("time-out", args=[case.pk, time_out.pk])
    items = list(case.steps.filter(phase=Phase.TIME_OUT).order_by("position"))
    index = next(i for i, step in enumerate(items) if step.kind == "side")

    with django_assert_max_num_queries(12):
        page = content(tablet.get(f"{url}?item={index}"))

    spoken = [name for name in buttons(page) if name.startswith("Spoken")]
    assert spoken == ["Spoken: Left", "Spoken: Right", "Spoken: Both"]
    assert "tap the side they show the operation on" in text(page)
    assert "read-aloud-side-seen" in page and "btn-primary read-aloud" not in page  # none chosen


def test_a_side_seen_that_is_not_the_cases_is_a_hard_stop_shown_on_the_read_aloud_page(
    tablet, case
):
    time_out = start(tablet, case)
    items = list(case.steps.filter(phase=Phase.TIME_OUT).order_by("position"))
    index = next(i for i, step in enumerate(items) if step.kind == "side")
    for before, step in enumerate(items[:index]):  # the items read before it, confirmed
        item_url = reverse("time-out-item", args=[case.pk, time_out.pk, step.pk])
        data = {"item": before, "revision": 0, "value": plausible_value(step)}
        assert tablet.post(item_url, data).status_code == 302
    imaging = items[index]

    response = tablet.post(
        reverse("time-out-item", args=[case.pk, time_out.pk, imaging.pk]),
        {"item": index, "revision": imaging.revision, "value": "left"},
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"?item={index + 1}")  # recorded, as it was seen
    page = text(content(tablet.get(response["Location"])))
    assert f"SIDES DISAGREE {imaging.title}: left seen, the case is right" in page
    assert "only the surgeon resolves it" in page
    assert case.side_disagreements.get().step == imaging
