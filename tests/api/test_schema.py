"""The OpenAPI schema (public, at /api/schema/), its documentation (administrators only), and
the API held to its schema: schemathesis generates requests for every operation from the live
schema, sends them with a valid token through the real application and database, and checks
that nothing answers 5xx and that every answer (status, content type, body) is one the schema
declares."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import bearer
from tests.examples import examples

OPERATIONS = {
    ("GET", "/api/v1/procedures/"),
    ("GET", "/api/v1/cases/"),
    ("POST", "/api/v1/cases/"),
    ("GET", "/api/v1/cases/{case_id}/"),
    ("POST", "/api/v1/cases/{case_id}/steps/{step_id}/"),
    ("POST", "/api/v1/cases/{case_id}/implants/"),
    ("POST", "/api/v1/schedule/"),
}


def test_the_schema_is_public_and_names_every_operation(client, db):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    found = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    assert found == OPERATIONS
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"


def test_the_documentation_is_for_administrators(client, administrator_client, nurse):
    page = administrator_client.get("/api/docs/")
    script = administrator_client.get("/api/docs/", {"script": ""})
    client.force_login(nurse)

    assert page.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in page.content  # no CDN
    assert script.status_code == 200
    assert client.get("/api/docs/").status_code == 403


# Read from the application itself at collection (the schema is code, not data): each
# operation is then a test of its own.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def in_process(settings):
    """Requests sent into the application itself (WSGI), inside the test's transaction: as
    Django's test client does, the connection is not closed at each request's start and end.
    The throttle is set far off: every example is sent with the same token."""
    settings.API_RATE = "100000/minute"
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def aim(case, checklist, procedure, surgeon) -> None:
    """Most generated ids are put on the real case, its steps, procedure and surgeon (the draw
    decides: one in eight stays as drawn, for the 404s), so that the fuzzing goes past the
    404s into the workflow too."""
    path, body = case.path_parameters or {}, case.body
    steps = list(checklist.steps.order_by("position").values_list("pk", flat=True))
    if isinstance(path.get("case_id"), int) and path["case_id"] % 8 != 7:
        path["case_id"] = checklist.pk
    if isinstance(path.get("step_id"), int) and path["step_id"] % 8 != 7:
        path["step_id"] = steps[path["step_id"] % len(steps)]
    if (
        isinstance(body, dict)
        and isinstance(body.get("procedure"), int)
        and body["procedure"] % 8 != 7
    ):
        body.update(procedure=procedure.pk, surgeon=surgeon.pk, room="OR 3")


@schema.parametrize()
@settings(
    max_examples=examples(100),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_to_its_schema(case, in_process, token, procedure, surgeon, request):
    checklist = request.getfixturevalue("case")  # the checklist case (``case`` is schemathesis')
    aim(case, checklist, procedure, surgeon)

    case.call_and_validate(
        headers=bearer(token[1]),
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
