import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checklists import workflow
from checklists.choices import AuditAction, CaseStatus, StepStatus
from checklists.errors import (
    CaseLocked,
    HardStopPending,
    NotFound,
    NotPermitted,
    RuleViolation,
    StaleRevision,
)
from tests.conftest import events, make_case, make_procedure, record

STEPS = (
    {"title": "Identity confirmed", "phase": "sign_in", "hard_stop": True},
    {"title": "Consent signed", "phase": "sign_in", "kind": "yes_no", "expected_answer": "yes"},
    {"title": "Allergy", "phase": "sign_in", "kind": "yes_no", "details_required_for": "yes"},
    {"title": "Site marked", "phase": "sign_in", "kind": "choice", "options": ["Yes", "No"]},
    {"title": "Incision", "kind": "number", "unit": "cm", "min_value": 3, "max_value": 5},
    {"title": "Concerns", "phase": "sign_out", "kind": "text"},
)


@pytest.fixture
def case(nurse, surgeon):
    return make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon)


def test_recording_a_step_attributes_it_and_writes_one_event(case, nurse):
    step = record(case, "Identity confirmed", nurse)

    assert step.status == StepStatus.DONE
    assert step.recorded_by == nurse
    assert step.recorded_at is not None
    assert step.revision == 1
    [event] = events(case, action=AuditAction.STEP_RECORDED)
    assert event.actor == nurse
    assert event.step == step
    assert event.before["status"] == "pending"
    assert event.after == step.state()


def test_first_recorded_step_puts_the_case_in_progress(case, nurse):
    record(case, "Identity confirmed", nurse)

    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert case.started_at is not None


def test_every_change_bumps_the_case_version(case, nurse):
    version = case.version
    record(case, "Identity confirmed", nurse)
    case.refresh_from_db()
    assert case.version == version + 1


def test_repeating_the_same_request_is_a_no_op_without_an_event(case, nurse):
    step = record(case, "Identity confirmed", nurse)
    count = len(events(case))

    again = workflow.record_step(
        actor=nurse,
        case_id=case.pk,
        step_id=step.pk,
        answer=workflow.Answer(status="done"),
        revision=0,  # the double tap still carries the revision it was sent with
    )

    assert again.revision == 1
    assert len(events(case)) == count


def test_a_stale_revision_is_refused_naming_who_changed_it(case, nurse, scrub):
    step = case.steps.get(title="Identity confirmed")
    record(case, "Identity confirmed", scrub)
    count = len(events(case))

    with pytest.raises(StaleRevision) as refused:
        workflow.record_step(
            actor=nurse,
            case_id=case.pk,
            step_id=step.pk,
            answer=workflow.Answer(status="pending"),
            revision=0,
        )

    assert "Sam Scrub" in refused.value.message
    assert refused.value.current.status == StepStatus.DONE
    assert len(events(case)) == count


def test_hard_stop_blocks_later_steps_and_names_itself(case, nurse):
    with pytest.raises(HardStopPending) as refused:
        record(case, "Consent signed", nurse, value="yes")

    assert "Identity confirmed" in refused.value.message
    assert refused.value.blocking.title == "Identity confirmed"
    assert events(case, action=AuditAction.STEP_RECORDED) == []


def test_hard_stop_blocks_not_applicable_too(case, nurse):
    with pytest.raises(HardStopPending):
        record(case, "Concerns", nurse, status="na", na_reason="none")


def test_later_steps_open_once_the_hard_stop_is_recorded(case, nurse):
    record(case, "Identity confirmed", nurse)
    step = record(case, "Consent signed", nurse, value="yes")
    assert step.status == StepStatus.DONE


def test_a_hard_stop_cannot_be_marked_not_applicable(case, nurse):
    with pytest.raises(RuleViolation, match="hard stop"):
        record(case, "Identity confirmed", nurse, status="na", na_reason="known patient")


def test_a_hard_stop_cannot_be_undone_while_later_steps_are_recorded(case, nurse):
    record(case, "Identity confirmed", nurse)
    record(case, "Consent signed", nurse, value="yes")

    with pytest.raises(RuleViolation, match="Consent signed"):
        record(case, "Identity confirmed", nurse, status="pending")


def test_undo_puts_a_step_back_to_pending_and_keeps_the_old_answer_in_the_audit(case, nurse):
    record(case, "Identity confirmed", nurse)
    record(case, "Consent signed", nurse, value="yes")

    step = record(case, "Consent signed", nurse, status="pending")

    assert (step.status, step.value, step.recorded_by) == (StepStatus.PENDING, "", None)
    event = events(case, step=step)[-1]
    assert event.before["value"] == "yes"
    assert event.after["status"] == "pending"


@pytest.mark.parametrize("value", ["7", "2.9", "5.01", "-4"])
def test_a_number_outside_its_bounds_is_refused(case, nurse, value):
    record(case, "Identity confirmed", nurse)
    with pytest.raises(RuleViolation, match=r"(above the maximum|below the minimum).*cm"):
        record(case, "Incision", nurse, value=value)
    assert case.steps.get(title="Incision").status == StepStatus.PENDING


@pytest.mark.parametrize(
    "value",
    ["four", "NaN", "Infinity", "1e999", "1e999999999", "1e-999999999", "12345678901", "4.000001"],
)
def test_a_number_that_is_not_an_ordinary_number_is_refused(case, nurse, value):
    record(case, "Identity confirmed", nurse)
    with pytest.raises(RuleViolation, match="number"):
        record(case, "Incision", nurse, value=value)


@pytest.mark.parametrize(("typed", "stored"), [("4", "4"), ("4.50", "4.5"), ("3,5", "3.5")])
def test_a_number_within_bounds_is_stored_as_people_write_it(case, nurse, typed, stored):
    record(case, "Identity confirmed", nurse)
    assert record(case, "Incision", nurse, value=typed).value == stored


def test_a_choice_must_be_one_of_its_options(case, nurse):
    record(case, "Identity confirmed", nurse)
    with pytest.raises(RuleViolation, match="Yes, No"):
        record(case, "Site marked", nurse, value="Maybe")
    assert record(case, "Site marked", nurse, value="Yes").value == "Yes"


def test_a_yes_no_step_takes_only_yes_or_no(case, nurse):
    record(case, "Identity confirmed", nurse)
    with pytest.raises(RuleViolation):
        record(case, "Consent signed", nurse, value="true")


def test_a_yes_that_needs_details_needs_a_note(case, nurse):
    record(case, "Identity confirmed", nurse)
    with pytest.raises(RuleViolation, match="details"):
        record(case, "Allergy", nurse, value="yes")
    step = record(case, "Allergy", nurse, value="yes", note="Penicillin")
    assert step.note == "Penicillin"


def test_a_required_answer_cannot_be_empty(case, nurse):
    record(case, "Identity confirmed", nurse)
    with pytest.raises(RuleViolation, match="needs an answer"):
        record(case, "Concerns", nurse, value="   ")


def test_not_applicable_needs_a_reason(case, nurse):
    record(case, "Identity confirmed", nurse)
    with pytest.raises(RuleViolation, match="reason"):
        record(case, "Site marked", nurse, status="na", na_reason="  ")
    step = record(case, "Site marked", nurse, status="na", na_reason="Midline approach")
    assert (step.status, step.na_reason) == (StepStatus.NOT_APPLICABLE, "Midline approach")


def test_an_unknown_target_state_is_refused(case, nurse):
    with pytest.raises(RuleViolation, match="Unknown step state"):
        record(case, "Identity confirmed", nurse, status="toggle")


def test_a_step_of_another_case_is_not_found(case, nurse, surgeon):
    other = make_case(case.procedure, actor=nurse, surgeon=surgeon)
    foreign = other.steps.first()
    with pytest.raises(NotFound):
        workflow.record_step(
            actor=nurse,
            case_id=case.pk,
            step_id=foreign.pk,
            answer=workflow.Answer(status="done"),
            revision=0,
        )


def test_an_unknown_case_is_not_found(nurse, db):
    with pytest.raises(NotFound):
        workflow.record_step(
            actor=nurse, case_id=999999, step_id=1, answer=workflow.Answer("done"), revision=0
        )


def test_a_reviewer_cannot_record_steps(case, reviewer):
    with pytest.raises(NotPermitted):
        record(case, "Identity confirmed", reviewer)
    assert events(case, action=AuditAction.STEP_RECORDED) == []


def test_a_cancelled_case_cannot_change(case, nurse):
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")
    with pytest.raises(CaseLocked, match="cancelled"):
        record(case, "Identity confirmed", nurse)


def test_the_audit_event_keeps_the_request_context(case, nurse):
    step = case.steps.get(title="Identity confirmed")
    workflow.record_step(
        actor=nurse,
        case_id=case.pk,
        step_id=step.pk,
        answer=workflow.Answer(status="done"),
        revision=0,
        context=workflow.RequestContext(remote_addr="10.1.2.3", user_agent="Tablet OR 3"),
    )
    event = events(case, step=step)[0]
    assert (event.remote_addr, event.user_agent) == ("10.1.2.3", "Tablet OR 3")


def test_record_step_uses_the_same_number_of_queries_whatever_the_case_size(nurse, surgeon):
    def queries_for(step_count: int) -> int:
        steps = [{"title": "Gate", "hard_stop": True}] + [
            {"title": f"Step {n}"} for n in range(step_count)
        ]
        procedure = make_procedure(*steps, title=f"P{step_count}", slug=f"p{step_count}")
        case = make_case(procedure, actor=nurse, surgeon=surgeon)
        record(case, "Gate", nurse)
        step = case.steps.get(title="Step 1")
        with CaptureQueriesContext(connection) as captured:
            workflow.record_step(
                actor=nurse,
                case_id=case.pk,
                step_id=step.pk,
                answer=workflow.Answer(status="done"),
                revision=0,
            )
        return len(captured)

    small, large = queries_for(3), queries_for(60)
    assert small == large
    # One each for the side disagreements that stand (workflow.sides) and the Time Out gate.
    assert small <= 13
