"""The step view after a row is recorded: nothing to tap where its answer was, a late tap is a
no-op or a conflict, and a change goes through "Change…", a hard stop's revert with a reason."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checklists.choices import AuditAction, StepStatus
from checklists.models import Case
from tests.checklists.checklist_html import (
    CONSENT,
    IDENTITY,
    INCISION,
    buttons,
    change_panel,
    content,
    outside_change,
    row,
    step_of,
    summaries,
    text,
)
from tests.checklists.test_step_update import STEP_POST_QUERIES, post
from tests.conftest import events, record, record_phase

PROCEDURE_AND_SIDE = "Procedure and side confirmed against consent"
EQUIPMENT = "Implants, imaging and special equipment available and matched to the patient"
REASON_NEEDED = "gates the steps after it: putting it back to pending locks them again"


def step_events(case, step) -> list:
    return events(case, action=AuditAction.STEP_RECORDED, step=step)


@pytest.mark.parametrize(
    ("title", "answer"),
    [
        (IDENTITY, {}),
        (EQUIPMENT, {}),
        (CONSENT, {"value": "yes"}),
        (PROCEDURE_AND_SIDE, {"value": "both"}),
    ],
    ids=["hard-stop", "check", "yes-no", "side"],
)
def test_a_recorded_row_offers_nothing_to_tap_where_its_answer_was(
    client, nurse, case, title, answer
):
    if title != IDENTITY:
        record(case, IDENTITY, nurse)
    client.force_login(nurse)
    step = step_of(case, title)

    shown = row(content(post(client, case, step, **answer)), step)

    assert buttons(outside_change(shown)) == []
    assert "<input" not in outside_change(shown)
    assert summaries(shown)[0] == f"Change…: {step.label}"
    assert '<details class="step-change">' in shown  # closed: opening it is the first step
    assert "Recorded by Nora Nurse" in text(shown)


def test_a_late_second_tap_is_a_no_op_and_a_late_revert_a_conflict(client, nurse, case):
    client.force_login(nurse)
    identity = step_of(case, IDENTITY)  # drawn at revision 0

    first = post(client, case, identity)
    second = post(client, case, identity)  # the same tap, late: the same revision 0
    undo = post(client, case, identity, status="pending", reason="Late")  # a stale page's undo

    assert (first.status_code, second.status_code, undo.status_code) == (200, 200, 409)
    assert "was changed by Nora Nurse at" in text(row(content(undo), identity))
    identity.refresh_from_db()
    assert (identity.status, identity.revision) == (StepStatus.DONE, 1)
    assert len(step_events(case, identity)) == 1


def test_the_change_panel_carries_the_revision_the_person_saw(client, nurse, case):
    for phase in ("sign_in", "induction", "time_out"):
        record_phase(case, phase, nurse)
    record(case, INCISION, nurse, side="left", value="4")
    client.force_login(nurse)
    incision = step_of(case, INCISION, "left")

    panel = change_panel(row(content(client.get(f"/cases/{case.pk}/")), incision))

    assert panel.count('name="revision" value="1"') == 3  # save, not applicable, back to pending
    assert 'name="revision" value="0"' not in panel
    assert 'name="value" autocomplete="off"' in panel and 'value="4"' in panel  # to correct
    assert buttons(panel) == [
        f"Save: {incision.label}",
        f"Mark not applicable: {incision.label}",
        f"Back to pending: {incision.label}",
    ]
    assert 'name="reason"' not in panel  # not a gate: no reason asked


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_hard_stop_revert_without_a_reason_is_refused_in_the_open_panel(
    client, nurse, case, reason
):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)
    identity = step_of(case, IDENTITY)

    response = post(client, case, identity, status="pending", reason=reason)

    assert response.status_code == 422
    shown = row(content(response), identity)
    assert REASON_NEEDED in text(shown)
    assert '<details class="step-change" open>' in shown  # open again, to give the reason
    assert f"Reason for putting it back to pending: {IDENTITY}" in text(change_panel(shown))
    identity.refresh_from_db()
    assert (identity.status, identity.revision) == (StepStatus.DONE, 1)
    assert len(step_events(case, identity)) == 1


def test_a_hard_stop_revert_with_a_reason_puts_it_back_and_the_audit_keeps_why(client, nurse, case):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)
    identity = step_of(case, IDENTITY)

    response = post(client, case, identity, status="pending", reason="Band belongs to bed 4")

    assert response.status_code == 200
    assert buttons(row(content(response), identity)) == [f"Mark done: {IDENTITY}"]
    identity.refresh_from_db()
    assert identity.status == StepStatus.PENDING
    reverted = step_events(case, identity)[-1]
    assert (reverted.before["status"], reverted.after["status"]) == ("done", "pending")
    assert reverted.after["reason"] == "Band belongs to bed 4"
    assert reverted.user_agent == "Ward tablet 7"


def test_without_javascript_a_revert_redirects_and_a_refusal_shows_the_page(client, nurse, case):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)
    identity = step_of(case, IDENTITY)

    refused = post(client, case, identity, htmx=False, status="pending")
    accepted = post(client, case, identity, htmx=False, status="pending", reason="Re-read band")

    assert refused.status_code == 422
    assert "<html" in content(refused)
    assert REASON_NEEDED in text(row(content(refused), identity))
    assert accepted.status_code == 302
    assert accepted["Location"] == f"/cases/{case.pk}/#step-{identity.pk}"
    messages = [str(message) for message in get_messages(accepted.wsgi_request)]
    assert messages == [f"“{IDENTITY}” is back to pending."]
    assert step_events(case, identity)[-1].after["reason"] == "Re-read band"


def test_an_ordinary_step_goes_back_to_pending_without_a_reason(client, nurse, case):
    record(case, IDENTITY, nurse)
    consent = record(case, CONSENT, nurse, value="no")
    client.force_login(nurse)

    response = post(client, case, consent, status="pending")

    assert response.status_code == 200
    assert "To do" in text(row(content(response), consent))
    assert "reason" not in step_events(case, consent)[-1].after


def test_a_change_from_the_panel_is_one_event(client, nurse, case):
    record(case, IDENTITY, nurse)
    consent = record(case, CONSENT, nurse, value="no")
    client.force_login(nurse)

    response = post(client, case, consent, value="yes")

    assert response.status_code == 200
    assert "Answer: Yes" in text(row(content(response), consent))
    changed = step_events(case, consent)[-1]
    assert (changed.before["value"], changed.after["value"]) == ("no", "yes")
    assert len(step_events(case, consent)) == 2


def test_a_reason_is_refused_on_a_change_that_is_not_a_revert(client, nurse, case):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)
    consent = step_of(case, CONSENT)

    response = post(client, case, consent, value="yes", reason="Because")

    assert response.status_code == 422
    assert "only when an answer is put back to pending" in text(row(content(response), consent))
    assert step_events(case, consent) == []


def test_a_forged_reason_too_long_gets_a_clear_400(client, nurse, case):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)
    identity = step_of(case, IDENTITY)

    response = post(client, case, identity, status="pending", reason="x" * 2001)

    assert response.status_code == 400
    assert "at most 2000" in text(row(content(response), identity))
    assert len(step_events(case, identity)) == 1


def test_a_revert_costs_the_queries_of_a_recording(
    client, nurse, case, django_assert_max_num_queries
):
    client.force_login(nurse)
    client.get(f"/cases/{case.pk}/")  # the session and the permissions warm up
    identity = step_of(case, IDENTITY)
    since = Case.objects.get(pk=case.pk).audit_seq

    with CaptureQueriesContext(connection) as recording:
        assert post(client, case, identity, since=since).status_code == 200
    identity.refresh_from_db()
    with (
        django_assert_max_num_queries(STEP_POST_QUERIES),
        CaptureQueriesContext(connection) as revert,
    ):
        response = post(client, case, identity, status="pending", reason="Re", since=since)

    assert response.status_code == 200
    assert len(revert) == len(recording)
