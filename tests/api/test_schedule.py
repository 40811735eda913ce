"""POST /api/v1/schedule/: the theatre list (CSV or FHIR Bundle) from an integration engine."""

import datetime
import json

import pytest
from django.test import Client

from accounts.choices import ApiScope
from accounts.models import Room
from checklists.models import AuditEvent, Case
from checklists.schedule_import import HEADER
from tests.api.conftest import bearer, make_token
from tests.checklists.test_import_schedule_fhir import appointment, bundle
from tests.conftest import make_procedure

URL = "/api/v1/schedule/"
START = datetime.datetime(2026, 12, 1, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture
def listed(db):
    """The procedure and rooms the list names."""
    for name in ("OR 1", "OR 2"):
        Room.objects.create(name=name)
    return make_procedure({"title": "Identity confirmed", "phase": "sign_in"}, slug="si-fusion")


def csv_list(*numbers: int, room: str = "OR 1") -> str:
    rows = [
        f"APT-{n},MRN{n:05d},Zelda Quartermain,1961-03-14,si-fusion,left,surgeon,{room},"
        f"{(START + datetime.timedelta(minutes=30 * n)).isoformat()}"
        for n in numbers
    ]
    return "\n".join([HEADER, *rows]) + "\n"


def post(client: Client, body: str, content_type: str = "text/csv"):
    return client.post(URL, body, content_type=content_type)


def test_it_imports_a_csv_and_answers_the_report(
    api, listed, surgeon, django_assert_max_num_queries
):
    # the token and throttle, three lookups, then about 13 a row (its savepoint, the workflow)
    with django_assert_max_num_queries(55):
        response = post(api, csv_list(1, 2, 3))

    assert response.status_code == 200
    assert response.json() == {"created": 3, "updated": 0, "unchanged": 0, "refused": []}
    assert Case.objects.count() == 3
    assert post(api, csv_list(1, 2, 3)).json()["unchanged"] == 3


def test_a_moved_row_and_a_bad_row_are_reported(api, listed, surgeon):
    post(api, csv_list(1))

    body = (
        csv_list(1, room="OR 2")
        + "APT-2,MRN2,Zelda Quartermain,1961-03-14,nope,left,surgeon,OR 1,2026-12-01T09:00:00Z\n"
    )
    report = post(api, body).json()

    assert (report["created"], report["updated"]) == (0, 1)
    assert report["refused"] == [
        {
            "line": 3,
            "appointment_id": "APT-2",
            "reason": "procedure “nope” is not a procedure's slug.",
        }
    ]
    assert "Zelda" not in json.dumps(report)
    assert Case.objects.get().room == "OR 2"


def test_it_imports_a_fhir_bundle(api, listed, surgeon):
    body = json.dumps(bundle(*(appointment(n) for n in range(1, 4))))

    response = post(api, body, content_type="application/fhir+json")

    assert response.status_code == 200
    assert response.json()["created"] == 3
    assert set(Case.objects.values_list("source_appointment_id", flat=True)) == {
        "apt-1",
        "apt-2",
        "apt-3",
    }


def test_a_token_without_the_scope_is_refused_and_writes_nothing(administrator, listed, surgeon):
    _, text = make_token(administrator, scopes=[ApiScope.READ_CASES, ApiScope.RECORD_STEPS])

    response = post(Client(headers=bearer(text)), csv_list(1))

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert not Case.objects.exists() and not AuditEvent.objects.exists()


def test_a_file_it_cannot_read_is_a_problem(api, listed):
    missing = post(api, "appointment_id,mrn\nAPT-1,MRN1\n")
    empty = post(api, "")
    other = post(api, csv_list(1), content_type="application/xml")

    assert missing.status_code == 400
    assert "lacks the columns patient_name" in missing.json()["detail"]
    assert empty.status_code == 400
    assert other.status_code == 415
    assert not Case.objects.exists()
