"""The debrief on the checklist page: an action added at Sign Out, the briefing of earlier
cases' open actions at the next case's Sign In, an action closed there with a note."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from checklists import workflow
from checklists.audit import verify_audit
from checklists.choices import AuditAction
from checklists.models import DebriefAction
from tests.checklists.test_case_detail import PAGE_QUERIES
from tests.conftest import events, make_case, make_procedure
from tests.review.conftest import STEPS


@pytest.fixture
def procedure(db):
    return make_procedure(*STEPS, title="Small fusion", slug="small-fusion")


@pytest.fixture
def case(procedure, nurse, surgeon):
    return make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 3")


def due() -> str:
    return (timezone.localdate() + datetime.timedelta(days=3)).isoformat()


def add(client, case, **data):
    data = {"what": "Order 7.0 mm drill bits", "owner": "role:scrub", "due": due(), **data}
    return client.post(reverse("debrief-action-add", args=[case.pk]), data)


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def raise_action(case, actor, what="Fix the theatre lamp", **owner):
    return workflow.add_debrief_action(
        actor=actor,
        case_id=case.pk,
        what=what,
        due=timezone.localdate() + datetime.timedelta(days=2),
        **(owner or {"owner_role": "nurse"}),
    )


def test_the_page_offers_the_debrief_form_and_lists_the_actions(client, nurse, case):
    client.force_login(nurse)

    response = add(client, case)

    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[case.pk])
    assert said(response) == [
        "Debrief action added. It is shown at the next cases' Sign In until it is closed."
    ]
    action = DebriefAction.objects.get()
    assert (action.what, action.owner_role, action.raised_by) == (
        "Order 7.0 mm drill bits",
        "scrub",
        nurse,
    )
    assert events(case, action=AuditAction.DEBRIEF_ACTION_ADDED)
    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "Debrief: add an action" in page
    assert "Order 7.0 mm drill bits" in page and "Scrub tech" in page


def test_an_action_may_be_owned_by_a_person(client, nurse, scrub, case):
    client.force_login(nurse)

    add(client, case, owner=f"person:{scrub.pk}")

    assert DebriefAction.objects.get().owner == scrub


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"what": ""}, "Say what is to be done."),
        ({"owner": ""}, "Choose an owner."),
        ({"owner": "person:99999"}, "Select a valid choice"),
        ({"owner": "role:janitor"}, "Select a valid choice"),
        ({"due": "someday"}, "Give a due date."),
        ({"due": "2001-01-01"}, "The due date has passed"),
    ],
)
def test_a_refused_action_says_why(client, nurse, case, data, message):
    client.force_login(nurse)

    response = add(client, case, **data)

    assert response.status_code == 302
    assert message in " ".join(said(response))
    assert not DebriefAction.objects.exists()


def test_a_reviewer_cannot_add_an_action(client, reviewer, case):
    client.force_login(reviewer)

    assert add(client, case).status_code == 403
    assert not DebriefAction.objects.exists()


def test_an_unknown_case_is_404(client, nurse, db):
    client.force_login(nurse)

    assert client.post(reverse("debrief-action-add", args=[99999]), {}).status_code == 404


def test_open_actions_of_the_same_room_or_procedure_brief_the_next_sign_in(
    client, nurse, surgeon, procedure, case
):
    other_procedure = make_procedure({"title": "Identity"}, title="Other", slug="other")
    same_room = make_case(other_procedure, actor=nurse, surgeon=surgeon, room="OR 3")
    same_procedure = make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 9")
    elsewhere = make_case(other_procedure, actor=nurse, surgeon=surgeon, room="OR 7")
    raise_action(same_room, nurse, "Fix the theatre lamp")
    raise_action(same_procedure, nurse, "Order 7.0 mm drill bits")
    raise_action(elsewhere, nurse, "Restock OR 7 gowns")
    closed = raise_action(same_room, nurse, "Already done")
    workflow.close_debrief_action(actor=nurse, action_id=closed.pk, note="Done")
    client.force_login(nurse)

    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()

    assert "Open actions from earlier cases" in page
    assert "Fix the theatre lamp" in page and "Order 7.0 mm drill bits" in page
    assert "Restock OR 7 gowns" not in page and "Already done" not in page


def test_no_briefing_when_nothing_is_open(client, nurse, case):
    client.force_login(nurse)

    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()

    assert "Open actions from earlier cases" not in page


def test_an_action_is_closed_from_the_briefing_and_gone_from_it(
    client, nurse, surgeon, procedure, case
):
    earlier = make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 3")
    action = raise_action(earlier, nurse)
    client.force_login(nurse)
    here = reverse("case-detail", args=[case.pk])

    response = client.post(
        reverse("debrief-action-close", args=[action.pk]),
        {"note": "Lamp bulb replaced", "next": here},
    )

    assert response.status_code == 302 and response["Location"] == here
    assert said(response) == ["Debrief action closed."]
    action.refresh_from_db()
    assert (action.closed_by, action.closing_note) == (nurse, "Lamp bulb replaced")
    (event,) = events(earlier, action=AuditAction.DEBRIEF_ACTION_CLOSED)
    assert event.after == {"action": action.pk, "note": "Lamp bulb replaced"}
    assert "Fix the theatre lamp" not in client.get(here).content.decode()
    assert verify_audit().ok


def test_closing_needs_a_note_and_happens_once(client, nurse, case):
    action = raise_action(case, nurse)
    client.force_login(nurse)
    url = reverse("debrief-action-close", args=[action.pk])

    refused = client.post(url, {"note": ""})
    assert "Say what was done to close the action." in said(refused)
    client.post(url, {"note": "Done"})
    again = client.post(url, {"note": "Done again"})

    assert "This action was already closed by Nora Nurse." in said(again)
    assert len(events(case, action=AuditAction.DEBRIEF_ACTION_CLOSED)) == 1


def test_closing_an_unknown_action_is_404(client, nurse, db):
    client.force_login(nurse)

    response = client.post(reverse("debrief-action-close", args=[99999]), {"note": "Done"})

    assert response.status_code == 404


def test_closing_goes_back_only_to_this_site(client, nurse, case):
    action = raise_action(case, nurse)
    client.force_login(nurse)

    response = client.post(
        reverse("debrief-action-close", args=[action.pk]),
        {"note": "Done", "next": "https://elsewhere.example/"},
    )

    assert response["Location"] == reverse("case-detail", args=[case.pk])


def test_the_briefing_costs_no_query_per_action(
    client, nurse, surgeon, procedure, case, django_assert_max_num_queries
):
    client.force_login(nurse)
    url = reverse("case-detail", args=[case.pk])
    client.get(url)
    for room in ("OR 3", "OR 4", "OR 5"):
        earlier = make_case(procedure, actor=nurse, surgeon=surgeon, room=room)
        for what in ("Lamp", "Drill bits", "Gowns"):
            raise_action(earlier, nurse, what)
            raise_action(case, nurse, what)

    with django_assert_max_num_queries(PAGE_QUERIES):
        page = client.get(url).content.decode()
    assert page.count('class="debrief-briefing-action"') == 9
