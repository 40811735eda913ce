"""Each length limit lives on its model field; the forms and the workflow read it there."""

import pytest

from checklists import workflow
from checklists.choices import AuditAction
from checklists.errors import RuleViolation
from checklists.forms import (
    CancelCaseForm,
    ImplantForm,
    ImplantRemovalForm,
    NewCaseForm,
    StepUpdateForm,
)
from checklists.models import Case, CaseStep, Implant, Signature
from review.forms import MarkReviewedForm, MrnSearchForm
from tests.conftest import events, make_case, make_procedure

STEPS = ({"title": "Implants placed", "kind": "implants"},)


@pytest.mark.parametrize(
    ("form", "name", "model", "field"),
    [
        (NewCaseForm, "patient_mrn", Case, "patient_mrn"),
        (NewCaseForm, "patient_name", Case, "patient_name"),
        (CancelCaseForm, "reason", Case, "cancel_reason"),
        (StepUpdateForm, "value", CaseStep, "value"),
        (StepUpdateForm, "note", CaseStep, "note"),
        (StepUpdateForm, "na_reason", CaseStep, "na_reason"),
        (ImplantForm, "manufacturer", Implant, "manufacturer"),
        (ImplantForm, "product", Implant, "product"),
        (ImplantForm, "size", Implant, "size"),
        (ImplantForm, "lot", Implant, "lot"),
        (ImplantForm, "serial", Implant, "serial"),
        (ImplantForm, "expiry_override_reason", Implant, "expiry_override_reason"),
        (ImplantRemovalForm, "reason", Signature, "reason"),
        (MrnSearchForm, "mrn", Case, "patient_mrn"),
        (MarkReviewedForm, "comment", Case, "review_comment"),
    ],
)
def test_each_form_field_takes_its_limit_from_the_model_field(form, name, model, field):
    limit = model._meta.get_field(field).max_length
    assert limit is not None
    assert form.base_fields[name].max_length == limit


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Case, "cancel_reason"),
        (Case, "review_comment"),
        (CaseStep, "value"),
        (CaseStep, "note"),
        (CaseStep, "na_reason"),
        (Implant, "expiry_override_reason"),
        (Signature, "reason"),
    ],
)
def test_notes_reasons_and_comments_hold_at_most_2000_characters(model, field):
    assert model._meta.get_field(field).max_length == 2000


@pytest.fixture
def case(nurse, surgeon):
    return make_case(make_procedure(*STEPS), actor=nurse, surgeon=surgeon)


def limit(monkeypatch, model, field: str, max_length: int) -> None:
    monkeypatch.setattr(model._meta.get_field(field), "max_length", max_length)


def test_scheduling_reads_the_rooms_limit_from_the_case(monkeypatch, nurse, surgeon):
    limit(monkeypatch, Case, "room", 4)
    procedure = make_procedure(*STEPS)

    with pytest.raises(RuleViolation, match=r"^Room is too long \(at most 4 characters\)\.$"):
        make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 12")

    assert not Case.objects.exists()


def test_recording_reads_the_notes_limit_from_the_step(monkeypatch, case, nurse):
    limit(monkeypatch, CaseStep, "note", 5)
    step = case.steps.get()

    with pytest.raises(RuleViolation, match=r"^The note is too long \(at most 5 characters\)\.$"):
        workflow.record_step(
            actor=nurse,
            case_id=case.pk,
            step_id=step.pk,
            answer=workflow.Answer(status="pending", note="Six ch"),
            revision=step.revision,
        )

    assert [event.action for event in events(case)] == [AuditAction.CASE_CREATED]


def test_logging_an_implant_reads_the_lots_limit_from_the_implant(monkeypatch, case, nurse):
    limit(monkeypatch, Implant, "lot", 3)
    entry = workflow.ImplantEntry(side="left", product="iFuse-3D", lot="LOT1")

    with pytest.raises(RuleViolation, match=r"^The implant's lot is too long \(at most 3 "):
        workflow.add_implant(actor=nurse, case_id=case.pk, entry=entry)

    assert [event.action for event in events(case)] == [AuditAction.CASE_CREATED]


def test_cancelling_reads_the_reasons_limit_from_the_case(monkeypatch, case, nurse):
    limit(monkeypatch, Case, "cancel_reason", 5)

    with pytest.raises(RuleViolation, match=r"^The reason is too long \(at most 5 characters\)\.$"):
        workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")

    assert [event.action for event in events(case)] == [AuditAction.CASE_CREATED]
