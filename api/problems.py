"""Every refusal as an RFC 9457 problem (``application/problem+json``): ``type``, ``title``,
``status`` and ``detail``, with a few extension members where the client needs more.

A workflow refusal (``checklists.errors``) keeps the status the tablet answers with and the
message the nurse reads as its ``detail``; its ``type`` names its kind
(``urn:sitracker:problem:stale-revision``). A stale revision also carries the step as it is
now (``current``), as the tablet redraws the row; an implant refused names the ``field`` that
would let it through. HTTP's own refusals (401, 403, 404, 405, 429) are ``about:blank`` with the
status's phrase as the title; an invalid request (400) lists its ``errors`` by field.
"""

import math
import re
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from api.serializers import CaseStepSerializer
from checklists.errors import ImplantRefused, StaleRevision, StepGated, WorkflowError

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:sitracker:problem:"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's ``EXCEPTION_HANDLER``: a problem for every refusal; None (a 500) for a bug."""
    if isinstance(exc, WorkflowError):
        return workflow_problem(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(math.ceil(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return problem(
            status=400,
            kind="invalid-request",
            title="Invalid request",
            detail="The request's fields are not what this operation takes: see errors.",
            errors={field: _messages(messages) for field, messages in errors.items()},
        )
    return problem(status=exc.status_code, detail=str(exc.detail), headers=headers)


def workflow_problem(error: WorkflowError) -> Response:
    kind = re.sub(r"(?<!^)(?=[A-Z])", "-", type(error).__name__).lower()  # StaleRevision -> ...
    extra: dict[str, Any] = {}
    if isinstance(error, StaleRevision):
        extra["current"] = CaseStepSerializer(error.current).data
    if isinstance(error, StepGated):
        extra["blocking_step"] = error.blocking.pk
    if isinstance(error, ImplantRefused) and error.field:
        extra["field"] = error.field
    return problem(
        status=error.status_code,
        kind=kind,
        title=kind.replace("-", " ").capitalize(),
        detail=error.message,
        **extra,
    )


def problem(
    *,
    status: int,
    detail: str,
    kind: str = "",
    title: str = "",
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A problem document; without ``kind``, ``about:blank`` titled by the HTTP status."""
    body = {
        "type": f"{TYPE_PREFIX}{kind}" if kind else "about:blank",
        "title": title if kind else HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extensions,
    }
    return Response(body, status=status, headers=headers, content_type=PROBLEM_JSON)


def plain_problem(*, status: int, detail: str) -> JsonResponse:
    """A problem answered outside DRF: Django's own 404 for a URL under /api/v1/ that no
    endpoint answers (a case id that is not a number, say)."""
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    return JsonResponse({**body, "detail": detail}, status=status, content_type=PROBLEM_JSON)


def _messages(messages: Any) -> list[str]:
    if isinstance(messages, dict):  # a nested serializer's errors
        return [f"{key}: {' '.join(_messages(value))}" for key, value in messages.items()]
    if isinstance(messages, list):
        return [str(message) for message in messages]
    return [str(messages)]


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, with this API's extension members."""

    type = serializers.CharField(help_text="A URI naming the kind of problem, or about:blank.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What went wrong, in words a person can read.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="An invalid request's messages, by field.",
    )
    field = serializers.CharField(
        required=False, help_text="An implant refused: the field that would let it through."
    )
    current = CaseStepSerializer(
        required=False, help_text="A stale revision: the step as it is now."
    )
    blocking_step = serializers.IntegerField(
        required=False, help_text="A step held back: the step that holds it."
    )
