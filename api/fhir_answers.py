"""A case's checklist as FHIR's ``QuestionnaireResponse``: one group per phase, one item per
step answered, with who recorded it and when. Part of the case's resources (``api.fhir``)."""

from decimal import Decimal

from fhir.resources.R4B.device import Device
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)

from accounts.people import display_name
from api.fhir_terms import SIDES, reference, resource_id
from checklists.choices import CaseStatus, ImplantStatus, Laterality, Side, StepStatus
from checklists.models import Case, CaseStep, Implant
from procedures.choices import Phase, StepKind
from procedures.models import BOTH

# Who answered a QuestionnaireResponse's item (FHIR's core extensions); when, and why a step
# was not applicable, have no published extension: these are SI Tracker's.
AUTHOR_EXTENSION = "http://hl7.org/fhir/StructureDefinition/questionnaireresponse-author"
RECORDED_AT = "urn:sitracker:fhir:step-recorded-at"
NOT_APPLICABLE = "urn:sitracker:fhir:step-not-applicable-reason"
# A checklist's QuestionnaireResponse.status, by its case's.
ANSWERS_STATUSES = {
    CaseStatus.SCHEDULED: "in-progress",
    CaseStatus.IN_PROGRESS: "in-progress",
    CaseStatus.COMPLETED: "completed",
    CaseStatus.REVIEWED: "completed",
    CaseStatus.CANCELLED: "stopped",
}


def recorded_steps(case: Case) -> list[CaseStep]:
    """The steps answered (done, or marked not applicable), in the checklist's order."""
    return [step for step in case.steps.all() if step.status != StepStatus.PENDING]


def case_answers(
    case: Case,
    *,
    patient: Patient,
    procedure: Procedure | None,
    people: dict[int, Practitioner],
    devices: list[tuple[Implant, Device]],
) -> QuestionnaireResponse:
    """The checklist as answered: one group per phase, one item per step answered (each side
    of a per-side step its own), with who recorded it (FHIR's questionnaireresponse-author
    extension) and when (ours, ``RECORDED_AT``). A step marked not applicable has no answer,
    and says why (``NOT_APPLICABLE``); an implant log's answer is its side's Devices. Signed,
    it is completed, part of the Procedure, authored by the surgeon when signed; before, in
    progress (stopped, for a cancelled case), with the answers so far."""
    by_phase: dict[str, list[QuestionnaireResponseItem]] = {}
    for step in recorded_steps(case):
        by_phase.setdefault(step.phase, []).append(step_item(step, people=people, devices=devices))
    return QuestionnaireResponse(
        id=resource_id(case, "QuestionnaireResponse"),
        identifier=Identifier(system="urn:sitracker:case", value=str(case.pk)),
        status=ANSWERS_STATUSES[CaseStatus(case.status)],
        subject=reference(patient),
        partOf=[reference(procedure)] if procedure is not None else None,
        authored=case.completed_at,
        author=(
            reference(people[case.surgeon_id], display_name(case.surgeon))
            if procedure is not None
            else None
        ),
        item=[
            QuestionnaireResponseItem(linkId=phase, text=Phase(phase).label, item=items)
            for phase in Phase.values
            if (items := by_phase.get(phase))
        ]
        or None,
    )


def step_item(
    step: CaseStep, *, people: dict[int, Practitioner], devices: list[tuple[Implant, Device]]
) -> QuestionnaireResponseItem:
    extensions = []
    if step.recorded_by is not None:
        who = reference(people[step.recorded_by.pk], display_name(step.recorded_by))
        extensions.append(Extension(url=AUTHOR_EXTENSION, valueReference=who))
    if step.recorded_at is not None:
        extensions.append(Extension(url=RECORDED_AT, valueDateTime=step.recorded_at))
    answers = None
    if step.status == StepStatus.NOT_APPLICABLE:
        extensions.append(Extension(url=NOT_APPLICABLE, valueString=step.na_reason))
    else:
        answers = step_answers(step, devices) or None
    side = f" ({Side(step.side).label.lower()})" if step.side else ""
    return QuestionnaireResponseItem(
        linkId=f"{step.position}-{step.side}" if step.side else str(step.position),
        text=f"{step.title}{side}",
        extension=extensions or None,
        answer=answers,
    )


def step_answers(
    step: CaseStep, devices: list[tuple[Implant, Device]]
) -> list[QuestionnaireResponseItemAnswer]:
    """A done step's answer in FHIR's type for its kind."""
    answer = QuestionnaireResponseItemAnswer
    if step.kind == StepKind.CHECK:
        return [answer(valueBoolean=True)]
    if step.kind == StepKind.YES_NO:
        return [answer(valueBoolean=step.value == "yes")]
    if step.kind == StepKind.NUMBER and step.value:
        if step.unit:
            quantity = Quantity(value=Decimal(step.value), unit=step.unit)
            return [answer(valueQuantity=quantity)]
        return [answer(valueDecimal=Decimal(step.value))]
    if step.kind == StepKind.SIDE and step.value:
        # The side seen, in the same SNOMED CT laterality codes as the Procedure's body site.
        seen = Laterality.BILATERAL if step.value == BOTH else Laterality(step.value)
        return [answer(valueCoding=SIDES[seen])]
    if step.kind == StepKind.IMPLANTS:
        return [
            answer(valueReference=reference(device))
            for implant, device in devices
            if implant.status != ImplantStatus.WASTED
            and implant.side == (step.side or implant.side)
        ]
    return [answer(valueString=step.value)] if step.value else []
