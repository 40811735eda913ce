"""POST /api/v1/cases/<id>/steps/<step_id>/: a step's target state and revision, exactly as the
tablet sends them, through ``workflow.record_step``; its refusals with the tablet's statuses."""

from accounts.people import display_name
from checklists import workflow
from checklists.choices import AuditAction, CaseStatus, StepStatus
from checklists.models import CaseStep
from tests.api.conftest import IDENTITY, INCISION, post_json
from tests.conftest import events, make_case, record

PROBLEM = "application/problem+json"


def url(case, step) -> str:
    return f"/api/v1/cases/{case.pk}/steps/{step.pk}/"


def step_of(case, title: str) -> CaseStep:
    return case.steps.get(title=title)


def test_it_records_a_step_as_the_integration(api, token, case):
    identity = step_of(case, IDENTITY)

    response = post_json(api, url(case, identity), {"status": "done", "revision": 0})

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["revision"]) == (identity.pk, "done", 1)
    assert body["recorded_by"] == "Theatre engine (API)"
    assert body["recorded_for"] == "nurse"  # the integration holds no theatre role: "for" it
    identity.refresh_from_db()
    assert identity.recorded_by == token[0].user
    [event] = events(case, action=AuditAction.STEP_RECORDED)
    assert event.actor == token[0].user
    assert display_name(event.actor) == "Theatre engine (API)"
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS


def test_it_records_a_number_within_its_bounds(api, nurse, case):
    record(case, IDENTITY, nurse)
    incision = step_of(case, INCISION)

    response = post_json(
        api, url(case, incision), {"status": "done", "revision": 0, "value": "4,5"}
    )

    assert response.status_code == 200
    assert response.json()["value"] == "4.5"


def test_a_repeated_request_changes_nothing(api, case):
    identity = step_of(case, IDENTITY)
    post_json(api, url(case, identity), {"status": "done", "revision": 0})

    again = post_json(api, url(case, identity), {"status": "done", "revision": 0})

    assert again.status_code == 200
    assert again.json()["revision"] == 1
    assert len(events(case, action=AuditAction.STEP_RECORDED)) == 1


def test_a_stale_revision_is_a_conflict_with_the_step_as_it_is_now(api, nurse, case):
    record(case, IDENTITY, nurse)
    record(case, INCISION, nurse, value="4")  # at the tablet, first
    incision = step_of(case, INCISION)

    response = post_json(api, url(case, incision), {"status": "done", "revision": 0, "value": "5"})

    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "urn:sitracker:problem:stale-revision"
    assert problem["status"] == 409
    assert "Nora Nurse" in problem["detail"]
    assert problem["current"]["revision"] == 1
    assert problem["current"]["value"] == "4"
    assert len(events(case, action=AuditAction.STEP_RECORDED)) == 2


def test_a_number_out_of_bounds_is_refused_as_the_tablet_refuses_it(api, nurse, case):
    record(case, IDENTITY, nurse)
    incision = step_of(case, INCISION)

    response = post_json(api, url(case, incision), {"status": "done", "revision": 0, "value": "9"})

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "urn:sitracker:problem:rule-violation"
    assert problem["detail"] == "9 cm is above the maximum of 5 cm for “Incision length”."
    incision.refresh_from_db()
    assert incision.status == StepStatus.PENDING


def test_a_hard_stop_holds_later_steps_back(api, case):
    incision = step_of(case, INCISION)

    response = post_json(api, url(case, incision), {"status": "done", "revision": 0, "value": "4"})

    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "urn:sitracker:problem:hard-stop-pending"
    assert problem["blocking_step"] == step_of(case, IDENTITY).pk


def test_a_cancelled_case_is_locked(api, nurse, case):
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")
    identity = step_of(case, IDENTITY)

    response = post_json(api, url(case, identity), {"status": "done", "revision": 0})

    assert response.status_code == 409
    assert response.json()["type"] == "urn:sitracker:problem:case-locked"


def test_an_unknown_case_or_a_step_of_another_case_is_not_found(
    api, procedure, nurse, surgeon, case
):
    other = make_case(procedure, actor=nurse, surgeon=surgeon, patient_mrn="MRN0043")
    identity = step_of(case, IDENTITY)

    foreign = post_json(api, url(case, step_of(other, IDENTITY)), {"status": "done", "revision": 0})
    missing = post_json(
        api, f"/api/v1/cases/999999/steps/{identity.pk}/", {"status": "done", "revision": 0}
    )

    assert foreign.status_code == missing.status_code == 404
    assert foreign.json()["detail"] == "That step is not part of this case."
    assert missing.json()["detail"] == "There is no such case."
    assert events(other, action=AuditAction.STEP_RECORDED) == []


def test_a_request_the_tablet_would_never_send_is_a_400_naming_the_fields(api, case):
    identity = step_of(case, IDENTITY)

    response = post_json(api, url(case, identity), {"status": "toggle"})

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == "urn:sitracker:problem:invalid-request"
    assert set(problem["errors"]) == {"status", "revision"}


def test_a_body_that_is_not_json_is_a_400_problem(api, case):
    identity = step_of(case, IDENTITY)

    response = api.post(url(case, identity), "{", content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["title"] == "Bad Request"


def test_recording_a_step_writes_no_access_log_entry(api, case, django_assert_max_num_queries):
    # The step's answer shows no patient identity.
    from checklists.models import RecordAccess

    identity = step_of(case, IDENTITY)
    # The token (1) and the throttle (6); the workflow's own, as for the tablet's POST (12).
    with django_assert_max_num_queries(19):
        post_json(api, url(case, identity), {"status": "done", "revision": 0})

    assert not RecordAccess.objects.exists()
