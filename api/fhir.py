"""A completed case as FHIR resources (read-only, ``/fhir/``), built with ``fhir.resources``'
R4B models, which validate each resource as it is made: nothing here assembles JSON by hand.

The Bundle (type ``collection``) of a completed case holds its ``Patient`` (MRN, name, date of
birth), the ``Procedure`` (completed; the procedure's title; the sacroiliac joint with the
case's laterality; the surgeon as performer; each implant as a focal device), one ``Device``
per implant (its UDI as GS1 gave it: GTIN, carrier form, entry type; lot, serial, expiry), the
``QuestionnaireResponse`` of the checklist (each step answered: its answer, who, when), a
``Practitioner`` for the surgeon, each signer and each person who recorded a step, and one
``Provenance`` per signature.
Resources are named by ``urn:uuid:`` full URLs made from the case's id (the same on every
read), and refer to each other by them: every reference resolves inside the Bundle.

The same resources are read alone (``standalone``): the Procedure and the
QuestionnaireResponse by the case's id, a Device by its implant's, a Provenance by its
signature's. Read alone, a resource refers to those by their reads (``Device/12``) and contains
the Patient and the Practitioners it names. A template's Questionnaire is
``procedures.questionnaire``'s.

The models are R4B's (4.3.0); every resource and element used here is unchanged from R4
(4.0.1), which is the version the CapabilityStatement declares, as the issue asks.
"""

import base64
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.device import Device, DeviceDeviceName, DeviceUdiCarrier
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.procedure import Procedure, ProcedureFocalDevice, ProcedurePerformer
from fhir.resources.R4B.provenance import Provenance, ProvenanceAgent
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.signature import Signature as FhirSignature
from pydantic import BaseModel

from accounts.people import display_name
from checklists.choices import (
    CaseStatus,
    ImplantStatus,
    Laterality,
    Side,
    SignatureMeaning,
    StepStatus,
    UdiCarrier,
)
from checklists.models import Case, CaseStep, Implant, Signature
from procedures.choices import Phase, StepKind
from procedures.models import BOTH

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"
SNOMED = "http://snomed.info/sct"
GS1_ISSUER = "http://hl7.org/fhir/NamingSystem/gs1-di"
# mCODE's laterality qualifier: the one published extension whose context is Procedure.bodySite.
LATERALITY_EXTENSION = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier"
# Who answered a QuestionnaireResponse's item (FHIR's core extensions); when, and why a step
# was not applicable, have no published extension: these are SI Tracker's.
AUTHOR_EXTENSION = "http://hl7.org/fhir/StructureDefinition/questionnaireresponse-author"
RECORDED_AT = "urn:sitracker:fhir:step-recorded-at"
NOT_APPLICABLE = "urn:sitracker:fhir:step-not-applicable-reason"
SACROILIAC_JOINT = Coding(system=SNOMED, code="39723000", display="Sacroiliac joint structure")
SIDES = {
    Laterality.LEFT: Coding(system=SNOMED, code="7771000", display="Left"),
    Laterality.RIGHT: Coding(system=SNOMED, code="24028007", display="Right"),
    Laterality.BILATERAL: Coding(system=SNOMED, code="51440002", display="Right and left"),
}
SURGEON = Coding(system=SNOMED, code="304292004", display="Surgeon")
IMPLANTED = Coding(
    system="http://hl7.org/fhir/device-action", code="implanted", display="Implanted"
)
# ASTM E1762-95: the signature types of FHIR's Signature.type.
VERIFICATION = Coding(
    system="urn:iso-astm:E1762-95:2013",
    code="1.2.840.10065.1.12.1.5",
    display="Verification Signature",
)
VERIFIER = Coding(
    system="http://terminology.hl7.org/CodeSystem/provenance-participant-type",
    code="verifier",
    display="Verifier",
)
MEDICAL_RECORD_NUMBER = Coding(
    system="http://terminology.hl7.org/CodeSystem/v2-0203",
    code="MR",
    display="Medical record number",
)
# The names of this server's resources: a uuid from the case's id and the resource's place, so a
# Bundle read twice names its resources the same.
NAMESPACE = uuid.UUID("6f0e4f1e-3c55-4d1c-9a53-2f8f1d5b7a10")

# The statuses of a case whose record is signed: the ones a Bundle is made of.
SIGNED_STATUSES = (CaseStatus.COMPLETED, CaseStatus.REVIEWED)
# A checklist's QuestionnaireResponse.status, by its case's.
ANSWERS_STATUSES = {
    CaseStatus.SCHEDULED: "in-progress",
    CaseStatus.IN_PROGRESS: "in-progress",
    CaseStatus.COMPLETED: "completed",
    CaseStatus.REVIEWED: "completed",
    CaseStatus.CANCELLED: "stopped",
}


def resource_id(case: Case, kind: str, key: object = "") -> str:
    return str(uuid.uuid5(NAMESPACE, f"case/{case.pk}/{kind}/{key}"))


def full_url(resource: Resource) -> str:
    return f"urn:uuid:{resource.id}"


def reference(resource: Resource, display: str = "") -> Reference:
    return Reference(reference=full_url(resource), display=display or None)


@dataclass
class CaseResources:
    """A case's resources, as its Bundle holds them and as ``/fhir/`` reads them alone. Before
    the surgeon signs, the case has no Procedure (and no Provenance) yet: its checklist and its
    implants are read as they stand."""

    case: Case
    patient: Patient
    people: dict[int, Practitioner]
    procedure: Procedure | None
    answers: QuestionnaireResponse
    devices: list[tuple[Implant, Device]]
    provenances: list[tuple[Signature, Provenance]]

    def all(self) -> list[Resource]:
        return [
            self.patient,
            *([self.procedure] if self.procedure is not None else []),
            self.answers,
            *self.people.values(),
            *(device for _, device in self.devices),
            *(provenance for _, provenance in self.provenances),
        ]

    def served(self) -> dict[str, str]:
        """The resources this server also reads alone, by their names in the Bundle: where
        (``Device/12``). The Patient and the Practitioners are read only inside another."""
        case_id = self.case.pk
        procedure = [self.procedure] if self.procedure is not None else []
        return {
            **{full_url(p): f"Procedure/{case_id}" for p in procedure},
            full_url(self.answers): f"QuestionnaireResponse/{case_id}",
            **{full_url(device): f"Device/{implant.pk}" for implant, device in self.devices},
            **{full_url(p): f"Provenance/{signature.pk}" for signature, p in self.provenances},
        }


def case_resources(case: Case) -> CaseResources:
    """The case's resources: the Procedure and its Provenances once the case is signed.
    ``case`` comes from ``selectors.case_record`` (its steps, implants and signatures
    prefetched): no query here."""
    patient = case_patient(case)
    people = case_people(case)
    surgeon = people[case.surgeon_id]
    devices = [(implant, implant_device(case, implant, patient)) for implant in case.implants.all()]
    procedure = None
    provenances = []
    if case.status in SIGNED_STATUSES:
        procedure = case_procedure(case, patient=patient, surgeon=surgeon, devices=devices)
        provenances = [
            (s, signature_provenance(case, s, procedure, people[s.signer_id]))
            for s in signatures(case)
        ]
    answers = case_answers(
        case, patient=patient, procedure=procedure, people=people, devices=devices
    )
    return CaseResources(case, patient, people, procedure, answers, devices, provenances)


def case_bundle(case: Case) -> Bundle:
    """The signed case as a Bundle of type collection (``case`` as ``case_resources`` takes
    it). Its id is the case's, as its URL (``/fhir/Bundle/<case id>``) reads it."""
    assert case.status in SIGNED_STATUSES, "only a signed case's record goes out whole"
    resources = case_resources(case).all()
    return Bundle(
        id=str(case.pk),
        type="collection",
        timestamp=timezone.now(),
        identifier=Identifier(system="urn:sitracker:case", value=str(case.pk)),
        entry=[BundleEntry(fullUrl=full_url(r), resource=r) for r in resources],
    )


def standalone(resources: CaseResources, resource: Resource) -> Resource:
    """One of the case's resources read alone: its id the one its URL names; its references to
    the resources this server reads alone made relative (``Device/12``), and the Patient and
    Practitioners it names contained in it (``#<id>``). Validated again once changed."""
    served = resources.served()
    named = {full_url(r): r for r in resources.all()}
    single = resource.model_copy(deep=True)
    contained: dict[str, Resource] = {}
    for ref in references_in(single):
        target = ref.reference or ""
        if target in served:
            ref.reference = served[target]
        elif target in named:
            contained.setdefault(target, named[target])
            ref.reference = f"#{named[target].id}"
    single.id = served[full_url(resource)].partition("/")[2]
    if contained:
        single.contained = list(contained.values())  # type: ignore[attr-defined]
    return type(single).model_validate_json(single.model_dump_json())


def names_patient(resource: Resource) -> bool:
    """Whether a resource read alone shows a patient's identity (its Patient contained)."""
    contained = getattr(resource, "contained", None) or []
    return any(r.get_resource_type() == "Patient" for r in contained)


def references_in(value: object) -> Iterator[Reference]:
    """Every Reference inside a resource (its elements, their elements, ...)."""
    if isinstance(value, Reference):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from references_in(getattr(value, name))
    elif isinstance(value, list):
        for item in value:
            yield from references_in(item)


def signatures(case: Case) -> Iterable[Signature]:
    return case.signatures.all()


def recorded_steps(case: Case) -> list[CaseStep]:
    """The steps answered (done, or marked not applicable), in the checklist's order."""
    return [step for step in case.steps.all() if step.status != StepStatus.PENDING]


def case_people(case: Case) -> dict[int, Practitioner]:
    """A Practitioner for each person in the record, by user id: the surgeon first, then each
    signer (named as the signature prints them) and each person who recorded a step."""
    people = {case.surgeon_id: practitioner(case, case.surgeon_id, display_name(case.surgeon))}
    for signature in signatures(case):
        if signature.signer_id not in people:
            people[signature.signer_id] = practitioner(
                case, signature.signer_id, signature.printed_name
            )
    for step in recorded_steps(case):
        if step.recorded_by is not None and step.recorded_by.pk not in people:
            people[step.recorded_by.pk] = practitioner(
                case, step.recorded_by.pk, display_name(step.recorded_by)
            )
    return people


def case_patient(case: Case) -> Patient:
    return Patient(
        id=resource_id(case, "Patient"),
        identifier=[
            Identifier(
                use="usual",
                type=CodeableConcept(coding=[MEDICAL_RECORD_NUMBER]),
                system=settings.FHIR_MRN_SYSTEM,
                value=case.patient_mrn,
            )
        ],
        name=[HumanName(text=case.patient_name)],
        birthDate=case.patient_birth_date,
    )


def practitioner(case: Case, user_id: int, name: str) -> Practitioner:
    return Practitioner(
        id=resource_id(case, "Practitioner", user_id),
        identifier=[Identifier(system="urn:sitracker:user", value=str(user_id))],
        name=[HumanName(text=name)],
    )


def case_procedure(
    case: Case,
    *,
    patient: Patient,
    surgeon: Practitioner,
    devices: list[tuple[Implant, Device]],
) -> Procedure:
    """The operation: the sacroiliac joint as its body site, the case's side as mCODE's laterality
    qualifier on it; each implant placed (not one opened and wasted) as a focal device."""
    body_site = None
    if case.laterality != Laterality.NONE:  # a case without a side names no body site
        body_site = CodeableConcept(
            coding=[SACROILIAC_JOINT],
            text=f"Sacroiliac joint, {Laterality(case.laterality).label.lower()}",
            extension=[
                Extension(
                    url=LATERALITY_EXTENSION,
                    valueCodeableConcept=CodeableConcept(
                        coding=[SIDES[Laterality(case.laterality)]]
                    ),
                )
            ],
        )
    return Procedure(
        id=resource_id(case, "Procedure"),
        identifier=[Identifier(system="urn:sitracker:case", value=str(case.pk))],
        status="completed",
        code=CodeableConcept(
            coding=[
                Coding(
                    system="urn:sitracker:procedure",
                    code=case.procedure.slug,
                    display=case.procedure.title,
                )
            ],
            text=case.procedure.title,
        ),
        subject=reference(patient),
        performedPeriod=Period(start=case.started_at, end=case.completed_at),
        performer=[
            ProcedurePerformer(
                function=CodeableConcept(coding=[SURGEON], text="Surgeon"),
                actor=reference(surgeon, display_name(case.surgeon)),
            )
        ],
        bodySite=[body_site] if body_site is not None else None,
        focalDevice=[
            ProcedureFocalDevice(
                action=CodeableConcept(coding=[IMPLANTED]), manipulated=reference(device)
            )
            for implant, device in devices
            if implant.status != ImplantStatus.WASTED
        ],
    )


def implant_device(case: Case, implant: Implant, patient: Patient) -> Device:
    """An implant as a Device: its UDI as it came in (the scanner's data as carrierAIDC, the
    printed text as carrierHRF), GS1 as the issuer of its GTIN, and barcode or manual entry."""
    carriers = []
    if implant.gtin:
        carriers.append(
            DeviceUdiCarrier(
                deviceIdentifier=implant.gtin,
                issuer=GS1_ISSUER,
                entryType=implant.entry or None,
                # base64Binary: the model takes it encoded, and keeps it decoded.
                carrierAIDC=(
                    base64.b64encode(implant.udi.encode())
                    if implant.carrier == UdiCarrier.AIDC
                    else None
                ),
                carrierHRF=implant.udi if implant.carrier == UdiCarrier.HRF else None,
            )
        )
    names = [
        DeviceDeviceName(name=name, type=kind)
        for name, kind in ((implant.product, "user-friendly-name"), (implant.size, "other"))
        if name
    ]
    return Device(
        id=resource_id(case, "Device", implant.pk),
        identifier=[Identifier(system="urn:sitracker:implant", value=str(implant.pk))],
        udiCarrier=carriers or None,
        status="inactive" if implant.status == ImplantStatus.WASTED else "active",
        manufacturer=implant.manufacturer or None,
        deviceName=names or None,
        lotNumber=implant.lot or None,
        serialNumber=implant.serial or None,
        # A dateTime may be a date alone (FHIR's expiry is a day); the model's annotation
        # names only datetime, its validator takes a date.
        expirationDate=implant.expiry,  # type: ignore[arg-type]
        patient=reference(patient),
    )


def signature_provenance(
    case: Case, signature: Signature, procedure: Procedure, signer: Practitioner
) -> Provenance:
    """A signature as the Provenance of the Procedure: who signed, when, and what it means (a
    verification signature; an amendment also says why the signed record changed)."""
    return Provenance(
        id=resource_id(case, "Provenance", signature.pk),
        target=[reference(procedure)],
        recorded=signature.signed_at,
        reason=(
            [CodeableConcept(text=signature.reason)]
            if signature.meaning == SignatureMeaning.AMENDMENT and signature.reason
            else None
        ),
        activity=CodeableConcept(text=signature.get_meaning_display()),
        agent=[
            ProvenanceAgent(
                type=CodeableConcept(coding=[VERIFIER]),
                who=reference(signer, signature.printed_name),
            )
        ],
        signature=[
            FhirSignature(
                type=[VERIFICATION],
                when=signature.signed_at,
                who=reference(signer, signature.printed_name),
            )
        ],
    )


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
