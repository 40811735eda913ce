"""GET /api/v1/cases/ (filters, pages) and POST /api/v1/cases/ (scheduling, through
``workflow.create_case``), and GET /api/v1/cases/<id>/ (the whole case). Every answer that
shows a patient's identity writes one access-log entry, by the token's service user."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Room
from accounts.people import display_name
from checklists import workflow
from checklists.choices import AccessAction, AuditAction
from checklists.models import Case, RecordAccess
from tests.api.conftest import IDENTITY, INCISION, make_token, post_json
from tests.conftest import events, make_case, place_implant, record, record_phase

PROBLEM = "application/problem+json"
# The token with its user (one query); the throttle's count read, then written (six: Django's
# database cache, in a savepoint); the cases and their count; the access-log entry.
LIST_QUERIES = 10
# The same, with the case, its steps, implants and signatures (one each) instead of the count.
DETAIL_QUERIES = 12


@pytest.fixture
def room(db) -> Room:
    return Room.objects.get_or_create(name="OR 3")[0]


def new_case(template, person, **fields) -> dict:
    """A case to schedule, as an integration sends it."""
    return {
        "procedure": template.pk,
        "patient_mrn": "MRN0099",
        "patient_name": "Alex Sample",
        "patient_birth_date": "1970-01-02",
        "laterality": "right",
        "surgeon": person.pk,
        "room": "OR 3",
        "scheduled_start": "2026-12-01T08:00:00Z",
        **fields,
    }


def test_it_lists_cases_with_the_patients_identity(api, token, case):
    response = api.get("/api/v1/cases/")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["count"] == 1
    [listed] = body["results"]
    assert (listed["id"], listed["patient_mrn"], listed["patient_name"]) == (
        case.pk,
        "MRN0042",
        "Pat Example",
    )
    assert (listed["surgeon_name"], listed["status"], listed["room"]) == (
        "Sue Surgeon",
        "scheduled",
        "OR 3",
    )
    [access] = RecordAccess.objects.all()
    assert (access.user, access.action, access.case) == (token[0].user, AccessAction.API_LIST, None)
    assert display_name(access.user) == "Theatre engine (API)"  # the token's name


def test_the_filters_narrow_the_list_and_go_to_the_access_log(
    api, procedure, nurse, surgeon, other_surgeon, case
):
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    later = make_case(
        procedure, actor=nurse, surgeon=other_surgeon, room="OR 4", scheduled_start=tomorrow
    )
    record(case, IDENTITY, nurse)  # in progress now

    by_day = api.get("/api/v1/cases/", {"date_from": tomorrow.date().isoformat()})
    by_surgeon = api.get("/api/v1/cases/", {"surgeon": other_surgeon.pk})
    by_status = api.get("/api/v1/cases/", {"status": "in_progress", "room": "OR 3"})
    none = api.get("/api/v1/cases/", {"procedure": procedure.pk + 1000})

    assert [c["id"] for c in by_day.json()["results"]] == [later.pk]
    assert [c["id"] for c in by_surgeon.json()["results"]] == [later.pk]
    assert [c["id"] for c in by_status.json()["results"]] == [case.pk]
    assert none.json() == {"count": 0, "next": None, "previous": None, "results": []}
    filters = list(RecordAccess.objects.order_by("pk").values_list("filters", flat=True))
    assert filters[2] == "room=OR 3 status=in_progress"


def test_a_filter_that_cannot_be_read_is_a_400(api, case):
    response = api.get("/api/v1/cases/", {"date_from": "yesterday", "status": "lost"})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"date_from", "status"}
    assert not RecordAccess.objects.exists()


def test_the_list_comes_in_pages(api, procedure, nurse, surgeon):
    for number in range(3):
        make_case(procedure, actor=nurse, surgeon=surgeon, patient_mrn=f"MRN10{number}")

    first = api.get("/api/v1/cases/", {"limit": 2}).json()
    second = api.get("/api/v1/cases/", {"limit": 2, "offset": 2}).json()

    assert first["count"] == 3
    assert len(first["results"]) == 2 and first["next"].endswith("limit=2&offset=2")
    assert len(second["results"]) == 1 and second["next"] is None


def test_the_list_reads_a_fixed_number_of_queries(
    api, procedure, nurse, surgeon, django_assert_max_num_queries
):
    for number in range(20):
        make_case(procedure, actor=nurse, surgeon=surgeon, patient_mrn=f"MRN20{number}")
    api.get("/api/v1/procedures/")  # the token's last use noted, as it is on most calls

    with django_assert_max_num_queries(LIST_QUERIES):
        response = api.get("/api/v1/cases/")

    assert len(response.json()["results"]) == 20


def test_it_schedules_a_case_through_the_workflow(api, token, procedure, surgeon, room):
    response = post_json(api, "/api/v1/cases/", new_case(procedure, surgeon))

    assert response.status_code == 201
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert (body["patient_mrn"], body["status"], body["laterality"]) == (
        "MRN0099",
        "scheduled",
        "right",
    )
    assert case.created_by == token[0].user
    assert case.steps.count() == 3
    [event] = events(case)
    assert (event.action, event.actor) == (AuditAction.CASE_CREATED, token[0].user)
    [access] = RecordAccess.objects.all()
    assert (access.action, access.case, access.user) == (
        AccessAction.API_READ,
        case,
        token[0].user,
    )


def test_a_case_the_workflow_refuses_is_a_422(api, procedure, nurse, room):
    # A surgeon must be a member of the Surgeon role, as on the new-case page.
    response = post_json(api, "/api/v1/cases/", new_case(procedure, nurse))

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == (
        "The case's surgeon must be an active member of the Surgeon role."
    )
    assert not Case.objects.exists()


def test_a_case_with_fields_missing_or_unknown_is_a_400(api, procedure, surgeon, room):
    response = post_json(
        api, "/api/v1/cases/", new_case(procedure, surgeon, procedure=99999, laterality="both")
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"procedure", "laterality"}
    assert not Case.objects.exists()


def test_it_answers_a_whole_case(api, token, nurse, surgeon, case):
    record(case, IDENTITY, nurse)
    record(case, INCISION, nurse, value="4")
    workflow.add_implant(
        actor=nurse,
        case_id=case.pk,
        entry=workflow.ImplantEntry(product="iFuse-3D", lot="L1", size="7.0 x 45"),
    )

    response = api.get(f"/api/v1/cases/{case.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["patient_birth_date"] == "1961-03-14"
    assert [step["title"] for step in body["steps"]] == [IDENTITY, INCISION, "Implants placed"]
    assert body["steps"][1]["value"] == "4"
    assert body["steps"][1]["recorded_by"] == "Nora Nurse"
    assert body["steps"][1]["revision"] == 1
    [implant] = body["implants"]
    assert (implant["product"], implant["side"], implant["status"]) == (
        "iFuse-3D",
        "left",
        "implanted",
    )
    assert (implant["read_back_by"], implant["read_back_at"]) == (None, None)  # not yet
    assert body["signatures"] == []
    [access] = RecordAccess.objects.all()
    assert (access.action, access.case, access.user) == (
        AccessAction.API_READ,
        case,
        token[0].user,
    )


def test_a_signed_case_shows_its_signature(api, nurse, surgeon, case):
    from tests.conftest import PASSWORD

    place_implant(case, nurse, workflow.ImplantEntry(product="iFuse-3D"))
    for phase in ("sign_in", "procedure"):
        record_phase(case, phase, nurse)
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)

    body = api.get(f"/api/v1/cases/{case.pk}/").json()

    [signature] = body["signatures"]
    assert signature["printed_name"] == "Sue Surgeon"
    assert signature["meaning"] == "sign_out"
    assert body["status"] == "completed"


def test_an_unknown_case_is_a_404_problem(api, db):
    response = api.get("/api/v1/cases/424242/")

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["title"] == "Not Found"
    assert not RecordAccess.objects.exists()


def test_a_case_reads_a_fixed_number_of_queries_however_long(
    api, administrator, nurse, surgeon, django_assert_max_num_queries
):
    from tests.checklists.checklist_html import mi_procedure

    long_case = make_case(mi_procedure(), actor=nurse, surgeon=surgeon, laterality="bilateral")
    record_phase(long_case, "sign_in", nurse)
    for side in ("left", "right"):
        workflow.add_implant(
            actor=nurse,
            case_id=long_case.pk,
            entry=workflow.ImplantEntry(side=side, product="iFuse-3D"),
        )
    api.get("/api/v1/procedures/")

    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = api.get(f"/api/v1/cases/{long_case.pk}/")

    assert len(response.json()["steps"]) > 20


def test_procedures_are_read_by_any_token(administrator, procedure, django_assert_max_num_queries):
    from django.test import Client

    from accounts.choices import ApiScope
    from tests.api.conftest import bearer

    _, text = make_token(administrator, scopes=[ApiScope.RECORD_STEPS])

    # The token, its last use noted, the throttle (6), the published versions and their steps.
    with django_assert_max_num_queries(10):
        response = Client(headers=bearer(text)).get("/api/v1/procedures/")

    assert response.status_code == 200
    titles = {p["title"]: p for p in response.json()}
    assert titles["Test procedure"]["version"] == 1  # the published version cases are made from
    steps = titles["Test procedure"]["steps"]
    assert [s["title"] for s in steps] == [IDENTITY, INCISION, "Implants placed"]
    assert steps[1]["min_value"] == "3.00"
    assert not RecordAccess.objects.exists()  # no patient identity
