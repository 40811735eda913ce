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

The checklist's QuestionnaireResponse is built by ``api.fhir_answers``; the codes, extensions
and resource names both use are ``api.fhir_terms``'.

The models are R4B's (4.3.0); every resource and element used here is unchanged from R4
(4.0.1), which is the version the CapabilityStatement declares, as the issue asks.
"""

import base64
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

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
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
)
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.signature import Signature as FhirSignature
from pydantic import BaseModel

from accounts.people import display_name
from api.fhir_answers import case_answers, recorded_steps
from api.fhir_terms import (
    GS1_ISSUER,
    IMPLANTED,
    LATERALITY_EXTENSION,
    MEDICAL_RECORD_NUMBER,
    SACROILIAC_JOINT,
    SIDES,
    SURGEON,
    VERIFICATION,
    VERIFIER,
    full_url,
    reference,
    resource_id,
)
from checklists.choices import (
    CaseStatus,
    ImplantStatus,
    Laterality,
    SignatureMeaning,
    UdiCarrier,
)
from checklists.models import Case, Implant, Signature

# The statuses of a case whose record is signed: the ones a Bundle is made of.
SIGNED_STATUSES = (CaseStatus.COMPLETED, CaseStatus.REVIEWED)


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
