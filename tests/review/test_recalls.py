"""The recall look-up: by a device's GTIN (and lot, or serial), the cases it went into, with
their patients, as a page and a CSV export; each use one entry in the access log."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from checklists import workflow
from checklists.models import RecordAccess
from tests.conftest import make_case, make_procedure

PAGE = reverse("review:recalls")
EXPORT = reverse("review:recalls-export")
GTIN = "00812345678901"
OTHER_GTIN = "00987654321005"


@pytest.fixture
def procedure(db):
    return make_procedure({"title": "Implants placed", "kind": "implants"})


def implanted(procedure, nurse, surgeon, *, serial, lot="LOT1", gtin=GTIN, **case_fields):
    """A case with one implant of ``gtin``, ``lot`` and ``serial`` on its log."""
    case = make_case(procedure, actor=nurse, surgeon=surgeon, **case_fields)
    udi = f"(01){gtin}(17)301231(10){lot}(21){serial}"
    entry = workflow.ImplantEntry(udi=udi, product="Exemplar SI Fusion Implant")
    workflow.add_implant(actor=nurse, case_id=case.pk, entry=entry)
    return case


@pytest.fixture
def cases(procedure, nurse, surgeon):
    """Three cases: two of lot LOT1, one of LOT2, and one of another device."""
    when = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)
    return {
        "first": implanted(
            procedure,
            nurse,
            surgeon,
            serial="S1",
            patient_name="Ada One",
            patient_mrn="MRN001",
            scheduled_start=when,
        ),
        "second": implanted(
            procedure,
            nurse,
            surgeon,
            serial="S2",
            patient_name="Bo Two",
            patient_mrn="MRN002",
            scheduled_start=when + datetime.timedelta(days=1),
            room="OR 5",
        ),
        "other_lot": implanted(
            procedure,
            nurse,
            surgeon,
            serial="S3",
            lot="LOT2",
            patient_name="Cy Three",
            patient_mrn="MRN003",
        ),
        "other_device": implanted(
            procedure,
            nurse,
            surgeon,
            serial="S1",
            gtin=OTHER_GTIN,
            patient_name="Di Four",
            patient_mrn="MRN004",
        ),
    }


@pytest.fixture
def logged_in(client, reviewer):
    client.force_login(reviewer)
    return client


def listed(response) -> list[str]:
    return [implant.case.patient_mrn for implant in response.context["page"]]


def test_it_lists_every_case_of_the_device_newest_first(logged_in, cases):
    response = logged_in.get(PAGE, {"gtin": GTIN})
    assert response.status_code == 200
    assert listed(response) == ["MRN003", "MRN002", "MRN001"]
    html = response.content.decode()
    assert "Bo Two" in html and "MRN002" in html and "OR 5" in html
    assert "Di Four" not in html


def test_it_narrows_to_a_lot_or_a_serial(logged_in, cases):
    assert listed(logged_in.get(PAGE, {"gtin": GTIN, "lot": "LOT1"})) == ["MRN002", "MRN001"]
    assert listed(logged_in.get(PAGE, {"gtin": GTIN, "serial": "S1"})) == ["MRN001"]
    assert listed(logged_in.get(PAGE, {"gtin": GTIN, "lot": "LOT2", "serial": "S1"})) == []


def test_it_reads_a_gtin_typed_with_13_digits(logged_in, cases):
    assert listed(logged_in.get(PAGE, {"gtin": f" {GTIN[1:]} "})) == ["MRN003", "MRN002", "MRN001"]


def test_the_empty_page_asks_for_a_device_and_lists_nothing(logged_in, cases):
    response = logged_in.get(PAGE)
    assert response.status_code == 200
    assert response.context["page"] is None
    assert "Ada One" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"gtin": "00812345678906"}, "check digit is wrong"),
        ({"gtin": "not a number"}, "is not a GTIN"),
        ({"gtin": ""}, "Enter the gtin"),
        ({"lot": "LOT1"}, "Enter the gtin"),
        ({"gtin": GTIN, "lot": "L" * 10_000}, "A lot has at most 20 characters"),
        ({"gtin": GTIN, "serial": "9" * 21}, "A serial has at most 20 characters"),
    ],
)
def test_a_device_that_cannot_be_read_is_a_400_that_says_why(logged_in, cases, params, message):
    response = logged_in.get(PAGE, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["page"] is None


def test_each_use_is_one_entry_in_the_access_log_without_patient_identity(
    logged_in, reviewer, cases
):
    logged_in.get(PAGE, {"gtin": GTIN, "lot": "LOT1"})
    [entry] = RecordAccess.objects.all()
    assert (entry.user, entry.case, entry.action) == (reviewer, None, "recall")
    assert entry.filters == f"recall look-up: gtin={GTIN}; lot=LOT1"
    logged_in.get(PAGE, {"gtin": "123"})  # refused, still a use
    assert RecordAccess.objects.count() == 2


def test_the_export_lists_the_same_implants_with_their_patients(logged_in, reviewer, cases):
    response = logged_in.get(EXPORT, {"gtin": GTIN, "lot": "LOT1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(row["MRN"], row["Patient"], row["Serial"]) for row in rows] == [
        ("MRN002", "Bo Two", "S2"),
        ("MRN001", "Ada One", "S1"),
    ]
    assert rows[0]["Room"] == "OR 5" and rows[0]["Lot"] == "LOT1" and rows[0]["GTIN"] == GTIN
    [entry] = RecordAccess.objects.all()
    assert (entry.user, entry.action) == (reviewer, "recall_export")
    assert "MRN" not in entry.filters and "Bo Two" not in entry.filters


def test_an_export_of_a_device_that_cannot_be_read_is_refused_and_not_logged(logged_in, cases):
    response = logged_in.get(EXPORT, {"gtin": "00812345678906"})
    assert response.status_code == 400
    assert not RecordAccess.objects.exists()


def test_the_page_costs_the_same_queries_for_one_case_or_many(
    logged_in, procedure, nurse, surgeon, django_assert_max_num_queries
):
    implanted(procedure, nurse, surgeon, serial="S0")
    with django_assert_max_num_queries(12) as few:
        logged_in.get(PAGE, {"gtin": GTIN})
    for n in range(1, 8):
        implanted(procedure, nurse, surgeon, serial=f"S{n}", patient_mrn=f"MRN{n:03d}")
    with django_assert_max_num_queries(len(few)):
        response = logged_in.get(PAGE, {"gtin": GTIN})
    assert len(listed(response)) == 8


def test_the_review_navigation_links_the_look_up(logged_in, cases):
    response = logged_in.get(reverse("review:case-list"))
    assert f'href="{PAGE}"' in response.content.decode()


@pytest.mark.parametrize("persona", ["nurse", "surgeon"])
def test_theatre_staff_cannot_look_up_patients(client, db, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(PAGE, {"gtin": GTIN}).status_code == 403
    assert client.get(EXPORT, {"gtin": GTIN}).status_code == 403
    assert not RecordAccess.objects.exists()
