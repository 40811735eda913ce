import csv
import io
import math
import re

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from checklists import bulk, workflow
from checklists.models import Case, CaseStep, RecordAccess
from review.exports import CASE_HEADER, FORMULA_STARTS, STEP_HEADER, neutralise
from tests.conftest import make_case, record
from tests.review.conftest import day, signed_out

EXPORT = reverse("review:export")
LIST = reverse("review:case-list")


def rows_of(response) -> list[dict[str, str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_one_row_per_case_holds_the_cases_facts_and_compliance(
    logged_in, procedure, nurse, surgeon
):
    case = signed_out(
        procedure, nurse=nurse, surgeon=surgeon, room="OR 4", scheduled_start=day(2025, 6, 2)
    )

    response = logged_in.get(EXPORT)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="si-tracker-cases-')
    assert "no-store" in response["Cache-Control"]
    [row] = rows_of(response)
    assert list(row) == list(CASE_HEADER)
    assert row["Case"] == str(case.pk)
    assert (row["Date"], row["Start"], row["Room"]) == ("2025-06-02", "09:00", "OR 4")
    assert (row["Procedure"], row["Side"], row["Surgeon"]) == (
        "Small fusion",
        "Left",
        "Sue Surgeon",
    )
    assert row["Status"] == "Completed"
    assert row["Required steps complete"] == "yes"
    assert row["Time Out before incision"] == "yes"
    assert row["Amended"] == "no"
    assert row["Signed out"] and row["Reviewed at"] == ""


def test_the_export_holds_no_patient_identity(logged_in, procedure, nurse, surgeon):
    signed_out(procedure, nurse=nurse, surgeon=surgeon)
    for rows in ("cases", "steps"):
        text = b"".join(logged_in.get(EXPORT, {"rows": rows}).streaming_content).decode()
        assert "MRN0042" not in text
        assert "Pat Example" not in text
        assert "1961" not in text


def test_one_row_per_step_lists_every_step_with_its_answer(logged_in, procedure, nurse, surgeon):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon, incision="4.5", note="Clean")

    rows = rows_of(logged_in.get(EXPORT, {"rows": "steps"}))

    assert list(rows[0]) == list(STEP_HEADER)
    assert [row["Step"] for row in rows] == list(
        case.steps.order_by("position").values_list("title", flat=True)
    )
    incision = rows[2]
    assert (incision["Phase"], incision["Value"], incision["Unit"]) == ("Procedure", "4.5", "cm")
    assert (incision["Note"], incision["Recorded by"]) == ("Clean", "Sue Surgeon")
    assert (rows[-1]["Status"], rows[-1]["Required"]) == ("Pending", "no")


def test_a_not_applicable_step_exports_its_reason(logged_in, procedure, nurse, surgeon):
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    record(case, "Identity confirmed", nurse)
    record(case, "Team introduced", nurse)
    record(case, "Skin incision made", surgeon, value="4")
    record(case, "Wound closed", surgeon)
    record(case, "Specimens labelled", nurse, status="na", na_reason="No specimen")
    workflow.sign_out(actor=surgeon, case_id=case.pk, password="Theatre-4-demo")

    last = rows_of(logged_in.get(EXPORT, {"rows": "steps"}))[-1]
    assert (last["Status"], last["Reason not applicable"]) == ("Not applicable", "No specimen")


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_cells_that_would_start_a_formula_are_neutralised(start):
    assert neutralise(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


@given(st.text())
def test_neutralised_text_never_starts_a_formula_and_keeps_its_content(text):
    safe = neutralise(text)
    assert not safe.startswith(FORMULA_STARTS)
    assert safe in (text, f"'{text}")


def test_numbers_and_ordinary_text_are_left_alone():
    assert neutralise(-4) == -4
    assert neutralise("OR 3") == "OR 3"
    assert neutralise("") == ""


def test_a_formula_typed_on_a_tablet_reaches_the_csv_as_text(logged_in, procedure, nurse, surgeon):
    signed_out(procedure, nurse=nurse, surgeon=surgeon, note='=HYPERLINK("http://x.example","y")')
    step_rows = rows_of(logged_in.get(EXPORT, {"rows": "steps"}))
    assert step_rows[2]["Note"] == '\'=HYPERLINK("http://x.example","y")'


def test_a_formula_in_a_room_name_is_neutralised_in_the_case_rows(
    logged_in, procedure, nurse, surgeon
):
    signed_out(procedure, nurse=nurse, surgeon=surgeon, room="@SUM(A1:A9)")
    [row] = rows_of(logged_in.get(EXPORT))
    assert row["Room"] == "'@SUM(A1:A9)"


def test_the_export_is_exactly_the_filtered_list_in_its_order(logged_in, surgeon, db):
    bulk.generate(count=80, seed=11)
    surgeon_id = Case.objects.values_list("surgeon_id", flat=True).first()
    filters = {"surgeon": surgeon_id, "date_from": "2000-01-01", "sort": "room", "cancelled": "on"}

    listed = re.findall(
        r'href="/review/(\d+)/"',
        logged_in.get(LIST, {**filters, "per_page": 100}).content.decode(),
    )
    exported = [row["Case"] for row in rows_of(logged_in.get(EXPORT, filters))]

    assert exported == listed
    assert len(exported) == Case.objects.filter(surgeon_id=surgeon_id).count()


def test_the_step_export_covers_the_filtered_cases_only(logged_in, db):
    bulk.generate(count=30, seed=12)
    reviewed = set(Case.objects.filter(status="reviewed").values_list("pk", flat=True))

    rows = rows_of(logged_in.get(EXPORT, {"rows": "steps", "status": "reviewed"}))

    assert {int(row["Case"]) for row in rows} == reviewed
    assert len(rows) == CaseStep.objects.filter(case__in=reviewed).count()


def test_the_step_export_reads_steps_in_chunks_of_cases(
    logged_in, db, django_assert_num_queries, monkeypatch
):
    from review.selectors import cases

    monkeypatch.setattr(cases, "STEP_EXPORT_CHUNK", 10)
    bulk.generate(count=45, seed=13)
    logged_in.get(LIST)  # the session's first request writes its start time: not counted
    signed = Case.objects.filter(status__in=["completed", "reviewed"])
    expected = CaseStep.objects.filter(case__in=signed).count()

    response = logged_in.get(EXPORT, {"rows": "steps"})
    # Cases stream from one query; their steps come in one query per 10 cases.
    with django_assert_num_queries(1 + math.ceil(signed.count() / 10)):
        assert len(rows_of(response)) == expected


def test_an_export_with_a_filter_it_cannot_read_is_refused(logged_in, procedure, nurse, surgeon):
    signed_out(procedure, nurse=nurse, surgeon=surgeon)
    assert logged_in.get(EXPORT, {"date_from": "yesterday"}).status_code == 400
    assert logged_in.get(EXPORT, {"rows": "patients"}).status_code == 400
    assert not RecordAccess.objects.filter(action="export").exists()


def test_an_mrn_search_exports_that_patients_cases_only(logged_in, procedure, nurse, surgeon):
    mine = signed_out(procedure, nurse=nurse, surgeon=surgeon, patient_mrn="MRN-5")
    signed_out(procedure, nurse=nurse, surgeon=surgeon, patient_mrn="MRN-6")
    logged_in.post(reverse("review:mrn-search"), {"mrn": "MRN-5"})

    rows = rows_of(logged_in.get(EXPORT, {"mrn": "held"}))

    assert [row["Case"] for row in rows] == [str(mine.pk)]


def test_the_list_links_to_the_export_of_its_own_filters(logged_in, procedure, nurse, surgeon):
    signed_out(procedure, nurse=nurse, surgeon=surgeon)
    page = logged_in.get(LIST, {"room": "OR 3", "page": "1", "per_page": "50"}).content.decode()
    assert f'href="{EXPORT}?room=OR+3"' in page
    assert f'href="{EXPORT}?room=OR+3&amp;rows=steps"' in page


def test_the_case_export_streams_every_listed_case_as_it_reads_them(
    logged_in, db, monkeypatch, django_assert_max_num_queries
):
    """The file is sent in pieces as rows are read, never built whole: the first piece
    leaves before most cases are read, and the pieces add up to every case, right."""
    from review import exports
    from review.selectors import cases

    monkeypatch.setattr(exports, "CHUNK_BYTES", 2048)
    monkeypatch.setattr(cases, "CASE_EXPORT_CHUNK", 10)
    bulk.generate(count=90, seed=14)
    logged_in.get(LIST)  # the session's first request writes its start time: not counted
    read = []
    streamed = cases.case_export_rows

    def counted(queryset):
        for row in streamed(queryset):
            read.append(row["pk"])
            yield row

    monkeypatch.setattr(cases, "case_export_rows", counted)
    monkeypatch.setattr(exports.selectors, "case_export_rows", counted)

    response = logged_in.get(EXPORT, {"cancelled": "on"})
    pieces = iter(response.streaming_content)
    first = next(pieces)
    assert 0 < len(read) < 45
    with django_assert_max_num_queries(1):  # the rest: the same one query, read on
        text = (first + b"".join(pieces)).decode("utf-8")

    listed = Case.objects.order_by("-scheduled_start", "-pk")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [int(row["Case"]) for row in rows] == list(listed.values_list("pk", flat=True))
    assert read == [int(row["Case"]) for row in rows]
    for row, case in zip(rows, listed.select_related("procedure"), strict=True):
        assert row["Room"] == case.room
        assert row["Procedure"] == case.procedure.title
        assert row["Status"] == case.get_status_display()
        assert row["Amended"] == ("yes" if case.amended else "no")
        assert row["Required steps complete"] == ("yes" if case.required_complete else "no")
