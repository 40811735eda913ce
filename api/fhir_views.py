"""The FHIR server's reads (``/fhir/``, read-only, ``application/fhir+json``): the
CapabilityStatement, a signed case's Bundle, each resource of a case alone, and each published
template version as a Questionnaire. The API's tokens and throttle; any refusal an
OperationOutcome. Each answer that shows a patient's identity writes one access-log entry, as
the REST API's do. Left out of the OpenAPI schema: the CapabilityStatement describes them."""

import json
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.views.decorators.cache import never_cache
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import fhir, fhir_server, problems, selectors
from api.access import logged_read
from api.fhir_terms import FHIR_JSON
from api.permissions import AnyScope, ReadsCases
from checklists.models import Case
from procedures.questionnaire import questionnaire

NOT_SIGNED = "This case has no FHIR record until its surgeon signs it out."
# A refusal's headers that the client needs (how to authenticate, when to try again).
KEPT_HEADERS = ("WWW-Authenticate", "Retry-After")


class FhirJsonRenderer(BaseRenderer):
    """FHIR's JSON (``application/fhir+json``): the resource as its model serialised it."""

    media_type = FHIR_JSON
    format = "fhir"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context=None):
        if isinstance(data, str):
            return data.encode()
        return json.dumps(data).encode()


class PlainJsonRenderer(FhirJsonRenderer):
    """The same, for a client that asks for ``application/json`` (FHIR servers accept both)."""

    media_type = "application/json"
    format = "json"


def outcome_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The API's refusal (its status, message and headers) as an OperationOutcome."""
    refused = problems.exception_handler(exc, context)
    if refused is None:
        return None  # a bug: a 500
    detail = str(refused.data.get("detail", ""))
    body = fhir_server.outcome(status=refused.status_code, detail=detail).model_dump_json()
    headers = {name: refused[name] for name in KEPT_HEADERS if refused.has_header(name)}
    return Response(
        body,
        status=refused.status_code,
        headers=headers,
        content_type=f"{FHIR_JSON}; charset=utf-8",
    )


class FhirRead(APIView):
    """A read: GET (and HEAD), FHIR's JSON, OperationOutcomes for refusals."""

    http_method_names = ["get", "head", "options"]
    renderer_classes = [FhirJsonRenderer, PlainJsonRenderer]
    permission_classes = [ReadsCases]
    schema = None

    def get_exception_handler(self) -> Any:
        return outcome_handler

    @classmethod
    def view(cls) -> Any:
        return login_not_required(never_cache(cls.as_view()))


class Metadata(FhirRead):
    permission_classes = [AnyScope]

    def get(self, request: Request) -> Response:
        """The CapabilityStatement: what this FHIR server offers."""
        return Response(fhir_server.capability_statement().model_dump_json())


class QuestionnaireRead(FhirRead):
    permission_classes = [AnyScope]  # a template holds no patient's data

    def get(self, request: Request, version_id: int) -> Response:
        """A published (or retired) version of a procedure as a Questionnaire."""
        version = selectors.questionnaire_version(version_id=version_id)
        return Response(questionnaire(version, version.steps.all()).model_dump_json())


def signed_case(case: Case) -> Case:
    if case.status not in fhir.SIGNED_STATUSES:
        raise NotFound(NOT_SIGNED)
    return case


class CaseBundle(FhirRead):
    def get(self, request: Request, case_id: int) -> Response:
        """A signed case as a FHIR Bundle; a case not yet signed has none (404)."""
        case = signed_case(selectors.case_record(case_id=case_id))
        bundle = fhir.case_bundle(case)
        logged_read(request, case.pk)
        return Response(bundle.model_dump_json())


class ProcedureRead(FhirRead):
    def get(self, request: Request, case_id: int) -> Response:
        """A signed case's Procedure, with its Patient and surgeon contained."""
        resources = fhir.case_resources(signed_case(selectors.case_record(case_id=case_id)))
        assert resources.procedure is not None  # signed
        return answer(request, resources, resources.procedure)


class QuestionnaireResponseRead(FhirRead):
    def get(self, request: Request, case_id: int) -> Response:
        """A case's checklist as answered (so far, before it is signed), with its Patient and
        people contained."""
        resources = fhir.case_resources(selectors.case_record(case_id=case_id))
        return answer(request, resources, resources.answers)


class DeviceRead(FhirRead):
    def get(self, request: Request, implant_id: int) -> Response:
        """An implant as a Device, with its Patient contained."""
        resources = fhir.case_resources(selectors.case_record_of_implant(implant_id=implant_id))
        [device] = [d for implant, d in resources.devices if implant.pk == implant_id]
        return answer(request, resources, device)


class ProvenanceRead(FhirRead):
    def get(self, request: Request, signature_id: int) -> Response:
        """A signature as a Provenance of its case's Procedure (no patient in it)."""
        resources = fhir.case_resources(
            signed_case(selectors.case_record_of_signature(signature_id=signature_id))
        )
        [provenance] = [p for s, p in resources.provenances if s.pk == signature_id]
        return answer(request, resources, provenance)


def answer(request: Request, resources: fhir.CaseResources, resource: Any) -> Response:
    single = fhir.standalone(resources, resource)
    if fhir.names_patient(single):
        logged_read(request, resources.case.pk)
    return Response(single.model_dump_json())
