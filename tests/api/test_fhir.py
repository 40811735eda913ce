"""GET /fhir/metadata (the CapabilityStatement) and GET /fhir/Bundle/<case id> (a signed case as
a FHIR Bundle): every resource validated by the model library it was built with, every
reference resolved inside the Bundle, the side and the implants' UDIs exactly as recorded."""

import base64
import datetime

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.device import Device
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from accounts.choices import ApiScope
from checklists import workflow
from checklists.choices import AccessAction
from checklists.models import RecordAccess
from procedures.models import Procedure as Template
from tests.api.conftest import IDENTITY, IMPLANTS, INCISION, bearer, make_token
from tests.conftest import PASSWORD, make_case, place_implant, record
from tests.review.conftest import UDI_GTIN, work_through

FHIR = "application/fhir+json; charset=utf-8"
SNOMED = "http://snomed.info/sct"
# The token with its user, and its last use written; the throttle's count (six, as the API's);
# the case, its steps, implants and signatures (one each, however many implants); the
# access-log entry.
BUNDLE_QUERIES = 13
METADATA_QUERIES = 8  # the token, its last use, the throttle
SCANNED = f"]d201{UDI_GTIN}1728123110LOT77\x1d21SN9"  # a scanner's data: AIs, a separator


@pytest.fixture
def bilateral(nurse, surgeon):
    """The seeded minimally invasive fusion, both sides, worked through and signed out: two
    implants a side, each logged from the text printed under its barcode."""
    template = Template.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(template, actor=nurse, surgeon=surgeon, laterality="bilateral")
    work_through(case, nurse=nurse, surgeon=surgeon, na={"Specimens labelled": "No specimen"})
    return case


def bundle_of(response) -> tuple[Bundle, dict]:
    """The Bundle as the model library reads it back (validating every resource), and its
    resources by full URL."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == FHIR
    bundle = Bundle.model_validate_json(response.content)
    return bundle, {entry.fullUrl: entry.resource for entry in bundle.entry}


def of_type(resources: dict, kind: type) -> list:
    return [r for r in resources.values() if isinstance(r, kind)]


def references(value) -> list[str]:
    """Every ``reference`` anywhere inside a resource's JSON."""
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [ref for item in value.values() for ref in references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in references(item)]
    return []


def test_it_answers_a_signed_bilateral_case_as_a_bundle_of_valid_resources(
    api, bilateral, django_assert_max_num_queries
):
    with django_assert_max_num_queries(BUNDLE_QUERIES):
        response = api.get(f"/fhir/Bundle/{bilateral.pk}")

    bundle, resources = bundle_of(response)
    assert (bundle.type, bundle.id) == ("collection", str(bilateral.pk))
    kinds = sorted(type(r).__name__ for r in resources.values())
    assert kinds == ["Device"] * 4 + [
        "Patient",
        "Practitioner",  # the surgeon
        "Practitioner",  # the nurse, who recorded steps
        "Procedure",
        "Provenance",
        "QuestionnaireResponse",
    ]
    for resource in resources.values():  # each one alone, as a receiver would store it
        type(resource).model_validate_json(resource.model_dump_json())
    body = response.json()
    for entry in body["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        for ref in references(entry["resource"]):
            assert ref in resources, ref


def test_the_patient_is_the_cases_identity(api, bilateral):
    _, resources = bundle_of(api.get(f"/fhir/Bundle/{bilateral.pk}"))

    [patient] = of_type(resources, Patient)
    [mrn] = patient.identifier
    assert (mrn.system, mrn.value, mrn.type.coding[0].code) == (
        "urn:sitracker:mrn",
        "MRN0042",
        "MR",
    )
    assert patient.name[0].text == "Pat Example"
    assert patient.birthDate == datetime.date(1961, 3, 14)


def test_the_procedure_names_the_joint_the_side_the_surgeon_and_each_implant(
    api, bilateral, surgeon
):
    _, resources = bundle_of(api.get(f"/fhir/Bundle/{bilateral.pk}"))

    [procedure] = of_type(resources, Procedure)
    assert procedure.status == "completed"
    assert procedure.code.text == "SI joint fusion — minimally invasive (lateral transiliac)"
    [site] = procedure.bodySite
    assert [(c.system, c.code) for c in site.coding] == [(SNOMED, "39723000")]
    [side] = site.extension
    assert side.url == "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier"
    assert [(c.system, c.code) for c in side.valueCodeableConcept.coding] == [(SNOMED, "51440002")]
    [performer] = procedure.performer
    assert performer.function.coding[0].code == "304292004"
    doctor = resources[performer.actor.reference]
    assert isinstance(doctor, Practitioner)
    assert doctor.name[0].text == "Sue Surgeon"
    devices = [resources[focal.manipulated.reference] for focal in procedure.focalDevice]
    assert len(devices) == 4 and all(isinstance(d, Device) for d in devices)
    assert {focal.action.coding[0].code for focal in procedure.focalDevice} == {"implanted"}


def test_each_device_carries_its_udi_exactly(api, bilateral):
    _, resources = bundle_of(api.get(f"/fhir/Bundle/{bilateral.pk}"))

    devices = sorted(of_type(resources, Device), key=lambda d: d.serialNumber)
    serials = [f"SN{side}{n}C{bilateral.pk}" for side in "LR" for n in (1, 2)]
    assert [d.serialNumber for d in devices] == serials
    for device, serial in zip(devices, serials, strict=True):
        [udi] = device.udiCarrier
        assert (udi.deviceIdentifier, udi.issuer) == (
            UDI_GTIN,
            "http://hl7.org/fhir/NamingSystem/gs1-di",
        )
        assert udi.carrierHRF == f"(01){UDI_GTIN}(17)281231(10)LOT123(21){serial}"
        assert (udi.carrierAIDC, udi.entryType) == (None, "manual")  # typed from its text
        assert (device.lotNumber, device.expirationDate) == ("LOT123", datetime.date(2028, 12, 31))


def test_a_scanned_implant_carries_the_scanners_data_and_a_typed_one_no_udi(
    api, case, nurse, surgeon
):
    place_implant(case, surgeon, workflow.ImplantEntry(udi=SCANNED, product="EX-7045"))
    typed = workflow.ImplantEntry(product="Pin", lot="L9", serial="S9")
    place_implant(case, surgeon, typed)
    record(case, IDENTITY, nurse)
    record(case, INCISION, surgeon, value="4")
    record(case, IMPLANTS, surgeon)
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)

    response = api.get(f"/fhir/Bundle/{case.pk}")

    _, resources = bundle_of(response)
    pin, scanned = sorted(of_type(resources, Device), key=lambda d: d.serialNumber)  # S9, SN9
    [udi] = scanned.udiCarrier
    assert udi.carrierAIDC == SCANNED.encode()  # base64Binary, decoded by the model
    aidc = [
        carrier["carrierAIDC"]
        for entry in response.json()["entry"]
        for carrier in entry["resource"].get("udiCarrier", [])
    ]
    assert aidc == [base64.b64encode(SCANNED.encode()).decode()]
    assert (udi.carrierHRF, udi.entryType, udi.deviceIdentifier) == (None, "barcode", UDI_GTIN)
    assert (scanned.lotNumber, scanned.serialNumber) == ("LOT77", "SN9")
    assert (pin.udiCarrier, pin.lotNumber, pin.serialNumber) == (None, "L9", "S9")
    assert pin.deviceName[0].name == "Pin"
    [procedure] = of_type(resources, Procedure)
    [side] = procedure.bodySite[0].extension
    assert side.valueCodeableConcept.coding[0].code == "7771000"  # left


def test_the_surgeons_signature_is_the_procedures_provenance(api, bilateral):
    _, resources = bundle_of(api.get(f"/fhir/Bundle/{bilateral.pk}"))

    [provenance] = of_type(resources, Provenance)
    [procedure] = of_type(resources, Procedure)
    signed = bilateral.signatures.get()
    assert [t.reference for t in provenance.target] == [f"urn:uuid:{procedure.id}"]
    assert provenance.recorded == signed.signed_at
    [agent] = provenance.agent
    assert agent.who.reference == procedure.performer[0].actor.reference
    [signature] = provenance.signature
    assert [(c.code, c.display) for c in signature.type] == [
        ("1.2.840.10065.1.12.1.5", "Verification Signature")
    ]
    assert (signature.when, signature.who.display) == (signed.signed_at, "Sue Surgeon")


def test_the_checklists_answers_say_who_recorded_each_and_when(api, bilateral):
    _, resources = bundle_of(api.get(f"/fhir/Bundle/{bilateral.pk}"))

    [answers] = of_type(resources, QuestionnaireResponse)
    [procedure] = of_type(resources, Procedure)
    assert (answers.status, answers.authored) == ("completed", bilateral.completed_at)
    assert [ref.reference for ref in answers.partOf] == [f"urn:uuid:{procedure.id}"]
    assert [group.text for group in answers.item] == [
        "Sign In",
        "Induction and positioning",
        "Time Out",
        "Procedure",
        "Sign Out",
    ]
    items = {item.text: item for group in answers.item for item in group.item}
    steps = bilateral.steps.exclude(status="pending")
    assert len(items) == steps.count()
    for step in steps:
        item = items[f"{step.title} ({step.side})" if step.side else step.title]
        extensions = {extension.url: extension for extension in item.extension}
        who = extensions["http://hl7.org/fhir/StructureDefinition/questionnaireresponse-author"]
        assert isinstance(resources[who.valueReference.reference], Practitioner)
        assert who.valueReference.display == (
            "Sue Surgeon" if step.role == "surgeon" else "Nora Nurse"
        )
        assert extensions["urn:sitracker:fhir:step-recorded-at"].valueDateTime == step.recorded_at
    not_applicable = items["Specimens labelled"]
    assert not_applicable.answer is None
    assert "No specimen" in [e.valueString for e in not_applicable.extension]


def test_each_kind_of_answer_has_its_fhir_type(api, bilateral):
    _, resources = bundle_of(api.get(f"/fhir/Bundle/{bilateral.pk}"))

    [answers] = of_type(resources, QuestionnaireResponse)
    items = {item.text: item for group in answers.item for item in group.item}
    by_kind = {}
    for step in bilateral.steps.filter(status="done"):
        item = items[f"{step.title} ({step.side})" if step.side else step.title]
        by_kind.setdefault(step.kind, (step, item))
    step, check = by_kind["check"]
    assert [a.valueBoolean for a in check.answer] == [True]
    step, number = by_kind["number"]
    assert [(a.valueQuantity.value, a.valueQuantity.unit) for a in number.answer] == [
        (4, step.unit)
    ]
    step, side = by_kind["side"]  # the side seen, in SNOMED CT's laterality codes
    assert [(a.valueCoding.code, a.valueCoding.display) for a in side.answer] == [
        ("51440002", "Right and left")
    ]
    step, implants = by_kind["implants"]
    placed = [resources[a.valueReference.reference] for a in implants.answer]
    assert [device.serialNumber for device in placed] == [
        f"SN{step.side[0].upper()}{n}C{bilateral.pk}" for n in (1, 2)
    ]


def test_reading_the_bundle_is_in_the_access_log(api, token, bilateral):
    api.get(f"/fhir/Bundle/{bilateral.pk}")

    [access] = RecordAccess.objects.filter(action=AccessAction.API_READ)
    assert (access.user, access.case) == (token[0].user, bilateral)


def test_a_case_not_signed_out_has_no_bundle(api, case):
    response = api.get(f"/fhir/Bundle/{case.pk}")

    assert response.status_code == 404
    [issue] = OperationOutcome.model_validate_json(response.content).issue
    assert (issue.code, issue.diagnostics) == (
        "not-found",
        "This case has no FHIR record until its surgeon signs it out.",
    )
    assert not RecordAccess.objects.exists()


def test_an_unknown_case_has_no_bundle(api, db):
    assert api.get("/fhir/Bundle/999999").status_code == 404
    not_an_id = api.get("/fhir/Bundle/abc")
    assert not_an_id.status_code == 404
    assert not_an_id["Content-Type"] == FHIR
    assert OperationOutcome.model_validate_json(not_an_id.content).issue[0].code == "not-found"


def test_a_bundle_needs_a_token(client, bilateral):
    response = client.get(f"/fhir/Bundle/{bilateral.pk}")

    assert response.status_code == 401
    assert not RecordAccess.objects.exists()


def test_a_bundle_needs_the_read_cases_scope(administrator, bilateral):
    _, text = make_token(administrator, scopes=[ApiScope.RECORD_STEPS])

    response = Client(headers=bearer(text)).get(f"/fhir/Bundle/{bilateral.pk}")

    assert response.status_code == 403
    assert not RecordAccess.objects.exists()


def test_metadata_names_what_the_server_offers(api, django_assert_max_num_queries):
    with django_assert_max_num_queries(METADATA_QUERIES):
        response = api.get("/fhir/metadata", headers={"Accept": "application/fhir+json"})

    assert response.status_code == 200
    assert response["Content-Type"] == FHIR
    statement = CapabilityStatement.model_validate_json(response.content)
    assert (statement.kind, statement.fhirVersion, statement.format) == (
        "instance",
        "4.0.1",
        ["json"],
    )
    [rest] = statement.rest
    assert [(r.type, [i.code for i in r.interaction]) for r in rest.resource] == [
        (kind, ["read"])
        for kind in (
            "Bundle",
            "Questionnaire",
            "QuestionnaireResponse",
            "Procedure",
            "Device",
            "Provenance",
        )
    ]


def test_the_openapi_schema_leaves_fhir_to_its_capability_statement(client, db):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]

    assert paths and not [path for path in paths if path.startswith("/fhir/")]


def test_an_amendment_is_a_second_provenance_with_its_reason(api, case, nurse, surgeon):
    record(case, IDENTITY, nurse)
    record(case, INCISION, surgeon, value="4")
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)
    incision = case.steps.get(title=INCISION)
    workflow.amend(
        actor=surgeon,
        case_id=case.pk,
        step_id=incision.pk,
        answer=workflow.Answer(status="done", value="5"),
        revision=incision.revision,
        reason="Measured again",
        password=PASSWORD,
    )

    _, resources = bundle_of(api.get(f"/fhir/Bundle/{case.pk}"))

    signed, amended = sorted(of_type(resources, Provenance), key=lambda p: p.recorded)
    assert signed.reason is None
    assert [reason.text for reason in amended.reason] == ["Measured again"]
    assert amended.activity.text == "Amendment to a signed case, approved by surgeon"
    [answers] = of_type(resources, QuestionnaireResponse)
    [incision_item] = [i for group in answers.item for i in group.item if i.text == INCISION]
    assert [(a.valueQuantity.value, a.valueQuantity.unit) for a in incision_item.answer] == [
        (5, "cm")
    ]
