import datetime

import pytest
from django.utils import timezone

from accounts import roles
from checklists import workflow
from checklists.choices import AuditAction, CaseStatus, SignatureMeaning, StepStatus
from checklists.errors import (
    CaseLocked,
    NotPermitted,
    RuleViolation,
    SignatureLocked,
    SignatureRefused,
    SignOutBlocked,
)
from checklists.models import AuditEvent
from tests.conftest import PASSWORD, events, make_case, make_procedure, make_user, record

STEPS = (
    {"title": "Identity confirmed", "phase": "sign_in", "hard_stop": True},
    {"title": "Incision", "kind": "number", "unit": "cm", "min_value": 3, "max_value": 5},
    {"title": "Counts correct", "phase": "sign_out", "kind": "yes_no", "expected_answer": "yes"},
    {
        "title": "Specimens labelled",
        "phase": "sign_out",
        "kind": "choice",
        "options": ["Yes", "No", "Not applicable"],
        "required": False,
    },
)


@pytest.fixture
def case(nurse, surgeon):
    return make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon)


@pytest.fixture
def ready(case, nurse, scrub):
    """A case with every required step recorded."""
    record(case, "Identity confirmed", nurse)
    record(case, "Incision", nurse, value="4")
    record(case, "Counts correct", scrub, value="yes")
    return case


def sign(case, actor, password=PASSWORD):
    return workflow.sign_out(actor=actor, case_id=case.pk, password=password)


def test_sign_out_completes_and_locks_the_case_with_a_bound_signature(ready, surgeon, nurse):
    signature = sign(ready, surgeon)

    ready.refresh_from_db()
    assert ready.status == CaseStatus.COMPLETED
    assert ready.completed_at == signature.signed_at
    assert signature.printed_name == "Sue Surgeon"
    assert signature.get_meaning_display() == "Case signed out by surgeon"
    assert signature.content_hash == workflow.case_content_hash(ready)
    event = events(ready)[-1]
    assert (event.action, event.actor) == (AuditAction.SIGNED_OUT, surgeon)
    assert event.after["content_hash"] == signature.content_hash
    with pytest.raises(CaseLocked, match="amendment"):
        record(ready, "Incision", nurse, value="5")


def test_only_a_surgeon_signs_out(ready, nurse):
    with pytest.raises(NotPermitted, match="surgeon"):
        sign(ready, nurse)
    assert events(ready)[-1].action == AuditAction.STEP_RECORDED


def test_a_wrong_password_is_refused_and_the_refusal_audited(ready, surgeon):
    ready.refresh_from_db()
    version = ready.version

    with pytest.raises(SignatureRefused):
        sign(ready, surgeon, password="not-my-password")

    ready.refresh_from_db()
    assert ready.status == CaseStatus.IN_PROGRESS
    assert ready.signatures.count() == 0
    assert ready.version == version
    event = events(ready)[-1]
    assert (event.action, event.actor) == (AuditAction.SIGNATURE_REFUSED, surgeon)


def test_sign_out_needs_every_required_step(case, nurse, surgeon):
    record(case, "Identity confirmed", nurse)

    with pytest.raises(SignOutBlocked) as refused:
        sign(case, surgeon)

    assert [step.title for step in refused.value.missing] == ["Incision", "Counts correct"]
    assert "Incision" in refused.value.message
    assert events(case)[-1].action == AuditAction.STEP_RECORDED


def test_a_must_be_yes_answer_of_no_blocks_sign_out(case, nurse, surgeon):
    record(case, "Identity confirmed", nurse)
    record(case, "Incision", nurse, value="4")
    record(case, "Counts correct", nurse, value="no")

    with pytest.raises(SignOutBlocked) as refused:
        sign(case, surgeon)
    assert [step.title for step in refused.value.missing] == ["Counts correct"]


def test_not_applicable_with_a_reason_satisfies_a_required_step(case, nurse, surgeon):
    record(case, "Identity confirmed", nurse)
    record(case, "Incision", nurse, status="na", na_reason="Percutaneous")
    record(case, "Counts correct", nurse, value="yes")
    assert sign(case, surgeon).meaning == SignatureMeaning.SIGN_OUT


def test_a_case_with_nothing_recorded_cannot_be_signed(case, surgeon):
    with pytest.raises(CaseLocked, match="Nothing has been recorded"):
        sign(case, surgeon)


def test_a_signed_case_cannot_be_signed_again(ready, surgeon):
    sign(ready, surgeon)
    with pytest.raises(CaseLocked):
        sign(ready, surgeon)


def amend(case, actor, title, *, password=PASSWORD, reason="Typo in the record", **answer):
    step = case.steps.get(title=title)
    return workflow.amend(
        actor=actor,
        case_id=case.pk,
        step_id=step.pk,
        answer=workflow.Answer(**answer),
        revision=step.revision,
        reason=reason,
        password=password,
    )


def test_an_amendment_changes_the_step_and_keeps_the_original_value(ready, surgeon):
    first = sign(ready, surgeon)

    amendment = amend(ready, surgeon, "Incision", status="done", value="4.5")

    step = ready.steps.get(title="Incision")
    assert step.value == "4.5"
    assert amendment.meaning == SignatureMeaning.AMENDMENT
    assert amendment.reason == "Typo in the record"
    assert amendment.amended_step == step
    event = events(ready)[-1]
    assert event.action == AuditAction.STEP_AMENDED
    assert (event.before["value"], event.after["value"]) == ("4", "4.5")
    assert event.after["reason"] == "Typo in the record"
    ready.refresh_from_db()
    assert ready.status == CaseStatus.COMPLETED
    # The sign-out signature vouches for the content before the amendment, visibly.
    assert first.content_hash != workflow.case_content_hash(ready)
    assert amendment.content_hash == workflow.case_content_hash(ready)


def test_an_amendment_needs_a_reason(ready, surgeon):
    sign(ready, surgeon)
    with pytest.raises(RuleViolation, match="reason"):
        amend(ready, surgeon, "Incision", status="done", value="4.5", reason=" ")


def test_an_amendment_with_a_wrong_password_is_refused_and_audited(ready, surgeon):
    sign(ready, surgeon)
    with pytest.raises(SignatureRefused):
        amend(ready, surgeon, "Incision", status="done", value="4.5", password="nope")
    assert ready.steps.get(title="Incision").value == "4"
    assert events(ready)[-1].action == AuditAction.SIGNATURE_REFUSED


def test_only_a_surgeon_amends(ready, surgeon, nurse):
    sign(ready, surgeon)
    with pytest.raises(NotPermitted):
        amend(ready, nurse, "Incision", status="done", value="4.5")


def test_an_open_case_is_not_amended(ready, surgeon):
    with pytest.raises(RuleViolation, match="change open cases directly"):
        amend(ready, surgeon, "Incision", status="done", value="4.5")


def test_an_amendment_cannot_leave_a_required_step_pending(ready, surgeon):
    sign(ready, surgeon)
    with pytest.raises(RuleViolation, match="required"):
        amend(ready, surgeon, "Incision", status="pending")
    assert ready.steps.get(title="Incision").status == StepStatus.DONE


def test_an_amendment_still_respects_the_bounds(ready, surgeon):
    sign(ready, surgeon)
    with pytest.raises(RuleViolation, match="maximum"):
        amend(ready, surgeon, "Incision", status="done", value="9")


def test_an_amendment_that_changes_nothing_is_refused(ready, surgeon):
    sign(ready, surgeon)
    with pytest.raises(RuleViolation, match="changes nothing"):
        amend(ready, surgeon, "Incision", status="done", value="4")


def test_a_reviewer_files_a_signed_case_once(ready, surgeon, reviewer):
    sign(ready, surgeon)

    case = workflow.mark_reviewed(actor=reviewer, case_id=ready.pk, comment="Complete")
    again = workflow.mark_reviewed(actor=reviewer, case_id=ready.pk, comment="Again")

    assert (case.status, case.reviewed_by, case.review_comment) == (
        CaseStatus.REVIEWED,
        reviewer,
        "Complete",
    )
    assert again.review_comment == "Complete"
    assert [e.action for e in events(ready)][-2:] == [AuditAction.SIGNED_OUT, "reviewed"]


def test_an_open_case_cannot_be_reviewed(ready, reviewer):
    with pytest.raises(RuleViolation, match="signed-out"):
        workflow.mark_reviewed(actor=reviewer, case_id=ready.pk)


def test_only_a_reviewer_reviews(ready, surgeon, nurse):
    sign(ready, surgeon)
    with pytest.raises(NotPermitted):
        workflow.mark_reviewed(actor=nurse, case_id=ready.pk)


def test_cancelling_needs_a_reason_and_is_audited(case, nurse):
    with pytest.raises(RuleViolation, match="reason"):
        workflow.cancel(actor=nurse, case_id=case.pk, reason="")

    cancelled = workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Twice")

    assert (cancelled.status, cancelled.cancel_reason) == (CaseStatus.CANCELLED, "Patient unwell")
    assert [e.action for e in events(case)] == [AuditAction.CASE_CREATED, AuditAction.CANCELLED]


def test_a_signed_case_cannot_be_cancelled(ready, surgeon, nurse):
    sign(ready, surgeon)
    with pytest.raises(CaseLocked):
        workflow.cancel(actor=nurse, case_id=ready.pk, reason="Too late")


def test_a_reviewer_cannot_cancel(case, reviewer):
    with pytest.raises(NotPermitted):
        workflow.cancel(actor=reviewer, case_id=case.pk, reason="No")


# --- a signature password cannot be guessed without limit ---------------------------------------


def refusals(actor) -> int:
    return AuditEvent.objects.filter(actor=actor, action=AuditAction.SIGNATURE_REFUSED).count()


def test_five_wrong_passwords_lock_signing_even_with_the_right_one(ready, surgeon):
    for _ in range(5):
        with pytest.raises(SignatureRefused, match="not right"):
            sign(ready, surgeon, password="guess")
    audited = len(events(ready))

    with pytest.raises(SignatureLocked, match="signing is locked for you until") as locked:
        sign(ready, surgeon)

    assert locked.value.status_code == 429
    assert "Nothing was signed" in locked.value.message
    ready.refresh_from_db()
    assert ready.status == CaseStatus.IN_PROGRESS
    assert ready.signatures.count() == 0
    # Refused before any password was checked: nothing new in the audit trail.
    assert len(events(ready)) == audited
    assert refusals(surgeon) == 5


def test_the_lock_counts_wrong_passwords_on_every_case_and_for_amendments(
    ready, nurse, scrub, surgeon
):
    signed = make_case(ready.procedure, actor=nurse, surgeon=surgeon)
    for title, value in (("Identity confirmed", ""), ("Incision", "4"), ("Counts correct", "yes")):
        record(signed, title, scrub, value=value)
    sign(signed, surgeon)
    for _ in range(4):
        with pytest.raises(SignatureRefused):
            sign(ready, surgeon, password="guess")
    with pytest.raises(SignatureRefused):
        amend(signed, surgeon, "Incision", status="done", value="4.5", password="guess")

    with pytest.raises(SignatureLocked):
        amend(signed, surgeon, "Incision", status="done", value="4.5")
    assert signed.steps.get(title="Incision").value == "4"


def test_four_wrong_passwords_still_let_the_right_one_sign(ready, surgeon):
    for _ in range(4):
        with pytest.raises(SignatureRefused):
            sign(ready, surgeon, password="guess")

    sign(ready, surgeon)

    ready.refresh_from_db()
    assert ready.status == CaseStatus.COMPLETED


def test_the_lock_ends_when_the_wrong_passwords_are_15_minutes_old(ready, surgeon, monkeypatch):
    for _ in range(5):
        with pytest.raises(SignatureRefused):
            sign(ready, surgeon, password="guess")
    later = timezone.now() + datetime.timedelta(minutes=15, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    sign(ready, surgeon)

    assert events(ready)[-1].action == AuditAction.SIGNED_OUT


def test_another_surgeons_wrong_passwords_do_not_lock_this_one(ready, surgeon):
    other = make_user("surgeon2", roles.SURGEON)
    for _ in range(5):
        with pytest.raises(SignatureRefused):
            sign(ready, other, password="guess")

    sign(ready, surgeon)

    assert events(ready)[-1].actor == surgeon
