"""The workflow stores a case's compliance facts when it closes, and again when it is amended."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from checklists import compliance, workflow
from checklists.choices import AuditAction, CaseStatus, StepStatus
from checklists.errors import SignatureRefused
from checklists.models import Case
from tests.conftest import PASSWORD, events, make_case, make_procedure, record

STEPS = (
    {"title": "Identity confirmed", "phase": "sign_in", "hard_stop": True},
    {"title": "Team introduced", "phase": "time_out"},
    {"title": "Imaging displayed", "phase": "time_out", "required": False},
    {"title": "Skin incision made", "milestone": "incision", "per_side": True},
    {"title": "Wound closed"},
)


@pytest.fixture
def case(nurse, surgeon):
    """A bilateral case: one incision per side."""
    return make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon, laterality="bilateral")


@pytest.fixture
def ready(case, nurse, surgeon):
    """Every step recorded in order (the imaging not applicable), the right side opened first."""
    record(case, "Identity confirmed", nurse)
    record(case, "Team introduced", nurse)
    record(case, "Imaging displayed", nurse, status=StepStatus.NOT_APPLICABLE, na_reason="None")
    record(case, "Skin incision made", surgeon, side="right")
    record(case, "Skin incision made", surgeon, side="left")
    record(case, "Wound closed", surgeon)
    return case


def recorded_at(case, title, side=""):
    return case.steps.get(title=title, side=side).recorded_at


def stored(case) -> tuple:
    case = Case.objects.get(pk=case.pk)
    return case.time_out_at, case.incision_at, case.required_complete, case.amended


def as_its_steps_say(case) -> compliance.Compliance:
    return compliance.case_compliance(case_id=case.pk)


def sign(case, surgeon):
    return workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)


def amend(case, surgeon, title, *, side="", **answer):
    step = case.steps.get(title=title, side=side)
    return workflow.amend(
        actor=surgeon,
        case_id=case.pk,
        step_id=step.pk,
        answer=workflow.Answer(**answer),
        revision=step.revision,
        reason="Corrected from the theatre log",
        password=PASSWORD,
    )


def test_an_open_case_has_its_facts_unknown(ready):
    assert Case.objects.get(pk=ready.pk).status == CaseStatus.IN_PROGRESS
    assert stored(ready) == (None, None, None, False)


def test_sign_out_stores_the_facts_of_the_steps(ready, surgeon):
    sign(ready, surgeon)

    assert stored(ready) == (
        recorded_at(ready, "Imaging displayed"),  # the Time Out's last step, not applicable
        recorded_at(ready, "Skin incision made", "right"),  # the side opened first
        True,
        False,
    )
    facts = as_its_steps_say(ready)
    assert stored(ready)[:3] == (facts.time_out_at, facts.incision_at, facts.required_complete)
    assert facts.time_out_before_incision
    assert events(ready)[-1].action == AuditAction.SIGNED_OUT


def test_a_refused_signature_stores_nothing(ready, surgeon):
    with pytest.raises(SignatureRefused):
        workflow.sign_out(actor=surgeon, case_id=ready.pk, password="not-the-password")

    assert stored(ready) == (None, None, None, False)
    assert events(ready)[-1].action == AuditAction.SIGNATURE_REFUSED


def test_amending_a_time_out_step_stores_its_new_time_and_marks_the_case_amended(ready, surgeon):
    sign(ready, surgeon)

    amend(ready, surgeon, "Team introduced", status=StepStatus.DONE, note="Checked twice")

    time_out_at, incision_at, required_complete, amended = stored(ready)
    # The amendment records the step again, now: after the incision, as the steps say.
    assert time_out_at == recorded_at(ready, "Team introduced") > incision_at
    assert (required_complete, amended) == (True, True)
    assert not as_its_steps_say(ready).time_out_before_incision
    assert events(ready)[-1].action == AuditAction.STEP_AMENDED


def test_amending_the_first_incision_moves_it_to_the_other_side(ready, surgeon):
    sign(ready, surgeon)

    amend(
        ready,
        surgeon,
        "Skin incision made",
        side="right",
        status=StepStatus.NOT_APPLICABLE,
        na_reason="Right side not opened after all",
    )

    assert stored(ready)[1:] == (recorded_at(ready, "Skin incision made", "left"), True, True)
    assert events(ready)[-1].action == AuditAction.STEP_AMENDED


def test_the_step_marked_as_the_incision_counts_whatever_its_title(nurse, surgeon):
    """The mark on the template step decides, copied to the case: not the word "incision"."""
    procedure = make_procedure(
        {"title": "Team introduced", "phase": "time_out"},
        {"title": "Incision site shaved"},
        {"title": "Lateral buttock access opened", "milestone": "incision"},
    )
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    for title in ("Team introduced", "Incision site shaved", "Lateral buttock access opened"):
        record(case, title, nurse)

    sign(case, surgeon)

    opened = case.steps.get(title="Lateral buttock access opened")
    assert opened.milestone == "incision"
    assert case.steps.get(title="Incision site shaved").milestone == ""
    assert stored(case)[1] == opened.recorded_at > recorded_at(case, "Incision site shaved")
    assert events(case)[-1].action == AuditAction.SIGNED_OUT


def test_a_step_titled_incision_but_not_marked_is_no_incision(nurse, surgeon):
    procedure = make_procedure(
        {"title": "Team introduced", "phase": "time_out"}, {"title": "Skin incision made"}
    )
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    record(case, "Team introduced", nurse)
    record(case, "Skin incision made", surgeon)

    sign(case, surgeon)

    time_out_at, incision_at, _, _ = stored(case)
    assert (time_out_at, incision_at) == (recorded_at(case, "Team introduced"), None)
    assert not as_its_steps_say(case).time_out_before_incision
    assert events(case)[-1].action == AuditAction.SIGNED_OUT


def test_reviewing_keeps_the_stored_facts(ready, surgeon, reviewer):
    sign(ready, surgeon)
    signed = stored(ready)

    workflow.mark_reviewed(actor=reviewer, case_id=ready.pk)

    assert stored(ready) == signed
    assert events(ready)[-1].action == AuditAction.REVIEWED


def test_cancelling_stores_the_facts_of_what_was_recorded(case, nurse):
    record(case, "Identity confirmed", nurse)
    record(case, "Team introduced", nurse)

    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")

    assert stored(case) == (recorded_at(case, "Team introduced"), None, False, False)
    assert events(case)[-1].action == AuditAction.CANCELLED


def test_cancelling_a_case_never_started_stores_that_nothing_was_recorded(case, nurse):
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Consent withdrawn")

    assert stored(case) == (None, None, False, False)
    assert events(case)[-1].action == AuditAction.CANCELLED


def test_storing_the_facts_costs_the_same_queries_whatever_the_case_size(nurse, surgeon):
    """Sign-out, amendment and cancellation read the steps' facts in one query."""

    def queries_for(extra_steps: int) -> list[int]:
        steps = [*STEPS, *({"title": f"Step {n}"} for n in range(extra_steps))]
        procedure = make_procedure(*steps, title=f"P{extra_steps}", slug=f"p{extra_steps}")
        signed = make_case(procedure, actor=nurse, surgeon=surgeon)
        for step in signed.steps.order_by("position"):
            record(signed, step.title, surgeon, side=step.side)
        cancelled = make_case(procedure, actor=nurse, surgeon=surgeon)
        record(cancelled, "Identity confirmed", nurse)
        counts = []
        with CaptureQueriesContext(connection) as captured:
            sign(signed, surgeon)
        counts.append(len(captured))
        with CaptureQueriesContext(connection) as captured:
            amend(signed, surgeon, "Wound closed", status=StepStatus.DONE, note="Glued")
        counts.append(len(captured))
        with CaptureQueriesContext(connection) as captured:
            workflow.cancel(actor=nurse, case_id=cancelled.pk, reason="No bed")
        counts.append(len(captured))
        return counts

    small, large = queries_for(2), queries_for(40)
    assert small == large
    sign_out, amendment, cancellation = small
    # One query more each than before the facts were stored: the SELECT of the steps' facts;
    # sign-out one more again: the sides with an implant not yet read back; and one more for
    # the side disagreements that stand (checklists.workflow.sides). Closing a case also adds it
    # to the dashboard's counts (checklists.summary), one INSERT ... SELECT each, whatever the
    # case's size: at sign-out the case's counts, its steps', its implants' by side and by
    # product, its quality facts' and its measures' (the three in one statement); at
    # cancellation the case's counts only. And four more at sign-out and cancellation for its
    # quality facts (checklists.quality: its Time Outs, Stops and steps read, one INSERT).
    # None at amendment unless it moved the Time Out or the incision.
    assert sign_out <= 24 and amendment <= 14 and cancellation <= 11, small
