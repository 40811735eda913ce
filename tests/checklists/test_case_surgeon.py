"""The page that hands an open case to another surgeon (``workflow.change_surgeon``): those who
schedule cases use it (OR staff and surgeons); a Time Out done with the surgeon before no longer
holds, and the checklist says so; a form based on a surgeon changed meanwhile is refused."""

import re

import pytest
from django.urls import reverse

from checklists.choices import AuditAction
from checklists.models import Case
from procedures.choices import Phase
from tests.checklists.checklist_html import content, mi_procedure, text
from tests.conftest import events, make_case, perform_time_out, record_phase


@pytest.fixture
def case(nurse, surgeon, anaesthetist, scrub) -> Case:
    """A left fusion at the procedure, its Time Out done with Sue Surgeon."""
    case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="left")
    record_phase(case, Phase.SIGN_IN, nurse)
    record_phase(case, Phase.INDUCTION, anaesthetist)
    perform_time_out(case, nurse)
    return case


def url(case: Case) -> str:
    return reverse("case-surgeon", args=[case.pk])


def form(surgeon, seen, reason="Called to an emergency in OR 1") -> dict[str, object]:
    return {"surgeon": surgeon.pk, "seen_surgeon": seen.pk, "reason": reason}


def test_the_page_offers_the_other_surgeons_and_says_the_time_out_goes_stale(
    client, nurse, case, surgeon, other_surgeon, django_assert_max_num_queries
):
    client.force_login(nurse)

    # The session (read, and saved: its last activity), the person and their permissions and
    # roles, the case, its Time Outs, the surgeons offered, the emergency grants of the banner.
    with django_assert_max_num_queries(11):
        response = client.get(url(case))

    page = text(content(response))
    assert response.status_code == 200
    assert "Surgeon now Sue Surgeon" in page
    assert "Otto Other" in page
    offered = re.findall(r'name="surgeon" value="(\d+)"', content(response))
    assert offered == [str(other_surgeon.pk)]  # not the case's surgeon again
    assert "The Time Out done at" in page and "will no longer hold" in page
    assert "Pat Example" not in page and "MRN0042" not in page  # initials only


def test_the_checklist_links_to_it_for_those_who_schedule_cases(client, nurse, reviewer, case):
    client.force_login(nurse)
    assert url(case) in content(client.get(reverse("case-detail", args=[case.pk])))

    client.force_login(reviewer)
    assert url(case) not in content(client.get(reverse("case-detail", args=[case.pk])))


@pytest.mark.parametrize("persona", ["nurse", "scrub", "anaesthetist", "surgeon"])
def test_or_staff_and_surgeons_change_the_surgeon(
    client, request, persona, case, surgeon, other_surgeon, django_assert_max_num_queries
):
    actor = request.getfixturevalue(persona)
    client.force_login(actor)

    # The page's reads, the case locked, the surgeon checked, its change and event, the Time
    # Out made stale and its event, the message kept in the session, and the savepoints.
    with django_assert_max_num_queries(18):
        response = client.post(url(case), form(other_surgeon, seen=surgeon))

    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[case.pk])
    case.refresh_from_db()
    assert case.surgeon == other_surgeon
    changed, stale = events(case)[-2:]
    assert (changed.action, changed.actor, changed.after) == (
        AuditAction.SURGEON_CHANGED,
        actor,
        {"surgeon": other_surgeon.pk, "reason": "Called to an emergency in OR 1"},
    )
    assert stale.action == AuditAction.TIME_OUT_INVALIDATED


@pytest.mark.parametrize("persona", ["reviewer", "administrator"])
def test_reviewers_and_administrators_may_not(
    client, request, persona, case, surgeon, other_surgeon
):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(url(case)).status_code == 403
    assert client.post(url(case), form(other_surgeon, seen=surgeon)).status_code == 403
    case.refresh_from_db()
    assert case.surgeon == surgeon


def test_the_tablet_shows_the_time_out_no_longer_holds_afterwards(
    client, nurse, case, surgeon, other_surgeon
):
    client.force_login(nurse)

    response = client.post(url(case), form(other_surgeon, seen=surgeon), follow=True)

    page = text(content(response))
    assert "Otto Other is now the case's surgeon." in page
    assert "The Time Out no longer holds (the surgeon changed: Called to an emergency" in page
    assert "Repeat the Time Out" in page
    assert "Surgeon Otto Other" in page


UNREADABLE = "This form could not be read: reload the page and choose again."


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"surgeon": "999999"}, "Choose one of the surgeons in the list."),  # nobody
        ({"surgeon": "abc"}, "Choose one of the surgeons in the list."),
        ({"surgeon": ""}, "Choose the new surgeon."),
        ({"reason": " "}, "Say why the surgeon changes."),
        ({"reason": "x" * 201}, "at most 200 characters"),
        ({"seen_surgeon": "abc"}, UNREADABLE),
        ({"seen_surgeon": str(2**40)}, UNREADABLE),
        ({"seen_surgeon": ""}, UNREADABLE),
    ],
)
def test_a_forged_or_incomplete_form_is_refused_with_a_message(
    client, nurse, case, surgeon, other_surgeon, change, message
):
    client.force_login(nurse)

    response = client.post(url(case), {**form(other_surgeon, seen=surgeon), **change})

    assert response.status_code == 422
    assert message in text(content(response))
    case.refresh_from_db()
    assert case.surgeon == surgeon


def test_someone_not_a_surgeon_or_the_same_surgeon_is_not_offered(
    client, nurse, scrub, case, surgeon, other_surgeon
):
    client.force_login(nurse)

    for person in (scrub, surgeon):
        response = client.post(url(case), form(person, seen=surgeon))
        assert response.status_code == 422
        assert "Choose one of the surgeons in the list." in text(content(response))
    case.refresh_from_db()
    assert case.surgeon == surgeon


def test_a_form_drawn_before_someone_else_changed_the_surgeon_is_refused(
    client, nurse, scrub, case, surgeon, other_surgeon
):
    from tests.conftest import make_user

    third = make_user("surgeon3", "Surgeon", first_name="Tess", last_name="Third")
    client.force_login(scrub)
    client.post(url(case), form(other_surgeon, seen=surgeon, reason="Sue called away"))
    seq = events(case)[-1].seq

    # The nurse's page was drawn when Sue Surgeon was the case's surgeon.
    client.force_login(nurse)
    response = client.post(url(case), form(third, seen=surgeon, reason="Tess is free"))

    assert response.status_code == 409
    page = text(content(response))
    assert "Sam Scrub made Otto Other the surgeon at" in page
    assert "Your change was not saved" in page
    assert "Surgeon now Otto Other" in page
    assert "Tess is free" in content(response)  # the reason typed, kept
    case.refresh_from_db()
    assert case.surgeon == other_surgeon
    assert events(case)[-1].seq == seq


def test_an_unknown_case_is_not_found(client, nurse, surgeon, other_surgeon):
    client.force_login(nurse)

    response = client.post(reverse("case-surgeon", args=[999999]), form(other_surgeon, surgeon))

    assert response.status_code == 404


def test_a_closed_case_keeps_its_surgeon(client, nurse, case, surgeon, other_surgeon):
    from checklists import workflow

    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")
    client.force_login(nurse)

    assert "its surgeon no longer changes" in text(content(client.get(url(case))))
    response = client.post(url(case), form(other_surgeon, seen=surgeon))

    assert response.status_code == 409
    assert "This case was cancelled" in text(content(response))
    case.refresh_from_db()
    assert case.surgeon == surgeon
