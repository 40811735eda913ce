"""A case's documents as PDF (WeasyPrint): the record a reviewer files, prints or sends, and
the implant card handed to the patient.

The record is the same as the record page (``selectors.case_record``), laid out for A4 paper:
every page carries the patient's name, the MRN, the case number and "Page N of M" in its
margins (CSS ``@page`` margin boxes), so a page that comes loose from the others still says
whose it is and where it belongs. The implant card (``selectors.implant_card``) is one A4 page.
"""

import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.people import display_name
from review.selectors.implant_card import ImplantCard
from review.selectors.record import CaseRecord

TEMPLATE = "review/record_document.html"
STYLESHEET = "css/record-document.css"
CARD_TEMPLATE = "review/implant_card.html"
CARD_STYLESHEET = "css/implant-card.css"


def record_pdf(record: CaseRecord, *, printed_by: User, printed_at: datetime.datetime) -> bytes:
    """The record as PDF bytes. Self-contained: no image, font or stylesheet is fetched from
    anywhere (the URL fetcher refuses every scheme), so text typed on a tablet can never make
    the server reach out, and the fonts are the machine's own."""
    context = {
        "record": record,
        "case": record.case,
        "printed_by": display_name(printed_by),
        "printed_at": timezone.localtime(printed_at),
    }
    return _pdf(render_to_string(TEMPLATE, context), stylesheet=STYLESHEET)


def implant_card_pdf(card: ImplantCard, *, printed_at: datetime.datetime) -> bytes:
    """The patient's implant card as PDF bytes: one A4 page, self-contained as the record."""
    context = {
        "card": card,
        "case": card.case,
        "hospital": settings.HOSPITAL_NAME,
        "implanted_on": timezone.localdate(card.case.scheduled_start),
        "printed_at": timezone.localtime(printed_at),
    }
    return _pdf(render_to_string(CARD_TEMPLATE, context), stylesheet=CARD_STYLESHEET)


def pdf_response(pdf: bytes, *, case_id: int, document: str = "record") -> HttpResponse:
    """The PDF as a download whose file name holds the case number only: a file name ends up in
    download folders, mail attachments and logs, where patient identity must never be."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="case-{case_id}-{document}.pdf"'
    return response


def _pdf(html: str, *, stylesheet: str) -> bytes:
    # Imported here, not at start-up: WeasyPrint loads Pango, which only the documents need.
    import weasyprint
    from weasyprint.urls import URLFetcher

    fetch_nothing = URLFetcher(allowed_protocols=())
    css = weasyprint.CSS(string=_stylesheet(stylesheet), url_fetcher=fetch_nothing)
    document = weasyprint.HTML(string=html, url_fetcher=fetch_nothing)
    return bytes(document.write_pdf(stylesheets=[css]))


def _stylesheet(name: str) -> str:
    path = finders.find(name)
    assert isinstance(path, str), f"{name} is missing from the static files"
    return Path(path).read_text(encoding="utf-8")
