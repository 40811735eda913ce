import datetime

import pytest
from django.utils import timezone

from checklists.choices import AuditAction, CaseStatus
from checklists.errors import NotPermitted, RuleViolation
from checklists.forms import NewCaseForm
from checklists.models import Case, validate_birth_date
from procedures.models import Procedure
from tests.conftest import events, make_case, make_procedure, published_steps

MI = "si-fusion-minimally-invasive"


def test_creating_a_case_snapshots_every_step_in_order(nurse, surgeon):
    procedure = Procedure.objects.get(slug=MI)
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="right")

    template = list(published_steps(procedure).order_by("position").values_list("title", "phase"))
    snapshot = list(case.steps.order_by("position").values_list("title", "phase"))
    assert snapshot == template
    assert set(case.steps.exclude(side="").values_list("side", flat=True)) == {"right"}
    assert case.status == CaseStatus.SCHEDULED
    [event] = events(case)
    assert event.action == AuditAction.CASE_CREATED
    assert event.actor == nurse
    assert event.after["steps"] == len(template)


def test_a_bilateral_case_repeats_per_side_steps_left_side_first(nurse, surgeon):
    procedure = Procedure.objects.get(slug=MI)
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="bilateral")

    per_side = list(published_steps(procedure).filter(per_side=True).order_by("position"))
    once = published_steps(procedure).filter(per_side=False).count()
    rows = list(case.steps.order_by("position"))
    assert len(rows) == once + 2 * len(per_side)
    sided = [(row.title, row.side) for row in rows if row.side]
    assert sided == [(s.title, "left") for s in per_side] + [(s.title, "right") for s in per_side]
    assert [row.position for row in rows] == list(range(1, len(rows) + 1))


def test_editing_the_template_later_does_not_change_the_case(nurse, surgeon):
    procedure = make_procedure({"title": "Count swabs", "kind": "number", "max_value": 10})
    case = make_case(procedure, actor=nurse, surgeon=surgeon)

    published_steps(procedure).update(title="Count swabs twice", max_value=20)
    published_steps(procedure).delete()

    step = case.steps.get()
    assert (step.title, step.max_value, step.template_step) == ("Count swabs", 10, None)


def test_a_procedure_with_cases_cannot_be_deleted(nurse, surgeon):
    from django.db.models import ProtectedError

    procedure = make_procedure({"title": "Only step"})
    make_case(procedure, actor=nurse, surgeon=surgeon)
    with pytest.raises(ProtectedError):
        procedure.delete()


def test_the_surgeon_must_be_in_the_surgeon_role(nurse, scrub):
    procedure = make_procedure({"title": "Only step"})
    with pytest.raises(RuleViolation, match="Surgeon role"):
        make_case(procedure, actor=nurse, surgeon=scrub)


def test_a_birth_date_in_the_future_is_refused(nurse, surgeon):
    procedure = make_procedure({"title": "Only step"})
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(RuleViolation, match=r"^The date of birth cannot be in the future\.$"):
        make_case(procedure, actor=nurse, surgeon=surgeon, patient_birth_date=tomorrow)
    assert not Case.objects.exists()


def test_a_baby_born_today_can_be_scheduled(nurse, surgeon):
    procedure = make_procedure({"title": "Only step"})
    case = make_case(
        procedure, actor=nurse, surgeon=surgeon, patient_birth_date=timezone.localdate()
    )
    assert [event.action for event in events(case)] == [AuditAction.CASE_CREATED]


def test_the_form_and_the_workflow_check_the_birth_date_with_the_case_fields_validator():
    assert validate_birth_date in Case._meta.get_field("patient_birth_date").validators
    assert validate_birth_date in NewCaseForm.base_fields["patient_birth_date"].validators


def test_an_inactive_procedure_cannot_be_scheduled(nurse, surgeon):
    procedure = make_procedure({"title": "Only step"})
    Procedure.objects.filter(pk=procedure.pk).update(active=False)
    procedure.refresh_from_db()
    with pytest.raises(RuleViolation, match="no longer offered"):
        make_case(procedure, actor=nurse, surgeon=surgeon)


def test_an_unknown_side_is_refused(nurse, surgeon):
    procedure = make_procedure({"title": "Only step"})
    with pytest.raises(RuleViolation, match="side"):
        make_case(procedure, actor=nurse, surgeon=surgeon, laterality="both")


def test_a_reviewer_cannot_schedule_cases(reviewer, surgeon):
    procedure = make_procedure({"title": "Only step"})
    with pytest.raises(NotPermitted):
        make_case(procedure, actor=reviewer, surgeon=surgeon)


def test_the_audit_event_holds_no_patient_identity(nurse, surgeon):
    procedure = make_procedure({"title": "Only step"})
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    text = str(events(case)[0].after)
    assert case.patient_mrn not in text and case.patient_name not in text


@pytest.mark.parametrize(
    ("field", "value"), [("patient_mrn", "M" * 33), ("patient_name", "N" * 201), ("room", "R" * 33)]
)
def test_overlong_identity_or_room_is_refused_by_the_workflow_itself(nurse, surgeon, field, value):
    procedure = make_procedure({"title": "Only step"})
    with pytest.raises(RuleViolation, match="too long"):
        make_case(procedure, actor=nurse, surgeon=surgeon, **{field: value})
