"""The REST API's endpoints (/api/v1/): thin, like the tablet's views. Each decodes the request
with a serializer, calls one selector or one workflow function exactly as the tablet does, and
answers JSON; a refusal is a problem document (api.problems) with the tablet's status code.
Each answer that shows a patient's identity writes one access-log entry, by the token's
service user (whose name is the token's)."""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.views.decorators.cache import never_cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import (
    api_view,
    parser_classes,
    permission_classes,
)
from rest_framework.exceptions import ParseError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import BaseParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.context import request_context
from api import selectors
from api.access import logged_read
from api.fhir_terms import FHIR_JSON
from api.permissions import AnyScope, ImportsSchedule, ReadsCases, RecordsSteps
from api.schema import answers
from api.serializers import (
    CaseDetailSerializer,
    CaseFilterSerializer,
    CasePageSerializer,
    CaseSerializer,
    CaseStepSerializer,
    ImplantEntrySerializer,
    ImplantSerializer,
    NewCaseSerializer,
    ProcedureSerializer,
    ScheduleReportSerializer,
    StepChangeSerializer,
)
from checklists import workflow
from checklists.access import log_access
from checklists.choices import AccessAction
from checklists.schedule_fhir import import_schedule_bundle
from checklists.schedule_import import UnreadableFile, import_schedule_csv


def endpoint(methods: list[str], *, scope: type, **schema: Any) -> Callable[[Callable], Any]:
    """A DRF function view taking ``methods``, open to a token with ``scope``, documented by
    ``schema`` (drf-spectacular's ``extend_schema``). Django's login does not apply: the
    token is the API's only way in (settings.REST_FRAMEWORK). No answer is cached anywhere:
    most hold patient identity."""

    def decorator(view: Callable) -> Any:
        wrapped = api_view(methods)(permission_classes([scope])(view))
        return login_not_required(never_cache(extend_schema(**schema)(wrapped)))

    return decorator


class CasePages(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


def valid(serializer: Any) -> Any:
    serializer.is_valid(raise_exception=True)  # else a 400 problem listing the errors
    return serializer


@endpoint(
    ["GET"],
    scope=AnyScope,
    operation_id="procedures_list",
    responses=answers({200: ProcedureSerializer(many=True)}),
)
def procedure_list(request: Request) -> Response:
    """The procedures cases can be made from: each with its published version's number and
    steps in order."""
    return Response(ProcedureSerializer(selectors.published_versions(), many=True).data)


class CaseCollection(APIView):
    """The cases: listed (scope read_cases), or one more scheduled (scope import_schedule)."""

    def get_permissions(self) -> list[BasePermission]:
        return [ReadsCases() if self.request.method in SAFE_METHODS else ImportsSchedule()]

    @extend_schema(
        operation_id="cases_list",
        parameters=[
            CaseFilterSerializer,
            OpenApiParameter("limit", int, description="Cases a page (at most 200; else 50)."),
            OpenApiParameter("offset", int, description="Cases to skip."),
        ],
        responses=answers({200: CasePageSerializer}, 400),
    )
    def get(self, request: Request) -> Response:
        """Cases by scheduled start, filtered; with the patient's identity (access-logged)."""
        filters = valid(CaseFilterSerializer(data=request.query_params)).validated_data
        pages = CasePages()
        page = pages.paginate_queryset(selectors.cases(**filters), request, view=self)
        described = " ".join(f"{name}={value}" for name, value in sorted(filters.items()))
        log_access(
            user=request.user,
            action=AccessAction.API_LIST,
            filters=described,
            context=request_context(request),
        )
        return pages.get_paginated_response(CaseSerializer(page, many=True).data)

    @extend_schema(
        operation_id="cases_create",
        request=NewCaseSerializer,
        responses=answers({201: CaseSerializer}, 400, 422),
    )
    def post(self, request: Request) -> Response:
        """Schedule a case, as the new-case page does (its steps snapshotted from the
        procedure); the answer shows the patient's identity (access-logged)."""
        data = valid(NewCaseSerializer(data=request.data)).validated_data
        case = workflow.create_case(actor=request.user, context=request_context(request), **data)
        logged_read(request, case.pk)
        return Response(CaseSerializer(case).data, status=201)


case_collection = login_not_required(never_cache(CaseCollection.as_view()))


@endpoint(
    ["GET"],
    scope=ReadsCases,
    operation_id="case_retrieve",
    responses=answers({200: CaseDetailSerializer}, 404),
)
def case_detail(request: Request, case_id: int) -> Response:
    """A case with its steps, implants and signatures; with the patient's identity."""
    case = selectors.case_record(case_id=case_id)
    logged_read(request, case.pk)
    return Response(CaseDetailSerializer(case).data)


@endpoint(
    ["POST"],
    scope=RecordsSteps,
    operation_id="step_record",
    request=StepChangeSerializer,
    responses=answers({200: CaseStepSerializer}, 400, 404, 409, 422),
)
def step_record(request: Request, case_id: int, step_id: int) -> Response:
    """Put a step into the state named (done, pending, na), based on the revision it was read
    at; a stale revision is refused (409) with the step as it is now."""
    change = valid(StepChangeSerializer(data=request.data))
    step = workflow.record_step(
        actor=request.user,
        case_id=case_id,
        step_id=step_id,
        answer=change.answer(),
        revision=change.validated_data["revision"],
        reason=change.validated_data["reason"],
        context=request_context(request),
    )
    return Response(CaseStepSerializer(step).data)


@endpoint(
    ["POST"],
    scope=RecordsSteps,
    operation_id="implant_add",
    request=ImplantEntrySerializer,
    responses=answers({201: ImplantSerializer}, 400, 403, 404, 409, 422),
)
def implant_add(request: Request, case_id: int) -> Response:
    """Log an implant on the case, scanned (GS1 UDI) or typed, with the tablet's checks."""
    entry = valid(ImplantEntrySerializer(data=request.data)).entry()
    implant = workflow.add_implant(
        actor=request.user, case_id=case_id, entry=entry, context=request_context(request)
    )
    return Response(ImplantSerializer(implant).data, status=201)


class CsvBody(BaseParser):
    """The theatre list's CSV, as bytes (``checklists.schedule_import`` decodes it)."""

    media_type = "text/csv"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> bytes:
        return stream.read() if stream is not None else b""


class FhirBody(CsvBody):
    """A FHIR Bundle, as bytes (``checklists.schedule_fhir`` reads and validates it)."""

    media_type = FHIR_JSON


@endpoint(
    ["POST"],
    scope=ImportsSchedule,
    operation_id="schedule_import",
    request={CsvBody.media_type: OpenApiTypes.STR, FhirBody.media_type: OpenApiTypes.OBJECT},
    responses=answers({200: ScheduleReportSerializer}, 400, 415),
)
@parser_classes([CsvBody, FhirBody])
def schedule_import(request: Request) -> Response:
    """Import the day's theatre list (a CSV with its header, or a FHIR Bundle of
    Appointments): each appointment's case scheduled, moved (not yet started) or left alone;
    answers the rows created, updated, unchanged and refused, each refusal with its line (or
    entry), its appointment id and the reason."""
    data = request.data if isinstance(request.data, bytes) else b""  # no body: nothing parsed
    bundle = request.content_type.startswith(FhirBody.media_type)
    read = import_schedule_bundle if bundle else import_schedule_csv
    try:
        report = read(data, actor=request.user, context=request_context(request))
    except UnreadableFile as error:
        raise ParseError(str(error)) from None
    return Response(report.as_json())
