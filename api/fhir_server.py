"""What the FHIR server (``/fhir/``) says about itself and about a refusal: its
CapabilityStatement, and an OperationOutcome for every error (401, 403, 404, 405, 429, ...)
in place of the REST API's problem documents, as FHIR clients expect."""

from http import HTTPStatus

from django.http import HttpResponse
from django.utils import timezone
from fhir.resources.R4B.capabilitystatement import (
    CapabilityStatement,
    CapabilityStatementRest,
    CapabilityStatementRestResource,
    CapabilityStatementRestResourceInteraction,
    CapabilityStatementRestSecurity,
    CapabilityStatementSoftware,
)
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue

from api.fhir_terms import FHIR_JSON, FHIR_VERSION

# What each resource read here is: (type, what its id is, what it holds).
READS = (
    ("Bundle", "case", "a signed case: all the resources below, with its Patient"),
    ("Questionnaire", "procedure version", "a published (or retired) version of a template"),
    ("QuestionnaireResponse", "case", "a case's checklist: answers, who, when, status"),
    ("Procedure", "case", "a signed case's operation: side, surgeon, implants placed"),
    ("Device", "implant", "an implant: its UDI, lot, serial, expiry"),
    ("Provenance", "signature", "the surgeon's signature (or an amendment's) of a case"),
)
# OperationOutcome's issue type for each refusal's HTTP status.
ISSUE_TYPES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    429: "throttled",
}


def capability_statement() -> CapabilityStatement:
    """What this server offers: each resource above, read by its id."""
    reads = " ".join(f"GET /fhir/{kind}/<{key} id>: {what}." for kind, key, what in READS)
    return CapabilityStatement(
        status="active",
        date=timezone.now(),
        publisher="SI Tracker",
        kind="instance",
        software=CapabilityStatementSoftware(name="SI Tracker"),
        fhirVersion=FHIR_VERSION,
        format=["json"],
        rest=[
            CapabilityStatementRest(
                mode="server",
                documentation=(
                    f"Read-only. {reads} A resource read alone contains the Patient and "
                    "Practitioners it names; it refers to the others by their reads. Errors "
                    "are OperationOutcomes."
                ),
                security=CapabilityStatementRestSecurity(
                    description=(
                        "An API token as 'Authorization: Bearer <token>': any scope reads the "
                        "metadata and the Questionnaires, the scope read_cases everything else."
                    )
                ),
                resource=[
                    CapabilityStatementRestResource(
                        type=kind,
                        documentation=f"Read by its {key}'s id: {what}.",
                        interaction=[CapabilityStatementRestResourceInteraction(code="read")],
                    )
                    for kind, key, what in READS
                ],
            )
        ],
    )


def outcome(*, status: int, detail: str) -> OperationOutcome:
    return OperationOutcome(
        issue=[
            OperationOutcomeIssue(
                severity="error" if status < 500 else "fatal",
                code=ISSUE_TYPES.get(status, "processing"),
                diagnostics=detail,
            )
        ],
        text=None,
    )


def outcome_response(*, status: int, detail: str) -> HttpResponse:
    """A refusal answered outside DRF (a URL under /fhir/ that no read answers)."""
    body = outcome(status=status, detail=detail).model_dump_json()
    response = HttpResponse(body, status=status, content_type=f"{FHIR_JSON}; charset=utf-8")
    response.reason_phrase = HTTPStatus(status).phrase
    return response
