"""Idle logoff on the checklist, at 1024x768 with an idle period of a few seconds (the countdown
then takes the second half of it; in use it is the last minute): taps, typing and scrolling keep
the session, the countdown says when it is about to end, and what was typed comes back to the
same person after their PIN, and to nobody else."""

import itertools
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import Page, expect

from accounts import pins
from accounts.middleware import LAST_ACTIVITY
from checklists.choices import StepStatus
from checklists.models import AuditEvent
from procedures.models import Procedure
from tests.browser.conftest import (
    browser_test,
    element_screenshot,
    enrol,
    log_in,
    screenshot,
    serious_violations,
)
from tests.conftest import make_case, record

pytestmark = [pytest.mark.browser, browser_test]

IDENTITY = "Patient identity confirmed (name, date of birth, MRN)"
ALLERGY = "Known allergy"
HEARTBEAT = "/session/heartbeat/"


@pytest.fixture
def case(nurse, surgeon):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="left")
    record(case, IDENTITY, nurse)  # the hard stop: the rows after it open
    return case


@pytest.fixture
def tablet(page, live_server, administrator, nurse, scrub):
    """An enrolled tablet (its switch screen lists names), the nurse and the scrub with PINs."""
    enrol(page, live_server, by=administrator)
    pins.set_pin(user=nurse, pin="2468")
    pins.set_pin(user=scrub, pin="1357")
    return page


def idle_period(settings, seconds: int) -> None:
    settings.SESSION_IDLE_TIMEOUT = seconds  # the live server reads settings per request


def heartbeats(page: Page) -> list[float]:
    """The times the page sends its heartbeat, from now on."""
    sent: list[float] = []
    page.on("request", lambda r: sent.append(time.monotonic()) if HEARTBEAT in r.url else None)
    return sent


def open_checklist(page: Page, live_server, case) -> None:
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(page.get_by_role("heading", name=case.procedure.title)).to_be_visible()


def countdown(page: Page):
    return page.get_by_role("alertdialog", name="Signing out in")


def allergy_details(page: Page, case):
    step = case.steps.get(title=ALLERGY)
    return page.locator(f"#note-{step.pk}")


def sign_in_with_pin(page: Page, name: str, pin: str) -> None:
    page.get_by_role("group", name="Who is taking over the tablet?").get_by_text(name).click()
    page.get_by_label("PIN").fill(pin)
    page.get_by_role("button", name="Switch").click()


def session_is_open(page: Page, live_server) -> bool:
    """Ask the server, not the page: is the tablet's session still signed in?"""
    answer = page.request.get(f"{live_server.url}/", max_redirects=0)
    return answer.status == 200


def drafts_kept(page: Page) -> list[str]:
    return page.evaluate(
        "Object.keys(sessionStorage).filter((key) => key.startsWith('sitracker:draft:'))"
    )


def test_the_countdown_shows_in_the_last_seconds_and_a_tap_keeps_the_session(
    tablet, live_server, case, settings
):
    idle_period(settings, 6)  # the countdown: the last 3 s
    started = time.monotonic()  # the server's last activity is this or later
    log_in(tablet, live_server, "nurse")
    sent = heartbeats(tablet)
    open_checklist(tablet, live_server, case)
    opened = time.monotonic()

    expect(countdown(tablet)).to_be_visible(timeout=6000)
    assert time.monotonic() - started >= 2.9, "the countdown came before the last 3 seconds"
    expect(countdown(tablet)).to_contain_text("tap anywhere to stay")
    assert sent == [], "nobody touched the tablet: the poll and the clock send no heartbeat"
    screenshot(tablet, "idle-countdown", full_page=False)
    assert serious_violations(tablet) == []
    element_screenshot(countdown(tablet), "idle-countdown-dialog")

    tablet.mouse.click(40, 700)  # anywhere: the page behind the dialog is out of reach
    expect(countdown(tablet)).to_be_hidden()
    assert len(sent) == 1

    # Past the end the session had before the tap (at most 6 s after the page opened): still
    # here and signed in, the countdown back for the tap's own last seconds.
    tablet.wait_for_timeout(max(0, (opened + 7.5 - time.monotonic()) * 1000))
    expect(countdown(tablet)).to_be_visible()
    assert tablet.url.endswith(f"/cases/{case.pk}/")
    assert session_is_open(tablet, live_server)
    assert case.steps.get(title=ALLERGY).status == StepStatus.PENDING  # the tap pressed nothing


def test_a_key_also_dismisses_the_countdown(tablet, live_server, case, settings):
    idle_period(settings, 4)
    log_in(tablet, live_server, "nurse")
    open_checklist(tablet, live_server, case)

    expect(countdown(tablet)).to_be_visible(timeout=5000)
    tablet.keyboard.press("a")
    expect(countdown(tablet)).to_be_hidden()
    tablet.wait_for_timeout(2500)  # past the end it had
    assert tablet.url.endswith(f"/cases/{case.pk}/")


def test_typing_and_scrolling_count_as_activity(tablet, live_server, case, settings):
    idle_period(settings, 4)  # a heartbeat at most every second
    log_in(tablet, live_server, "nurse")
    open_checklist(tablet, live_server, case)
    sent = heartbeats(tablet)
    started = time.monotonic()

    # Nine seconds of typing, nothing saved: more than twice the idle period.
    allergy_details(tablet, case).click()
    tablet.keyboard.type("Latex, penicillin and iodine contrast", delay=250)
    expect(countdown(tablet)).to_be_hidden()
    # Then a few seconds of scrolling the page by the wheel.
    for _ in range(6):
        tablet.mouse.wheel(0, 200)
        tablet.wait_for_timeout(500)

    assert time.monotonic() - started > 10
    assert tablet.url.endswith(f"/cases/{case.pk}/")
    expect(countdown(tablet)).to_be_hidden()
    assert session_is_open(tablet, live_server)
    expect(allergy_details(tablet, case)).to_have_value("Latex, penicillin and iodine contrast")
    # At most one a second, not one a key.
    assert 4 <= len(sent) <= 14
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(sent))


def test_a_draft_comes_back_after_the_same_persons_pin_marked_and_unsaved(
    tablet, live_server, case, nurse, settings
):
    idle_period(settings, 4)
    log_in(tablet, live_server, "nurse")
    open_checklist(tablet, live_server, case)
    allergy_details(tablet, case).fill("Latex")
    lot = tablet.get_by_label("Lot")
    lot.fill("LOT-77")

    # Nobody touches the tablet: the countdown, then the switch screen.
    expect(countdown(tablet)).to_be_visible(timeout=5000)
    tablet.wait_for_url("**/switch/?next=**", timeout=6000)
    expect(
        tablet.get_by_text("You were signed out after a period without activity.")
    ).to_be_visible()
    assert drafts_kept(tablet) == [f"sitracker:draft:/cases/{case.pk}/"]

    idle_period(settings, 60)  # time enough to look at the page and save
    sign_in_with_pin(tablet, "Nora Nurse", "2468")
    tablet.wait_for_url(f"**/cases/{case.pk}/")
    expect(allergy_details(tablet, case)).to_have_value("Latex")
    expect(lot).to_have_value("LOT-77")
    row = tablet.locator(f"#step-{case.steps.get(title=ALLERGY).pk}")
    expect(row.get_by_text("Restored what you were typing. Not saved yet.")).to_be_visible()
    expect(
        tablet.get_by_role("status").filter(has_text="Restored what you were typing")
    ).to_be_visible()
    screenshot(tablet, "idle-draft-restored", full_page=False)
    assert serious_violations(tablet) == []
    assert drafts_kept(tablet) == []
    allergy = case.steps.get(title=ALLERGY)
    assert (allergy.status, allergy.note) == (StepStatus.PENDING, "")
    assert not AuditEvent.objects.filter(step=allergy).exists()

    # Saving it is the person's own tap.
    row.get_by_role("button", name=f"Yes: {ALLERGY}").click()
    expect(row.get_by_text("Restored what you were typing")).to_have_count(0)
    expect(row).to_contain_text("Note: Latex")
    allergy.refresh_from_db()
    assert (allergy.status, allergy.value, allergy.note) == (StepStatus.DONE, "yes", "Latex")


def test_another_person_gets_a_clean_page_and_the_draft_is_thrown_away(
    tablet, live_server, case, settings
):
    idle_period(settings, 4)
    log_in(tablet, live_server, "nurse")
    open_checklist(tablet, live_server, case)
    allergy_details(tablet, case).fill("Latex")
    tablet.wait_for_url("**/switch/?next=**", timeout=8000)

    sign_in_with_pin(tablet, "Sam Scrub", "1357")
    tablet.wait_for_url(f"**/cases/{case.pk}/")
    expect(allergy_details(tablet, case)).to_have_value("")
    expect(tablet.get_by_text("Restored what you were typing")).to_have_count(0)
    assert drafts_kept(tablet) == []


def test_a_draft_is_kept_when_the_poll_hears_of_the_logoff_first(
    tablet, live_server, case, settings
):
    """The server is the authority: a session it ended sooner than the page expected (its clock,
    another tab) is first heard of by the live-sync poll; the typing is kept all the same."""
    idle_period(settings, 60)
    log_in(tablet, live_server, "nurse")
    open_checklist(tablet, live_server, case)
    allergy_details(tablet, case).fill("Latex")

    cookie = next(c for c in tablet.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=cookie["value"])
    session[LAST_ACTIVITY] = int(time.time()) - 61
    session.save()

    tablet.wait_for_url("**/switch/?next=**", timeout=6000)  # the poll runs every 3 s
    sign_in_with_pin(tablet, "Nora Nurse", "2468")
    tablet.wait_for_url(f"**/cases/{case.pk}/")
    expect(allergy_details(tablet, case)).to_have_value("Latex")
