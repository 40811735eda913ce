"""Expected answers are Stops: consent not signed, counts not correct. A Stop counts as not done,
holds every step of the later phases back and stops the sign-out, until the answer changes or
a surgeon overrides it with a reason (``workflow.override_stop``)."""

import pytest
from django.utils import timezone

from checklists import compliance, selectors, workflow
from checklists.choices import AuditAction, CaseStatus, Gate, StepStatus
from checklists.errors import (
    CaseLocked,
    NotPermitted,
    RuleViolation,
    SignOutBlocked,
    StaleRevision,
    StepGated,
)
from checklists.models import CaseStep, complete_q
from tests.conftest import PASSWORD, events, make_case, make_procedure, perform_time_out, record

STEPS = (
    {"title": "Identity", "phase": "sign_in", "hard_stop": True},
    {"title": "Consent signed", "phase": "sign_in", "kind": "yes_no", "expected_answer": "yes"},
    {"title": "Oximeter on", "phase": "sign_in"},
    {"title": "Anaesthesia induced", "phase": "induction"},
    {"title": "Team introduced", "phase": "time_out", "gates_later_phases": True},
    {"title": "Incision", "kind": "number", "unit": "cm", "min_value": 3, "max_value": 5},
    {"title": "Counts correct", "phase": "sign_out", "kind": "yes_no", "expected_answer": "yes"},
    {"title": "Concerns", "phase": "sign_out", "kind": "text"},
)
REASON = "Emergency: patient unconscious; two consultants agree to proceed"
STOP_MESSAGE = (
    "“Anaesthesia induced” waits for the Stop on “Consent signed” (answered No — expected Yes). "
    "Change that answer, or a surgeon overrides the Stop with a reason."
)


@pytest.fixture
def case(nurse, surgeon):
    case = make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon)
    record(case, "Identity", nurse)
    return case


def today():
    return timezone.localdate()


def override(case, surgeon, title: str, *, reason: str = REASON, revision: int | None = None):
    step = case.steps.get(title=title)
    return workflow.override_stop(
        actor=surgeon,
        case_id=case.pk,
        step_id=step.pk,
        revision=step.revision if revision is None else revision,
        reason=reason,
    )


def stop_overrides(case) -> list:
    return events(case, action=AuditAction.STOP_OVERRIDDEN)


@pytest.mark.parametrize(
    ("status", "value", "stop"),
    [
        ("pending", "", False),
        ("done", "yes", False),
        ("done", "no", True),
        ("na", "", True),  # not applicable is not the expected answer either
    ],
)
def test_an_answer_other_than_the_expected_one_is_a_stop(status, value, stop):
    step = CaseStep(kind="yes_no", expected_answer="yes", status=status, value=value)
    assert step.is_stop is stop
    assert step.is_complete is (status != "pending" and not stop)
    assert (step.gate == Gate.STOP) is stop
    step.stop_overridden_by_id = 7
    assert step.is_stop is False and step.departs_from_expected is stop


def test_consent_answered_no_is_recorded_as_a_stop(case, nurse):
    consent = record(case, "Consent signed", nurse, value="no")

    assert (consent.status, consent.value) == (StepStatus.DONE, "no")
    assert consent.is_stop and not consent.is_complete
    assert consent.stop_summary == "answered No — expected Yes"
    [event] = events(case, action=AuditAction.STEP_RECORDED, step=consent)
    assert (event.actor, event.after["value"]) == (nurse, "no")


def test_a_stop_holds_back_every_step_of_the_later_phases(case, nurse, anaesthetist):
    record(case, "Consent signed", nurse, value="no")
    count = len(events(case))

    with pytest.raises(StepGated) as refused:
        record(case, "Anaesthesia induced", anaesthetist)
    for title in ("Team introduced", "Counts correct"):
        with pytest.raises(StepGated, match="waits for the Stop on “Consent signed”"):
            record(case, title, nurse, value="yes" if title.startswith("Counts") else "")

    assert refused.value.message == STOP_MESSAGE
    assert refused.value.blocking.title == "Consent signed"
    assert len(events(case)) == count
    oximeter = record(case, "Oximeter on", anaesthetist)  # its own phase goes on
    assert events(case)[-1].step == oximeter


def test_changing_the_answer_ends_the_stop(case, nurse, anaesthetist):
    consent = record(case, "Consent signed", nurse, value="no")

    changed = record(case, "Consent signed", nurse, value="yes")
    induced = record(case, "Anaesthesia induced", anaesthetist)

    assert not changed.is_stop and changed.revision == consent.revision + 1
    assert induced.status == StepStatus.DONE
    recorded = events(case, action=AuditAction.STEP_RECORDED)
    assert [(e.step.title, e.after["value"]) for e in recorded[-3:]] == [
        ("Consent signed", "no"),
        ("Consent signed", "yes"),
        ("Anaesthesia induced", ""),
    ]


def test_not_applicable_where_an_answer_is_expected_is_a_stop(case, nurse, anaesthetist):
    record(case, "Consent signed", nurse, status="na", na_reason="Patient unconscious")

    with pytest.raises(StepGated, match=r"marked not applicable — expected Yes"):
        record(case, "Anaesthesia induced", anaesthetist)


def test_a_surgeon_overrides_a_stop_with_a_reason(case, nurse, surgeon, anaesthetist):
    consent = record(case, "Consent signed", nurse, value="no")

    overridden = override(case, surgeon, "Consent signed")

    assert (overridden.status, overridden.value) == (StepStatus.DONE, "no")  # the answer stays
    assert overridden.stop_overridden_by == surgeon
    assert overridden.stop_override_reason == REASON
    assert overridden.stop_overridden_at is not None
    assert overridden.revision == consent.revision + 1
    assert not overridden.is_stop and overridden.is_complete
    [event] = stop_overrides(case)
    assert (event.actor, event.step) == (surgeon, overridden)
    assert event.before == consent.state()
    assert event.after == {"expected_answer": "yes", "reason": REASON, "revision": 2}
    assert event.created_at == overridden.stop_overridden_at
    induced = record(case, "Anaesthesia induced", anaesthetist)
    assert induced.status == StepStatus.DONE


def test_overriding_again_with_the_same_reason_changes_nothing(case, nurse, surgeon):
    record(case, "Consent signed", nurse, value="no")
    first = override(case, surgeon, "Consent signed")

    again = override(case, surgeon, "Consent signed", revision=first.revision - 1)  # double tap

    assert again.revision == first.revision
    assert len(stop_overrides(case)) == 1
    with pytest.raises(RuleViolation, match="was already overridden by Sue Surgeon"):
        override(case, surgeon, "Consent signed", reason="Another reason")


def test_only_a_surgeon_overrides_a_stop(case, nurse, reviewer):
    record(case, "Consent signed", nurse, value="no")
    count = len(events(case))

    for person in (nurse, reviewer):
        with pytest.raises(NotPermitted, match=r"Only a surgeon can override a Stop\."):
            override(case, person, "Consent signed")

    assert len(events(case)) == count


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_needs_a_reason(case, nurse, surgeon, reason):
    record(case, "Consent signed", nurse, value="no")
    count = len(events(case))

    with pytest.raises(RuleViolation, match=r"Give the reason for going on despite the Stop\."):
        override(case, surgeon, "Consent signed", reason=reason)

    assert len(events(case)) == count
    assert case.steps.get(title="Consent signed").is_stop


def test_an_override_based_on_a_stale_row_is_refused(case, nurse, scrub, surgeon):
    consent = record(case, "Consent signed", nurse, value="no")
    record(case, "Consent signed", scrub, value="yes")  # changed meanwhile, on another tablet
    count = len(events(case))

    with pytest.raises(StaleRevision, match="was changed by Sam Scrub"):
        override(case, surgeon, "Consent signed", revision=consent.revision)

    assert len(events(case)) == count


def test_there_is_nothing_to_override_on_a_step_that_is_not_a_stop(case, nurse, surgeon):
    record(case, "Consent signed", nurse, value="yes")

    for title in ("Consent signed", "Oximeter on"):
        with pytest.raises(RuleViolation, match=f"“{title}” is not a Stop"):
            override(case, surgeon, title)

    assert not stop_overrides(case)


def test_a_changed_answer_needs_its_own_override(case, nurse, surgeon, anaesthetist):
    """An override holds for the answer it was given for; a note may still change."""
    record(case, "Consent signed", nurse, value="no")
    override(case, surgeon, "Consent signed")

    noted = record(case, "Consent signed", nurse, value="no", note="Form found unsigned")
    assert noted.stop_overridden and not noted.is_stop
    undone = record(case, "Consent signed", nurse, status="pending")
    assert (undone.stop_override_reason, undone.stop_overridden_by) == ("", None)
    again = record(case, "Consent signed", nurse, value="no")

    assert again.is_stop
    with pytest.raises(StepGated):
        record(case, "Anaesthesia induced", anaesthetist)


def test_a_signed_case_takes_no_override(case, nurse, surgeon):
    small = make_case(make_procedure(STEPS[0], slug="small", title="Small"), actor=nurse,
                      surgeon=surgeon)  # fmt: skip
    record(small, "Identity", nurse)
    workflow.sign_out(actor=surgeon, case_id=small.pk, password=PASSWORD)

    with pytest.raises(CaseLocked):
        override(small, surgeon, "Identity")


def work_through(case, nurse, surgeon, *, counts: str) -> None:
    record(case, "Consent signed", nurse, value="yes")
    for title in ("Oximeter on", "Anaesthesia induced", "Team introduced"):
        record(case, title, nurse)
    perform_time_out(case, nurse)  # read aloud with the team: the procedure waits for it
    record(case, "Incision", surgeon, value="4")
    record(case, "Counts correct", nurse, value=counts)
    record(case, "Concerns", surgeon, value="None")


def test_an_unresolved_stop_stops_the_sign_out_and_an_overridden_one_does_not(case, nurse, surgeon):
    work_through(case, nurse, surgeon, counts="no")
    assert [step.title for step in workflow.missing_for_sign_out(case)] == ["Counts correct"]
    assert compliance.case_compliance(case_id=case.pk).required_complete is False
    with pytest.raises(SignOutBlocked, match=r"Still missing: Counts correct\."):
        workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)

    override(case, surgeon, "Counts correct", reason="Needle found on X-ray table; recounted")
    signature = workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)

    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED and case.required_complete is True
    assert workflow.missing_for_sign_out(case) == []
    assert [e.action for e in events(case)[-2:]] == [
        AuditAction.STOP_OVERRIDDEN,
        AuditAction.SIGNED_OUT,
    ]
    assert events(case)[-1].after["signature"] == signature.pk


def test_a_signed_overridden_stop_keeps_its_answer_through_an_amendment(case, nurse, surgeon):
    work_through(case, nurse, surgeon, counts="no")
    counts = override(case, surgeon, "Counts correct")
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)

    def amend(**answer):
        return workflow.amend(
            actor=surgeon,
            case_id=case.pk,
            step_id=counts.pk,
            answer=workflow.Answer(**answer),
            revision=counts.revision,
            reason="Noted",
            password=PASSWORD,
        )

    with pytest.raises(RuleViolation, match="must be yes on a signed case"):
        amend(status="na", na_reason="Not counted")
    amend(status="done", value="no", note="Recounted with the theatre lead")

    counts.refresh_from_db()
    assert (counts.value, counts.stop_overridden_by) == ("no", surgeon)
    assert events(case)[-1].action == AuditAction.STEP_AMENDED
    case.refresh_from_db()
    assert case.required_complete is True


@pytest.mark.parametrize(("counts", "complete"), [("no", False), ("yes", True)])
def test_a_case_closed_with_a_stop_is_not_complete(case, nurse, surgeon, counts, complete):
    work_through(case, nurse, surgeon, counts=counts)  # every required step recorded

    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient transferred")

    case.refresh_from_db()
    assert case.required_complete is complete


def test_the_boards_count_in_sql_is_the_pages_count(nurse, surgeon, anaesthetist):
    """``complete_q`` says ``CaseStep.is_complete`` in SQL: both count a Stop as not done."""
    cases = [make_case(make_procedure(*STEPS, slug=f"p{n}", title=f"P{n}"), actor=nurse,
                       surgeon=surgeon) for n in range(3)]  # fmt: skip
    answers = [("done", "no", ""), ("na", "", "Unconscious"), ("done", "yes", "")]
    for case, (status, value, reason) in zip(cases, answers, strict=True):
        record(case, "Identity", nurse)
        record(case, "Consent signed", nurse, status=status, value=value, na_reason=reason)
        record(case, "Oximeter on", anaesthetist)
    override(cases[1], surgeon, "Consent signed")

    in_sql = set(CaseStep.objects.filter(complete_q()).values_list("pk", flat=True))
    in_python = {step.pk for step in CaseStep.objects.all() if step.is_complete}
    assert in_sql == in_python
    counted = {case.pk: case.steps_recorded for case in selectors.cases_for_day(day=today())}
    assert counted == {case.pk: selectors.checklist_for(case).recorded for case in cases}
    assert list(counted.values()) == [2, 3, 3]  # the Stop of the first case is not done
