import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checklists import workflow
from checklists.choices import AuditAction, StepStatus
from checklists.models import Case
from tests.checklists.checklist_html import (
    ALLERGY,
    ANAESTHESIA,
    CONSENT,
    IDENTITY,
    INCISION,
    TEAM,
    TIME_OUT_STOP,
    buttons,
    change_panel,
    content,
    mi_procedure,
    out_of_band_ids,
    outside_change,
    row,
    step_of,
    text,
)
from tests.conftest import PASSWORD, events, make_case, make_procedure, record

HTMX = {"HX-Request": "true"}
# Two of them (the implants, the procedure's approach for the per-side minimum) only when the
# answer redraws an implant step's row, which holds that side's implants: a hard stop's, say.
# One more for a procedure step: whether a Stop the team called stands (workflow.steps). One
# for the side disagreements that stand (workflow.sides), one for the Time Outs (the gate).
STEP_POST_QUERIES = 17


def post(client, case, step, *, htmx: bool = True, **data):
    """A row's form as the page sends it, the page having been drawn just now."""
    if "since" not in data:
        data["since"] = Case.objects.get(pk=case.pk).audit_seq
    form = {"status": "done", "revision": step.revision, **data}
    headers = {**HTMX, "User-Agent": "Ward tablet 7"} if htmx else {"User-Agent": "Ward tablet 7"}
    return client.post(f"/cases/{case.pk}/steps/{step.pk}/", form, headers=headers)


def step_events(case) -> list:
    return events(case, action=AuditAction.STEP_RECORDED)


def test_htmx_answers_the_row_and_the_progress_out_of_band(client, nurse, case):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)
    allergy = step_of(case, ALLERGY)

    response = post(client, case, allergy, value="no")

    assert response.status_code == 200
    answer = content(response)
    assert answer.lstrip().startswith(f'<li id="step-{allergy.pk}"')
    assert "Answer: No" in text(row(answer, allergy))
    assert "autofocus" in row(answer, allergy)  # focus stays on the row just changed
    assert out_of_band_ids(answer) == [
        "case-summary",
        "phase-stepper",
        "phase-progress-sign_in",
        "phase-progress-induction",
        "phase-progress-time_out",
        "phase-progress-procedure",
        "phase-progress-sign_out",
        "checklist-footer",
        "time-out-panel",  # a step recorded may call for the Time Out: its panel is redrawn
        "live-sync",
    ]
    assert "2 of 40 steps recorded" in text(answer)
    allergy.refresh_from_db()
    assert (allergy.status, allergy.value, allergy.recorded_by) == ("done", "no", nurse)


def test_recording_a_hard_stop_refreshes_the_rows_it_gated(client, nurse, case):
    client.force_login(nurse)

    answer = content(post(client, case, step_of(case, IDENTITY)))

    refreshed = out_of_band_ids(answer)
    assert f"step-{step_of(case, CONSENT).pk}" in refreshed
    assert f"step-{step_of(case, INCISION, 'right').pk}" in refreshed
    assert "disabled" not in row(answer, step_of(case, CONSENT))
    later = text(row(answer, step_of(case, INCISION, "left")))
    assert f"Waiting for the whole Time Out: {TEAM}" in later


def test_an_ordinary_step_refreshes_no_other_row(client, nurse, case):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)

    answer = content(post(client, case, step_of(case, ALLERGY), value="no"))

    assert not [name for name in out_of_band_ids(answer) if name.startswith("step-")]


def test_a_step_with_an_expected_answer_refreshes_the_later_phases_rows(client, nurse, case):
    """Its answer may make or end a Stop, which locks or frees the later phases' rows."""
    record(case, IDENTITY, nurse)
    client.force_login(nurse)
    consent = step_of(case, CONSENT)

    answer = content(post(client, case, consent, value="no"))

    refreshed = out_of_band_ids(answer)
    anaesthesia = step_of(case, ANAESTHESIA)
    assert f"step-{anaesthesia.pk}" in refreshed
    assert f"step-{step_of(case, ALLERGY).pk}" not in refreshed  # the same phase: not held
    assert f"Waiting for the Stop on {CONSENT} to be resolved" in text(row(answer, anaesthesia))
    assert "Stop: “Consent form signed” answered No — expected Yes." in text(row(answer, consent))


def test_the_answer_also_brings_what_other_tablets_changed_since_the_page_was_drawn(
    client, nurse, scrub, case
):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)
    since = Case.objects.get(pk=case.pk).audit_seq  # the page is drawn now
    record(case, ALLERGY, scrub, value="no")  # the other tablet
    consent = step_of(case, CONSENT)

    answer = content(post(client, case, consent, value="yes", since=since))

    allergy = step_of(case, ALLERGY)
    assert f"step-{allergy.pk}" in out_of_band_ids(answer)
    assert "Recorded by Sam Scrub" in text(row(answer, allergy))
    new_since = Case.objects.get(pk=case.pk).audit_seq
    assert f'id="live-sync-since" name="since" value="{new_since}"' in answer


def test_a_case_cancelled_elsewhere_just_after_the_change_is_drawn_cancelled(
    client, nurse, scrub, case, monkeypatch
):
    """The answer draws the case as it is, not as the change left it: here another tablet
    cancels it between this change's commit and its answer (a real cancel, in that gap)."""
    record_step = workflow.record_step

    def then_cancelled_elsewhere(**change):
        step = record_step(**change)
        workflow.cancel(actor=scrub, case_id=case.pk, reason="Patient unwell")
        return step

    monkeypatch.setattr(workflow, "record_step", then_cancelled_elsewhere)
    client.force_login(nurse)

    answer = content(post(client, case, step_of(case, IDENTITY)))

    assert "This case was cancelled" in answer
    assert "Patient unwell" in answer
    assert 'hx-trigger="every 3s"' not in answer  # the poll stops: nothing more can change


def test_an_answer_without_the_pages_starting_point_leaves_the_poll_alone(client, nurse, case):
    client.force_login(nurse)
    identity = step_of(case, IDENTITY)

    response = client.post(
        f"/cases/{case.pk}/steps/{identity.pk}/", {"status": "done", "revision": 0}, headers=HTMX
    )

    assert response.status_code == 200
    assert "live-sync" not in out_of_band_ids(content(response))


def test_without_javascript_it_redirects_to_the_row_with_a_message(client, nurse, case):
    client.force_login(nurse)
    identity = step_of(case, IDENTITY)

    response = post(client, case, identity, htmx=False)

    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/#step-{identity.pk}"
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        f"“{IDENTITY}” recorded."
    ]
    identity.refresh_from_db()
    assert identity.status == StepStatus.DONE


def test_the_audit_event_keeps_the_device_and_address(client, nurse, case):
    client.force_login(nurse)

    post(client, case, step_of(case, IDENTITY))

    [event] = step_events(case)
    assert (event.actor, event.remote_addr, event.user_agent) == (
        nurse,
        "127.0.0.1",
        "Ward tablet 7",
    )


def test_not_applicable_and_back_to_pending(client, nurse, case):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)
    oximeter = step_of(case, "Pulse oximeter on and working")

    answer = content(post(client, case, oximeter, status="na", na_reason="Awake case"))
    assert "Not applicable: Awake case" in text(row(answer, oximeter))
    oximeter.refresh_from_db()
    answer = content(post(client, case, oximeter, status="pending"))

    assert "To do" in text(row(answer, oximeter))
    oximeter.refresh_from_db()
    assert (oximeter.status, oximeter.revision) == (StepStatus.PENDING, 2)
    assert len(step_events(case)) == 3


def test_a_double_post_writes_one_audit_event(client, nurse, case):
    client.force_login(nurse)
    identity = step_of(case, IDENTITY)

    first = post(client, case, identity)
    second = post(client, case, identity)  # the same tap, the same revision

    assert (first.status_code, second.status_code) == (200, 200)
    assert len(step_events(case)) == 1


def test_a_number_out_of_bounds_is_refused_in_the_row(client, nurse, case):
    record(case, IDENTITY, nurse)
    record(case, TIME_OUT_STOP, nurse)
    client.force_login(nurse)
    incision = step_of(case, INCISION, "left")

    response = post(client, case, incision, value="7")

    assert response.status_code == 422
    refused = row(content(response), incision)
    assert "7 cm is above the maximum of 5 cm" in text(refused)
    assert 'role="alert"' in refused
    assert 'value="7"' in refused  # what was typed stays, to be corrected
    assert len(step_events(case)) == 2  # the two hard stops; nothing for the refusal


def test_a_step_behind_a_hard_stop_is_refused_in_the_row(client, nurse, case):
    client.force_login(nurse)
    consent = step_of(case, CONSENT)

    response = post(client, case, consent, value="yes")

    assert response.status_code == 422
    refused = text(row(content(response), consent))
    assert f"waits for the hard stop “{IDENTITY}”" in refused
    assert f"Waiting for: {IDENTITY}" in refused


def test_a_missing_detail_is_refused_in_the_row(client, nurse, case):
    record(case, IDENTITY, nurse)
    client.force_login(nurse)

    response = post(client, case, step_of(case, ALLERGY), value="yes")

    assert response.status_code == 422
    assert "give the details in the note" in text(content(response))


def test_a_stale_revision_says_who_changed_it_and_shows_the_current_state(
    client, nurse, scrub, case
):
    identity = step_of(case, IDENTITY)  # the page was drawn at revision 0
    record(case, IDENTITY, scrub)
    client.force_login(nurse)

    response = post(client, case, identity, status="pending")

    assert response.status_code == 409
    refused = text(row(content(response), identity))
    assert "was changed by Sam Scrub at" in refused
    assert "Recorded by Sam Scrub" in refused  # the current answer
    shown = row(content(response), identity)
    assert buttons(outside_change(shown)) == []
    assert buttons(change_panel(shown)) == [f"Back to pending: {IDENTITY}"]
    assert 'name="revision" value="1"' in change_panel(shown)
    # Closed: the row now shows someone else's answer, which a reflex tap must not undo.
    assert '<details class="step-change">' in shown
    assert len(step_events(case)) == 1


def test_a_signed_case_refuses_changes_in_the_row(client, nurse, surgeon):
    small = make_case(make_procedure({"title": "Count correct"}), actor=nurse, surgeon=surgeon)
    step = record(small, "Count correct", nurse)
    workflow.sign_out(actor=surgeon, case_id=small.pk, password=PASSWORD)
    client.force_login(nurse)

    response = post(client, small, step, status="pending")

    assert response.status_code == 409
    assert "signed out and locked" in text(row(content(response), step))


def test_without_javascript_a_refusal_shows_the_page_with_the_error_in_the_row(client, nurse, case):
    client.force_login(nurse)
    consent = step_of(case, CONSENT)

    response = post(client, case, consent, htmx=False, value="yes")

    assert response.status_code == 422
    assert "<html" in content(response)
    assert f"waits for the hard stop “{IDENTITY}”" in text(row(content(response), consent))


def test_a_reviewer_may_not_record_a_step(client, reviewer, case):
    client.force_login(reviewer)

    response = post(client, case, step_of(case, IDENTITY))

    assert response.status_code == 403
    assert step_events(case) == []


def test_it_answers_only_posts(client, nurse, case):
    client.force_login(nurse)
    identity = step_of(case, IDENTITY)

    assert client.get(f"/cases/{case.pk}/steps/{identity.pk}/").status_code == 405


def test_a_step_of_another_case_is_not_found(client, nurse, surgeon, case):
    other = make_case(mi_procedure(), actor=nurse, surgeon=surgeon)
    client.force_login(nurse)
    foreign = step_of(other, IDENTITY)

    response = client.post(
        f"/cases/{case.pk}/steps/{foreign.pk}/", {"status": "done", "revision": 0}, headers=HTMX
    )

    assert response.status_code == 404
    assert "That step is not part of this case" in text(content(response))
    assert step_events(other) == []


def test_an_unknown_case_is_not_found(client, nurse, case):
    client.force_login(nurse)
    identity = step_of(case, IDENTITY)

    response = client.post(f"/cases/999999/steps/{identity.pk}/", {"status": "done", "revision": 0})

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"status": "toggle", "revision": "0"}, "Unknown step state"),
        ({"status": "done", "revision": "zero"}, "version could not be read"),
        ({"status": "done", "revision": "-1"}, "version could not be read"),
        ({"status": "done", "revision": "99999999999999999999"}, "version could not be read"),
        ({"status": "done"}, "which version"),
        ({"revision": "0"}, "what state"),
        ({"status": "done", "revision": "0", "value": "x" * 2001}, "at most 2000"),
        ({"status": "done", "revision": "0", "note": "nul\x00byte"}, "Null characters"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_a_forged_form_gets_a_clear_400(client, nurse, case, form, message, htmx):
    client.force_login(nurse)
    identity = step_of(case, IDENTITY)

    response = client.post(
        f"/cases/{case.pk}/steps/{identity.pk}/", form, headers=HTMX if htmx else {}
    )

    assert response.status_code == 400
    assert message in text(row(content(response), identity))
    assert step_events(case) == []


@pytest.mark.parametrize("step_id", ["0", "99999999999999999999"])
def test_a_forged_step_id_is_not_found_never_a_crash(client, nurse, case, step_id):
    client.force_login(nurse)

    response = client.post(
        f"/cases/{case.pk}/steps/{step_id}/", {"status": "done", "revision": 0}, headers=HTMX
    )

    assert response.status_code == 404


def step_post_queries(client, case, step, *, since: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert post(client, case, step, since=since).status_code == 200
    return len(queries)


def test_a_step_post_costs_the_same_queries_for_a_small_and_a_large_case(
    client, nurse, surgeon, case, django_assert_max_num_queries
):
    small = make_case(
        make_procedure(
            # Of the same phase as the large case's (a procedure step costs one query more).
            {"title": "Identity", "hard_stop": True, "phase": "sign_in"},
            {"title": "Count"},
            {"title": "Implants", "kind": "implants"},
        ),
        actor=nurse,
        surgeon=surgeon,
    )
    small_step, large_step = small.steps.get(title="Identity"), step_of(case, IDENTITY)
    client.force_login(nurse)
    client.get(f"/cases/{small.pk}/")  # the session and the permissions warm up alike

    with django_assert_max_num_queries(STEP_POST_QUERIES):
        small_count = step_post_queries(client, small, small_step, since=small.audit_seq)
    with django_assert_max_num_queries(STEP_POST_QUERIES):
        large_count = step_post_queries(client, case, large_step, since=case.audit_seq)

    assert small_count == large_count
    assert case.steps.count() == 40
