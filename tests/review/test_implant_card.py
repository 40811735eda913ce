"""The patient's implant card (EU MDR article 18): one A4 page, printed once the case is signed
out, listing each implant placed with what identifies it; each print is in the access log."""

import io
import re
from pathlib import Path

import pypdfium2
import pytest
from django.test import override_settings
from django.urls import reverse
from pypdf import PdfReader

from catalogue.models import Device
from checklists import workflow
from checklists.choices import AccessAction
from checklists.models import RecordAccess
from procedures.models import Procedure
from tests.conftest import make_case
from tests.review.conftest import work_through

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
GTIN = "00812345678901"


def card_url(case) -> str:
    return reverse("review:implant-card-pdf", args=[case.pk])


def text_of(response) -> list[str]:
    reader = PdfReader(io.BytesIO(response.content))
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


@pytest.fixture
def bilateral(nurse, surgeon):
    """A bilateral minimally invasive case signed out: two implants a side, by barcode, of a
    device the catalogue labels MR Conditional."""
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="bilateral")
    Device.objects.update_or_create(
        gtin=GTIN,
        defaults={
            "company": "Example Orthopaedics (fictitious)",
            "brand": "Exemplar",
            "mri_safety": "mr_conditional",
        },
    )
    work_through(case, nurse=nurse, surgeon=surgeon, na={"Specimens labelled": "No specimen"})
    return case


@override_settings(HOSPITAL_NAME="St Example's Hospital")
def test_a_nurse_prints_one_page_with_each_implant_placed_and_the_hospital(
    client, nurse, bilateral, django_assert_max_num_queries
):
    client.force_login(nurse)

    with django_assert_max_num_queries(12):
        response = client.get(card_url(bilateral))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="case-{bilateral.pk}-implant-card.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    [page] = text_of(response)
    assert "Implant card St Example's Hospital" in page
    assert "Patient Pat Example Date of birth 14 Mar 1961" in page
    assert "4 implants" in page
    for side in ("L", "R"):
        for n in (1, 2):
            serial = f"SN{side}{n}C{bilateral.pk}"
            assert re.search(rf"{GTIN} LOT123 {serial}", page), serial
    assert "MR Conditional" in page
    [access] = RecordAccess.objects.filter(action=AccessAction.IMPLANT_CARD)
    assert (access.user, access.case) == (nurse, bilateral)

    # Rendered to PNG to look at (artifacts/, git-ignored).
    document = pypdfium2.PdfDocument(response.content)
    width, height = document[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4, in points
    ARTIFACTS.mkdir(exist_ok=True)
    document[0].render(scale=1.5).to_pil().save(ARTIFACTS / "implant-card.png")


def test_an_implant_explanted_since_is_not_on_the_card(client, nurse, surgeon, bilateral):
    right = bilateral.implants.filter(side="right").order_by("position")
    workflow.explant_implant(
        actor=surgeon,
        case_id=bilateral.pk,
        implant_id=right.last().pk,
        explanted_on=bilateral.scheduled_start.date(),
        reason="Malposition seen on the CT",
    )
    client.force_login(nurse)

    [page] = text_of(client.get(card_url(bilateral)))

    assert "3 implants" in page
    assert f"SNR2C{bilateral.pk}" not in page


def test_a_case_not_signed_out_has_no_card_yet(client, nurse, surgeon):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon)
    client.force_login(nurse)

    assert client.get(card_url(case)).status_code == 404
    assert client.get(reverse("review:implant-card-pdf", args=[10**9])).status_code == 404
    assert not RecordAccess.objects.filter(action=AccessAction.IMPLANT_CARD).exists()


def test_the_signed_checklist_and_the_record_offer_the_card(client, nurse, reviewer, bilateral):
    client.force_login(nurse)
    page = client.get(reverse("case-detail", args=[bilateral.pk])).content.decode()
    assert f'href="{card_url(bilateral)}"' in page
    client.force_login(reviewer)
    page = client.get(reverse("review:record", args=[bilateral.pk])).content.decode()
    assert f'href="{card_url(bilateral)}"' in page


def test_it_needs_a_login_and_takes_no_post(client, nurse, bilateral):
    response = client.get(card_url(bilateral))
    assert response.status_code == 302 and "/login" in response["Location"]
    client.force_login(nurse)
    assert client.post(card_url(bilateral)).status_code == 405
