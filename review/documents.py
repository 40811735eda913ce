"""A case's record as a document: the PDF a reviewer files, prints or sends (WeasyPrint).

The same record as the record page (``selectors.case_record``), laid out for A4 paper: every
page carries the patient's name, the MRN, the case number and "Page N of M" in its margins
(CSS ``@page`` margin boxes), so a page that comes loose from the others still says whose it
is and where it belongs.
"""

import datetime
from pathlib import Path

from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.people import display_name
from review.selectors.record import CaseRecord

TEMPLATE = "review/record_document.html"
STYLESHEET = "css/record-document.css"


def record_pdf(record: CaseRecord, *, printed_by: User, printed_at: datetime.datetime) -> bytes:
    """The record as PDF bytes. Self-contained: no image, font or stylesheet is fetched from
    anywhere (the URL fetcher refuses every scheme), so text typed on a tablet can never make
    the server reach out, and the fonts are the machine's own."""
    # Imported here, not at start-up: WeasyPrint loads Pango, which only this document needs.
    import weasyprint
    from weasyprint.urls import URLFetcher

    fetch_nothing = URLFetcher(allowed_protocols=())
    html = render_to_string(
        TEMPLATE,
        {
            "record": record,
            "case": record.case,
            "printed_by": display_name(printed_by),
            "printed_at": timezone.localtime(printed_at),
        },
    )
    stylesheet = weasyprint.CSS(string=_stylesheet(), url_fetcher=fetch_nothing)
    document = weasyprint.HTML(string=html, url_fetcher=fetch_nothing)
    return bytes(document.write_pdf(stylesheets=[stylesheet]))


def pdf_response(pdf: bytes, *, case_id: int) -> HttpResponse:
    """The PDF as a download whose file name holds the case number only: a file name ends up in
    download folders, mail attachments and logs, where patient identity must never be."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="case-{case_id}-record.pdf"'
    return response


def _stylesheet() -> str:
    path = finders.find(STYLESHEET)
    assert isinstance(path, str), f"{STYLESHEET} is missing from the static files"
    return Path(path).read_text(encoding="utf-8")
