"""The record as a PDF: what a reviewer downloads from the record page, files and prints."""

import io
import re
from pathlib import Path

import pytest
from django.urls import reverse
from pypdf import PdfReader

from checklists import workflow
from checklists.models import AuditEvent, RecordAccess
from procedures.models import Procedure
from tests.conftest import events, make_case, plausible_value, record, tamper
from tests.review.conftest import amend_incision, signed_out, work_through

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "record-pdf"
A4 = (595, 842)  # points, rounded


def pdf_url(case) -> str:
    return reverse("review:record-pdf", args=[case.pk])


def download(client, case, *, keep_as: str = ""):
    """The PDF's response; ``keep_as`` also saves it under artifacts/ to look at."""
    response = client.get(pdf_url(case))
    assert response.status_code == 200, response.content[:300]
    if keep_as:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / keep_as).write_bytes(response.content)
    return response


def pages_of(response) -> list[str]:
    """Each page's text, spaces collapsed."""
    reader = PdfReader(io.BytesIO(response.content))
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


@pytest.fixture
def bilateral(nurse, surgeon):
    """A typical bilateral minimally invasive case: every step recorded, two implants a side,
    the specimen step not applicable, signed out."""
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="bilateral")
    work_through(case, nurse=nurse, surgeon=surgeon, na={"Specimens labelled": "No specimen"})
    return case


def test_it_downloads_the_record_named_by_its_case_number_only(logged_in, bilateral):
    response = download(logged_in, bilateral)
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="case-{bilateral.pk}-record.pdf"'
    assert "no-store" in response["Cache-Control"]
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.metadata.title == f"Case {bilateral.pk} record"


def test_a_bilateral_case_fits_on_four_a4_pages(logged_in, bilateral):
    reader = PdfReader(io.BytesIO(download(logged_in, bilateral, keep_as="bilateral.pdf").content))
    assert 1 <= len(reader.pages) <= 4
    for page in reader.pages:
        assert (round(page.mediabox.width), round(page.mediabox.height)) == A4


def test_every_page_says_whose_record_it_is_and_its_number(logged_in, bilateral):
    pages = pages_of(download(logged_in, bilateral))
    assert len(pages) >= 2  # a one-page record would prove little here
    for number, words in enumerate(pages, start=1):
        assert "Pat Example" in words, number
        assert "MRN MRN0042" in words, number
        assert f"Case {bilateral.pk}" in words, number
        assert f"Page {number} of {len(pages)}" in words, number


def test_the_document_holds_the_whole_record(logged_in, bilateral):
    words = " ".join(pages_of(download(logged_in, bilateral)))
    for expected in (
        "SI joint fusion — minimally invasive",
        "Side Bilateral",
        "Surgeon Sue Surgeon",
        "Room OR 3",
        "Time Out complete",
        "Incision",
        "Sign In · ",
        "Recorded by",  # the column header, whole
        "Lateral buttock incision made (Left)",
        "Not applicable No specimen",
        "Nora Nurse",
        "LOT123",
        "SNL1",
        "HARD STOP",
        "Signatures",
        "Signed by",
        "Audit trail",
    ):
        assert expected in words, expected
    count = AuditEvent.objects.filter(case=bilateral).count()
    assert f"Audit trail · {count} events, oldest first" in words
    for step in bilateral.steps.all():
        assert step.recorded_at.strftime("%H:%M") in words  # every step's time


def test_an_amendment_and_the_review_are_printed(logged_in, procedure, nurse, surgeon, reviewer):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    amend_incision(case, surgeon, value="5", reason="Measured again on the image")
    workflow.mark_reviewed(actor=reviewer, case_id=case.pk, comment="Checked with theatre lead")
    words = " ".join(pages_of(download(logged_in, case, keep_as="amended.pdf")))
    assert "Amendments" in words
    assert "Measured again on the image" in words
    assert "Done: 4" in words  # the original, as signed
    assert "Checked with theatre lead" in words


def test_an_unsigned_case_says_so(logged_in, procedure, nurse, surgeon):
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    record(case, "Identity confirmed", nurse)
    words = " ".join(pages_of(download(logged_in, case)))
    assert "Not signed." in words
    assert "Not recorded" in words


def test_a_broken_audit_chain_is_printed_on_every_page(logged_in, procedure, nurse, surgeon):
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon)
    event = events(case)[2]
    tamper(AuditEvent, "UPDATE {table} SET after = %s WHERE id = %s", '{"status": "na"}', event.pk)
    pages = pages_of(download(logged_in, case))
    assert "does not verify" in pages[0]
    for words in pages:
        assert "AUDIT CHAIN BROKEN" in words


def test_the_record_page_offers_the_download(logged_in, bilateral):
    page = logged_in.get(reverse("review:record", args=[bilateral.pk])).content.decode()
    assert f'href="{pdf_url(bilateral)}"' in page
    assert "Download PDF" in page


# --- who may, and the access log ---------------------------------------------------------


@pytest.mark.parametrize("persona", ["nurse", "scrub", "anaesthetist", "surgeon"])
def test_roles_without_review_access_are_refused(client, request, db, bilateral, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(pdf_url(bilateral))
    assert response.status_code == 403
    assert not RecordAccess.objects.exists()


def test_it_needs_a_login(client, bilateral):
    response = client.get(pdf_url(bilateral))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_an_unknown_case_is_a_404_and_not_logged(logged_in, db):
    assert logged_in.get(reverse("review:record-pdf", args=[999999])).status_code == 404
    assert not RecordAccess.objects.exists()


def test_it_takes_no_post(logged_in, bilateral):
    assert logged_in.post(pdf_url(bilateral)).status_code == 405


def test_the_download_is_logged_as_its_own_access(logged_in, reviewer, bilateral):
    download(logged_in, bilateral)
    [entry] = RecordAccess.objects.all()
    assert (entry.user, entry.case, entry.action) == (reviewer, bilateral, "download")
    assert entry.get_action_display() == "Downloaded a record (PDF)"
    assert entry.filters == ""  # no patient identity, nothing else to say


# --- Stops (the phases-and-Stops work): skipped until the workflow can override one ----------


@pytest.mark.skipif(
    not hasattr(workflow, "override_stop"), reason="needs Stops (workflow.override_stop)"
)
def test_a_stop_and_its_override_are_printed(logged_in, nurse, surgeon):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    consent = case.steps.exclude(expected_answer="").order_by("position").first()
    for step in case.steps.filter(position__lt=consent.position).order_by("position"):
        record(case, step.title, nurse, side=step.side, value=plausible_value(step))
    record(case, consent.title, nurse, value="no")
    words = " ".join(pages_of(download(logged_in, case)))
    assert "STOP" in words
    assert "Answered No — expected Yes." in words

    reason = "Consent confirmed by phone with the patient's proxy"
    consent.refresh_from_db()
    workflow.override_stop(  # type: ignore[attr-defined]
        actor=surgeon,
        case_id=case.pk,
        step_id=consent.pk,
        revision=consent.revision,
        reason=reason,
    )
    words = " ".join(pages_of(download(logged_in, case, keep_as="stop-overridden.pdf")))
    assert "Stop overridden" in words
    assert "Stop overridden by Sue Surgeon" in words
    assert reason in words
