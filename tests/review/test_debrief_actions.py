"""The reviewers' list of debrief actions (/review/debrief/): open, overdue, closed; each open
one closable there with a note."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from checklists import workflow
from checklists.models import DebriefAction
from tests.conftest import make_case, tamper

URL = reverse("review:debrief-actions")


@pytest.fixture
def case(procedure, nurse, surgeon):
    return make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 3")


def raise_action(case, actor, what, *, days=2):
    return workflow.add_debrief_action(
        actor=actor,
        case_id=case.pk,
        what=what,
        due=timezone.localdate() + datetime.timedelta(days=days),
        owner_role="nurse",
    )


def make_overdue(action):
    past = timezone.localdate() - datetime.timedelta(days=3)
    tamper(DebriefAction, "UPDATE {table} SET due = %s WHERE id = %s", past, action.pk)


@pytest.fixture
def actions(case, nurse):
    open_ = raise_action(case, nurse, "Fix the theatre lamp")
    overdue = raise_action(case, nurse, "Order 7.0 mm drill bits")
    make_overdue(overdue)
    closed = raise_action(case, nurse, "Restock gowns")
    workflow.close_debrief_action(actor=nurse, action_id=closed.pk, note="Restocked")
    return open_, overdue, closed


def shown(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_it_lists_open_actions_by_default(logged_in, actions):
    page = shown(logged_in.get(URL))

    assert "Fix the theatre lamp" in page and "Order 7.0 mm drill bits" in page
    assert "Restock gowns" not in page
    assert "Overdue" in page and "2 actions" in page


def test_it_lists_overdue_actions(logged_in, actions):
    page = shown(logged_in.get(URL, {"status": "overdue"}))

    assert "Order 7.0 mm drill bits" in page
    assert "Fix the theatre lamp" not in page and "Restock gowns" not in page


def test_it_lists_closed_actions_with_their_notes(logged_in, actions):
    page = shown(logged_in.get(URL, {"status": "closed"}))

    assert "Restock gowns" in page and "Closed by Nora Nurse" in page and "Restocked" in page
    assert "Fix the theatre lamp" not in page


def test_an_unknown_status_shows_the_open_ones(logged_in, actions):
    page = shown(logged_in.get(URL, {"status": "<script>"}))

    assert "Fix the theatre lamp" in page and "Restock gowns" not in page


def test_the_review_navigation_links_to_it(logged_in, db):
    page = shown(logged_in.get(reverse("review:case-list")))

    assert f'href="{URL}"' in page


def test_a_reviewer_closes_an_action_from_the_list(logged_in, reviewer, actions):
    open_, _, _ = actions
    back = f"{URL}?status=open"

    response = logged_in.post(
        reverse("debrief-action-close", args=[open_.pk]), {"note": "New lamp", "next": back}
    )

    assert response["Location"] == back
    open_.refresh_from_db()
    assert (open_.closed_by, open_.closing_note) == (reviewer, "New lamp")
    assert "Fix the theatre lamp" not in shown(logged_in.get(back))


def test_or_staff_cannot_read_the_list(client, nurse, db):
    client.force_login(nurse)

    assert client.get(URL).status_code == 403


def test_the_list_costs_no_query_per_action(
    logged_in, procedure, nurse, surgeon, django_assert_max_num_queries
):
    logged_in.get(URL)
    for room in ("OR 1", "OR 2", "OR 3", "OR 4"):
        case = make_case(procedure, actor=nurse, surgeon=surgeon, room=room)
        for what in ("Lamp", "Drill bits", "Gowns"):
            raise_action(case, nurse, what)

    # Four for the session, the person, their permissions and the header; the count, and the
    # page of actions with their cases, procedures and people in one query.
    with django_assert_max_num_queries(6):
        page = shown(logged_in.get(URL, {"status": "all"}))
    assert page.count('id="debrief-action-') == 12
