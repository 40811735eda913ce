"""The FHIR server's single reads: /fhir/Questionnaire/<version id> for each published template
version, and each resource of a case alone (QuestionnaireResponse and Procedure by the case's
id, Device by the implant's, Provenance by the signature's; the Procedure and Provenance once
the case is signed, the answers and the implants as they stand before). Every answer validates with
the R4B models; every reference resolves on this server or inside the resource; each read that
shows the patient is in the access log; every refusal is an OperationOutcome."""

import json

import pytest
from django.test import Client
from fhir.resources.R4B.device import Device
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from accounts.choices import ApiScope
from checklists import workflow
from checklists.choices import AccessAction
from checklists.models import RecordAccess
from procedures.models import Procedure as Template
from procedures.models import ProcedureVersion
from procedures.questionnaire import questionnaire
from procedures.versions import publish, start_draft
from tests.api.conftest import IDENTITY, bearer, make_token
from tests.api.test_fhir import FHIR, bilateral, references
from tests.conftest import place_implant, record

__all__ = ["bilateral"]  # the fixture, used by name below

# The token with its user, and its last use written; the throttle's count; the version and
# its steps.
QUESTIONNAIRE_QUERIES = 10
# The same, then the case, its steps, implants and signatures; the access-log entry.
CASE_READ_QUERIES = 13
MODELS = {
    "Questionnaire": Questionnaire,
    "QuestionnaireResponse": QuestionnaireResponse,
    "Procedure": Procedure,
    "Device": Device,
    "Provenance": Provenance,
}


def read(client: Client, url: str):
    """The resource at ``url``, as its model reads it back (validating it)."""
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == FHIR
    kind = url.split("/")[2]
    resource = MODELS[kind].model_validate_json(response.content)
    assert (resource.get_resource_type(), resource.id) == (kind, url.split("/")[3])
    return resource


def outcome(response, status: int, code: str) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == FHIR
    [issue] = OperationOutcome.model_validate_json(response.content).issue
    assert (issue.severity, issue.code) == ("error", code)
    return issue.diagnostics


def case_reads(case) -> list[str]:
    urls = [f"/fhir/QuestionnaireResponse/{case.pk}", f"/fhir/Procedure/{case.pk}"]
    urls += [f"/fhir/Device/{implant.pk}" for implant in case.implants.all()]
    urls += [f"/fhir/Provenance/{signature.pk}" for signature in case.signatures.all()]
    return urls


@pytest.mark.parametrize(
    "slug", ["si-fusion-minimally-invasive", "si-fusion-open", "who-surgical-safety-checklist"]
)
def test_each_published_version_reads_as_its_questionnaire(
    api, slug, django_assert_max_num_queries
):
    version = Template.objects.get(slug=slug).published_version()

    with django_assert_max_num_queries(QUESTIONNAIRE_QUERIES):
        document = read(api, f"/fhir/Questionnaire/{version.pk}")

    assert document.status == "active"
    assert document.model_dump_json() == questionnaire(version).model_dump_json()
    assert not RecordAccess.objects.exists()  # no patient in a template


def test_a_retired_version_still_reads_and_a_draft_does_not(api, administrator):
    procedure = Template.objects.get(slug="si-fusion-open")
    first = procedure.published_version()
    draft = start_draft(procedure=procedure, by=administrator)

    refused = api.get(f"/fhir/Questionnaire/{draft.pk}")

    assert outcome(refused, 404, "not-found")
    publish(version=draft, by=administrator, note="Same steps, new number")
    assert read(api, f"/fhir/Questionnaire/{first.pk}").status == "retired"
    assert read(api, f"/fhir/Questionnaire/{draft.pk}").version == str(draft.number)


def test_a_questionnaire_needs_a_token_but_no_scope(client, administrator):
    version = ProcedureVersion.objects.filter(status="published").first()
    _, text = make_token(administrator, scopes=[ApiScope.IMPORT_SCHEDULE])

    assert Client(headers=bearer(text)).get(f"/fhir/Questionnaire/{version.pk}").status_code == 200
    refused = client.get(f"/fhir/Questionnaire/{version.pk}")
    assert "credentials were not provided" in outcome(refused, 401, "login")
    assert refused["WWW-Authenticate"] == 'Bearer realm="SI Tracker API"'


def test_each_resource_of_a_signed_case_reads_alone(api, bilateral, django_assert_max_num_queries):
    for url in case_reads(bilateral):
        with django_assert_max_num_queries(CASE_READ_QUERIES):
            resource = read(api, url)
        body = json.loads(resource.model_dump_json())
        contained = {f"#{r['id']}" for r in body.get("contained", [])}
        for ref in references(body):
            if ref.startswith("#"):
                assert ref in contained, (url, ref)
            else:  # a resource this server reads alone
                assert api.get(f"/fhir/{ref}").status_code == 200, (url, ref)


def test_the_procedure_contains_its_patient_and_names_its_devices(api, bilateral):
    procedure = read(api, f"/fhir/Procedure/{bilateral.pk}")

    contained = {r.get_resource_type(): r for r in procedure.contained}
    assert sorted(contained) == ["Patient", "Practitioner"]
    patient, surgeon = contained["Patient"], contained["Practitioner"]
    assert procedure.subject.reference == f"#{patient.id}"
    assert (patient.get_resource_type(), patient.identifier[0].value) == ("Patient", "MRN0042")
    assert procedure.performer[0].actor.reference == f"#{surgeon.id}"
    placed = sorted(f.manipulated.reference for f in procedure.focalDevice)
    assert placed == sorted(f"Device/{implant.pk}" for implant in bilateral.implants.all())
    [side] = procedure.bodySite[0].extension
    assert side.valueCodeableConcept.coding[0].code == "51440002"


def test_the_answers_are_part_of_the_procedure_and_name_the_devices(api, bilateral):
    answers = read(api, f"/fhir/QuestionnaireResponse/{bilateral.pk}")

    assert [ref.reference for ref in answers.partOf] == [f"Procedure/{bilateral.pk}"]
    assert answers.status == "completed"
    devices = [
        answer.valueReference.reference
        for group in answers.item
        for item in group.item
        for answer in item.answer or []
        if answer.valueReference is not None
    ]
    assert sorted(devices) == sorted(f"Device/{i.pk}" for i in bilateral.implants.all())
    kinds = sorted(r.get_resource_type() for r in answers.contained)
    assert kinds == ["Patient", "Practitioner", "Practitioner"]


def test_a_device_carries_its_udi_and_its_patient(api, bilateral):
    implant = bilateral.implants.order_by("pk").first()

    device = read(api, f"/fhir/Device/{implant.pk}")

    assert device.serialNumber == implant.serial
    assert device.udiCarrier[0].deviceIdentifier == implant.gtin
    [patient] = device.contained
    assert device.patient.reference == f"#{patient.id}"


def test_a_provenance_targets_the_procedure_and_shows_no_patient(api, bilateral):
    signature = bilateral.signatures.get()

    provenance = read(api, f"/fhir/Provenance/{signature.pk}")

    assert [t.reference for t in provenance.target] == [f"Procedure/{bilateral.pk}"]
    assert provenance.recorded == signature.signed_at
    assert [r.get_resource_type() for r in provenance.contained] == ["Practitioner"]
    assert not RecordAccess.objects.exists()


def test_each_read_that_shows_the_patient_is_in_the_access_log(api, token, bilateral):
    urls = [url for url in case_reads(bilateral) if "/Provenance/" not in url]

    for url in urls:
        read(api, url)

    logged = RecordAccess.objects.filter(action=AccessAction.API_READ)
    assert logged.count() == len(urls)
    assert {(access.user, access.case) for access in logged} == {(token[0].user, bilateral)}


def test_a_case_not_signed_reads_its_answers_so_far_and_its_implants(
    api, token, case, nurse, surgeon
):
    record(case, IDENTITY, nurse)
    implant = place_implant(case, surgeon, workflow.ImplantEntry(product="Pin", lot="L9"))

    answers = read(api, f"/fhir/QuestionnaireResponse/{case.pk}")
    device = read(api, f"/fhir/Device/{implant.pk}")

    assert (answers.status, answers.partOf, answers.author) == ("in-progress", None, None)
    assert [item.text for group in answers.item for item in group.item] == [IDENTITY]
    assert (device.lotNumber, device.deviceName[0].name) == ("L9", "Pin")
    assert "signs it out" in outcome(api.get(f"/fhir/Procedure/{case.pk}"), 404, "not-found")
    assert RecordAccess.objects.filter(user=token[0].user, case=case).count() == 2


def test_a_cancelled_cases_answers_are_stopped(api, case, nurse):
    record(case, IDENTITY, nurse)
    workflow.cancel(actor=nurse, case_id=case.pk, reason="Patient unwell")

    assert read(api, f"/fhir/QuestionnaireResponse/{case.pk}").status == "stopped"


@pytest.mark.parametrize(
    "url",
    [
        "/fhir/Procedure/999999",
        "/fhir/QuestionnaireResponse/999999",
        "/fhir/Device/999999",
        "/fhir/Provenance/999999",
        "/fhir/Questionnaire/999999",
        "/fhir/Device/abc",
        "/fhir/Observation/1",
    ],
)
def test_what_is_not_here_is_a_not_found_outcome(api, url):
    outcome(api.get(url), 404, "not-found")


def test_case_reads_need_the_read_cases_scope_and_write_nothing(client, administrator, bilateral):
    _, text = make_token(administrator, scopes=[ApiScope.RECORD_STEPS])
    scoped = Client(headers=bearer(text))

    for url in case_reads(bilateral):
        assert "read_cases" in outcome(scoped.get(url), 403, "forbidden")
        assert "not known" in outcome(
            client.get(url, headers={"Authorization": "Bearer sit_nope"}), 401, "login"
        )
        outcome(client.get(url), 401, "login")
    assert not RecordAccess.objects.exists()


def test_reads_take_no_writes(api, bilateral):
    outcome(api.post(f"/fhir/Procedure/{bilateral.pk}"), 405, "not-supported")
