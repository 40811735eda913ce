"""Patient identity (MRN, name, date of birth) never reaches a URL, a log line or an error page.

One patient with unmistakable details goes through a whole day: scheduled (after a refused
first try), worked through by the nurse on htmx with a few things going wrong (a number out of
bounds, a conflict, a forged form, a 404, a 403, an expired form), signed out by the surgeon
after a PIN switch and a wrong password, then found by MRN, exported, read and filed by a
reviewer; later the nurse opens the filed record in an emergency, with a reason that names the
patient. Every log record of every logger, at DEBUG, is kept; so is every URL requested,
redirected to, or offered by a page as a link, a form's action or an htmx request.

SQL is the one thing that would log the identity (as query parameters): django.db.backends
logs only with DEBUG on, and LOGGING pins it to INFO so that it never does (checked below).
"""

import datetime
import logging
import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import timezone

from accounts import pins
from accounts.models import Room
from checklists.models import Case
from tests.conftest import PASSWORD, make_procedure

MRN = "ZQ7734901"
FIRST, LAST = "Xanthippe", "Quillfeather"
BORN = datetime.date(1957, 8, 23)
IDENTITY = [
    MRN,
    FIRST,
    LAST,
    BORN.isoformat(),
    BORN.strftime("%d %b %Y"),  # as the pages show it: 23 Aug 1957
    BORN.strftime("%d/%m/%Y"),
    BORN.strftime("%m/%d/%Y"),
    BORN.strftime("%Y%m%d"),
]
URL_ATTRIBUTES = re.compile(
    r'\b(?:href|src|action|hx-get|hx-post|hx-put|hx-patch|hx-delete|data-switch-url)="([^"]*)"'
)

STEPS = (
    {"title": "Identity confirmed", "phase": "sign_in", "hard_stop": True},
    {"title": "Incision length", "kind": "number", "unit": "cm", "min_value": 3, "max_value": 5},
    {"title": "Counts correct", "phase": "sign_out", "kind": "yes_no", "expected_answer": "yes"},
)


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [value for value in IDENTITY if value.lower() in lowered]


class Journey:
    """What the journey left behind: URLs, error pages, every page's HTML."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.error_pages: list[tuple[str, bytes]] = []
        self.pages: list[tuple[str, str]] = []

    def client(self, **kwargs) -> Client:
        journey = self

        class RecordingClient(Client):
            def request(self, **request):
                url = request["PATH_INFO"]
                if request.get("QUERY_STRING"):
                    url += "?" + request["QUERY_STRING"]
                journey.urls.append(url)
                response = super().request(**request)
                for header in ("Location", "HX-Redirect", "HX-Location", "HX-Push-Url"):
                    if header in response:
                        journey.urls.append(response[header])
                templates = [template.name for template in response.templates or ()]
                if "error.html" in templates:
                    journey.error_pages.append((url, response.content))
                if response.get("Content-Type", "").startswith("text/html"):
                    journey.pages.append((url, response.content.decode()))
                return response

        return RecordingClient(**kwargs)


@pytest.fixture
def every_log_record(caplog) -> Iterator[list[logging.LogRecord]]:
    """Every record of every logger at DEBUG, those that do not propagate to the root too."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django")
    quiet = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    for logger in quiet:
        logger.addHandler(caplog.handler)
    yield caplog.records
    for logger in quiet:
        logger.removeHandler(caplog.handler)


def everything_in(record: logging.LogRecord) -> str:
    """The message, its arguments, its traceback and every extra attribute, as text."""
    formatted = logging.Formatter("%(message)s").format(record)
    extras = " ".join(repr(value) for value in vars(record).values())
    return f"{formatted} {extras}"


def step(case, title: str):
    return case.steps.get(title=title)


def post_step(client, case, title: str, *, htmx: bool = True, revision=None, **data):
    row = step(case, title)
    data = {"status": "done", "revision": row.revision if revision is None else revision, **data}
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": f"/cases/{case.pk}/"}
    return client.post(f"/cases/{case.pk}/steps/{row.pk}/", data, **(headers if htmx else {}))


def the_day(journey: Journey, nurse, surgeon, reviewer, on_commit) -> Case:
    procedure = make_procedure(*STEPS, title="SI fusion (journey)", slug="si-journey")
    pins.set_pin(user=surgeon, pin="7364")
    tablet = journey.client()

    # The nurse logs in (a typo first) and schedules the case (a wrong birth date first).
    tablet.post("/accounts/login/", {"username": "nurse", "password": "Pasword"})
    tablet.post("/accounts/login/", {"username": "nurse", "password": PASSWORD}, follow=True)
    Room.objects.create(name="OR 7")
    tablet.get("/cases/new/")
    form = {
        "patient_mrn": MRN,
        "patient_name": f"{FIRST} {LAST}",
        "patient_birth_date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        "procedure": procedure.pk,
        "laterality": "left",
        "surgeon": surgeon.pk,
        "room": "OR 7",
        "scheduled_start": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    assert tablet.post("/cases/new/", form).status_code == 422
    form["patient_birth_date"] = BORN.isoformat()
    assert tablet.post("/cases/new/", form, follow=True).status_code == 200
    case = Case.objects.get(patient_mrn=MRN)

    # The checklist, on htmx, with what goes wrong on a busy day.
    assert post_step(tablet, case, "Identity confirmed").status_code == 200
    assert post_step(tablet, case, "Incision length", value="9").status_code == 422
    assert post_step(tablet, case, "Incision length", value="4").status_code == 200
    stale = post_step(tablet, case, "Incision length", revision=0, status="pending")
    assert stale.status_code == 409
    assert post_step(tablet, case, "Counts correct", status="toggle").status_code == 400
    assert post_step(tablet, case, "Counts correct", htmx=False, value="yes").status_code == 302
    since = {"since": 0}
    live = tablet.get(f"/cases/{case.pk}/version", since, HTTP_HX_REQUEST="true")
    assert live.status_code == 200
    assert tablet.get("/cases/999999/").status_code == 404
    assert tablet.get("/review/").status_code == 403
    expired = journey.client(enforce_csrf_checks=True)
    expired.force_login(nurse)
    assert post_step(expired, case, "Counts correct", htmx=False).status_code == 403

    # The surgeon takes the tablet by PIN and signs (mistyping the password once).
    switch = {"username": "surgeon", "pin": "7364", "next": f"/cases/{case.pk}/sign-out/"}
    assert tablet.post("/switch/", switch, follow=True).status_code == 200
    sign_out = f"/cases/{case.pk}/sign-out/"
    assert tablet.post(sign_out, {"password": "not-it"}).status_code == 403
    assert tablet.post(sign_out, {"password": PASSWORD}, follow=True).status_code == 200
    tablet.post("/accounts/logout/", follow=True)

    # A reviewer finds the case by its MRN, exports, reads and files it.
    desk = journey.client()
    desk.force_login(reviewer)
    desk.get("/review/")
    assert desk.post("/review/search/", {"mrn": MRN, "filters": ""}, follow=True).status_code == 200
    list_url = next(url for url in reversed(journey.urls) if url.startswith("/review/?"))
    query = list_url.split("?", 1)[1]
    export = b"".join(desk.get(f"/review/export/?{query}").streaming_content).decode()
    [_, row] = export.splitlines()  # the search found the case, and only it
    assert row.startswith(f"{case.pk},")
    desk.get(f"/review/export/?{query}&rows=steps")
    desk.get(f"/review/{case.pk}/")
    desk.post(f"/review/{case.pk}/mark-reviewed/", {"comment": "Complete."}, follow=True)
    desk.get("/review/dashboard/")
    desk.post("/accounts/logout/")

    # Back in theatre: the nurse needs the filed record, and names the patient in her reason.
    tablet.post("/accounts/login/", {"username": "nurse", "password": PASSWORD}, follow=True)
    assert tablet.get(f"/review/{case.pk}/").status_code == 403
    emergency = f"/review/{case.pk}/emergency-access/"
    assert tablet.post(emergency, {"reason": ""}).status_code == 400
    with on_commit(execute=True):  # the warning is logged once the grant is committed
        reason = {"reason": f"{FIRST} {LAST} back in theatre, MRN {MRN}"}
        assert tablet.post(emergency, reason, follow=True).status_code == 200
    return case


@pytest.fixture
def journey(
    nurse, surgeon, reviewer, every_log_record, django_capture_on_commit_callbacks
) -> Journey:
    journey = Journey()
    the_day(journey, nurse, surgeon, reviewer, django_capture_on_commit_callbacks)
    return journey


def test_the_identity_is_where_it_belongs(journey):
    # The checklist's header shows it for the Time Out check: the strings are the right ones.
    case_pages = [
        html
        for url, html in journey.pages
        if re.fullmatch(r"/cases/\d+/", url) and "<title>Checklist, case" in html
    ]
    assert case_pages and set(leaks(case_pages[-1])) >= {MRN, FIRST, LAST, "23 Aug 1957"}


def test_no_log_line_holds_the_identity(journey, every_log_record):
    assert len(every_log_record) > 20, "the journey was logged"
    messages = " ".join(record.getMessage() for record in every_log_record)
    expected_lines = ("Not Found", "Forbidden", "Conflict", "Unprocessable", "Bad Request")
    for expected in (*expected_lines, "EMERGENCY ACCESS"):
        assert expected in messages

    leaked = [
        (record.name, record.getMessage()[:120])
        for record in every_log_record
        if leaks(everything_in(record))
    ]

    assert leaked == []


def test_no_url_holds_the_identity(journey):
    assert any("mrn=held" in url for url in journey.urls)  # the search's only trace

    leaked = [url for url in journey.urls if leaks(url)]

    assert leaked == []


def test_no_link_form_or_htmx_request_on_any_page_holds_the_identity(journey):
    offered = [
        (url, target)
        for url, html in journey.pages
        for target in URL_ATTRIBUTES.findall(html)
        if leaks(target)
    ]

    assert offered == []


def test_no_error_page_holds_the_identity(journey):
    assert len(journey.error_pages) >= 3  # 404, 403, the expired form

    leaked = [url for url, content in journey.error_pages if leaks(content.decode())]

    assert leaked == []


def test_sql_is_never_logged_even_with_debug_on():
    assert not logging.getLogger("django.db.backends").isEnabledFor(logging.DEBUG)
