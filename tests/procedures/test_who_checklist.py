"""The general template a fresh database ships with: the 19 items of the WHO Surgical Safety
Checklist (2009), and a case made from it worked through to the surgeon's signature."""

import pytest

from checklists import workflow
from checklists.choices import CaseStatus
from checklists.errors import StepGated
from procedures.choices import Approach, Phase, StepKind, StepRole, VersionStatus
from procedures.models import Procedure
from tests.conftest import PASSWORD, events, make_case, record, record_phase

WHO = "who-surgical-safety-checklist"

SIGN_IN = [
    "Patient has confirmed identity, site, procedure and consent",
    "Site marked",
    "Anaesthesia safety check completed",
    "Pulse oximeter on the patient and functioning",
    "Known allergy",
    "Difficult airway or aspiration risk",
    "Risk of more than 500 ml blood loss (7 ml/kg in children)",
]
TIME_OUT = [
    "All team members introduced by name and role",
    "Surgeon, anaesthetist and nurse verbally confirm patient, site and procedure",
    "Antibiotic prophylaxis given within the last 60 minutes",
    "Surgeon reviews critical or non-routine steps, operative duration and anticipated blood loss",
    "Anaesthesia team reviews patient-specific concerns",
    "Nursing team confirms sterility (including indicator results) and raises equipment issues "
    "or concerns",
    "Essential imaging displayed",
]
SIGN_OUT = [
    "Name of the procedure recorded",
    "Instrument, sponge and needle counts correct",
    "Specimen labelled (including the patient's name)",
    "Equipment problems to be addressed",
    "Key concerns for recovery and management of the patient reviewed",
]


def who() -> Procedure:
    return Procedure.objects.get(slug=WHO)


def test_it_is_installed_published_for_any_procedure(db):
    procedure = who()

    assert (procedure.title, procedure.approach, procedure.active) == (
        "WHO Surgical Safety Checklist — any procedure",
        Approach.ANY,
        True,
    )
    version = procedure.published_version()
    assert (version.number, version.status) == (1, VersionStatus.PUBLISHED)
    assert list(procedure.versions.values_list("number", flat=True)) == [1]


def test_it_has_the_19_who_items_by_phase_and_nothing_else(db):
    steps = list(who().published_version().steps.order_by("position"))

    assert [(step.phase, step.title) for step in steps] == [
        *((Phase.SIGN_IN, title) for title in SIGN_IN),
        *((Phase.TIME_OUT, title) for title in TIME_OUT),
        *((Phase.SIGN_OUT, title) for title in SIGN_OUT),
    ]
    assert [step.position for step in steps] == list(range(1, 20))
    assert not any(step.per_side or step.kind == StepKind.IMPLANTS for step in steps)
    assert all(step.required for step in steps)


def test_its_hard_stops_gate_and_expected_answers_fit_the_items(db):
    steps = {step.title: step for step in who().published_version().steps.all()}

    assert sorted(title for title, step in steps.items() if step.hard_stop) == sorted(
        [SIGN_IN[0], TIME_OUT[1]]
    )
    assert {title for title, step in steps.items() if step.gates_later_phases} == set(TIME_OUT)
    counts = steps[SIGN_OUT[1]]
    assert (counts.kind, counts.expected_answer, counts.role) == (
        StepKind.YES_NO,
        "yes",
        StepRole.SCRUB,
    )
    assert steps["Known allergy"].details_required_for == "yes"
    assert steps[SIGN_OUT[3]].details_required_for == "yes"
    assert steps[SIGN_IN[2]].role == StepRole.ANAESTHETIST
    assert steps[TIME_OUT[1]].role == StepRole.SURGEON
    assert steps[TIME_OUT[2]].options == ["Yes", "No", "Not applicable"]


@pytest.mark.parametrize("laterality", ["left", "bilateral"])
def test_a_case_made_from_it_runs_to_the_surgeons_signature(nurse, surgeon, laterality):
    case = make_case(who(), actor=nurse, surgeon=surgeon, laterality=laterality)
    assert case.steps.count() == 19  # nothing per side
    assert case.procedure_version == who().published_version()

    record_phase(case, Phase.SIGN_IN, nurse)
    record(case, TIME_OUT[0], nurse)
    record(case, TIME_OUT[1], surgeon)
    with pytest.raises(StepGated):  # the whole Time Out first, as in the SI procedures
        record(case, SIGN_OUT[1], nurse, value="yes")
    record_phase(case, Phase.TIME_OUT, nurse)
    record(case, SIGN_OUT[0], nurse, value="Laparoscopic cholecystectomy")
    record_phase(case, Phase.SIGN_OUT, nurse)
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)

    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert case.required_complete is True
    assert events(case, action="signed_out")
    assert case.steps.get(title=SIGN_OUT[0]).value == "Laparoscopic cholecystectomy"


def test_counts_not_correct_is_a_stop(nurse, surgeon):
    case = make_case(who(), actor=nurse, surgeon=surgeon)
    for phase in (Phase.SIGN_IN, Phase.TIME_OUT):
        record_phase(case, phase, nurse)

    step = record(case, SIGN_OUT[1], nurse, value="no")

    assert step.is_stop
