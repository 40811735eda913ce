"""Idle logoff on the checklist at 1024x768, at the one-minute setting (the countdown then takes
the last 30 s; at the default 15 minutes, the last minute): taps, typing and scrolling keep the
session, the countdown says when it is about to end, and what was typed comes back to the same
person after their PIN, and to nobody else.

The page runs on Playwright's clock, moved forward by the test; the server's session is aged by
moving its last activity back (``move_session_clock``). So a minute passes in a moment, and the
tests do not depend on how busy the machine is.
"""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from accounts import pins
from checklists.choices import StepStatus
from checklists.models import AuditEvent
from procedures.models import Procedure
from tests.browser.conftest import (
    browser_test,
    element_screenshot,
    enrol,
    idle_past_the_limit,
    log_in,
    move_session_clock,
    screenshot,
    serious_violations,
)
from tests.conftest import make_case, record

pytestmark = [pytest.mark.browser, browser_test]

IDENTITY = "Patient identity confirmed (name, date of birth, MRN)"
ALLERGY = "Known allergy"
OXIMETER = "Pulse oximeter on and working"
HEARTBEAT = "/session/heartbeat/"
# Matched, not waited for as a navigation: the page and its poll may both go there at once.
SWITCH_SCREEN = re.compile(r"/switch/\?next=")


@pytest.fixture
def case(nurse, surgeon):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="left")
    record(case, IDENTITY, nurse)  # the hard stop: the rows after it open
    return case


@pytest.fixture
def tablet(page, live_server, administrator, nurse, scrub, settings):
    """An enrolled tablet (its switch screen lists names) on its own clock, the one-minute
    setting, the nurse and the scrub with PINs."""
    settings.SESSION_IDLE_TIMEOUT = 60  # the live server reads settings per request
    enrol(page, live_server, by=administrator)
    pins.set_pin(user=nurse, pin="2468")
    pins.set_pin(user=scrub, pin="1357")
    page.clock.install()
    return page


def heartbeats(page: Page) -> list[str]:
    """The heartbeats the page sends from now on."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.method) if HEARTBEAT in r.url else None)
    return sent


def open_checklist(page: Page, live_server, case) -> None:
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(page.get_by_role("heading", name=case.procedure.title)).to_be_visible()


def countdown(page: Page):
    return page.get_by_role("alertdialog", name="Signing out in")


def allergy_details(page: Page, case):
    return page.locator(f"#note-{case.steps.get(title=ALLERGY).pk}")


def at_the_switch_screen(page: Page) -> None:
    expect(page).to_have_url(SWITCH_SCREEN)
    expect(page.get_by_role("heading", name="Who is using this tablet?")).to_be_visible()


def sign_in_with_pin(page: Page, name: str, pin: str) -> None:
    page.get_by_role("group", name="Who is taking over the tablet?").get_by_text(name).click()
    page.get_by_label("PIN").fill(pin)
    page.get_by_role("button", name="Switch").click()


def last_activity(page: Page) -> float:
    """The session's last activity as the server recorded it."""
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.middleware import LAST_ACTIVITY

    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    return SessionStore(session_key=cookie["value"])[LAST_ACTIVITY]


def eventually(check, seconds: float = 5) -> bool:
    """Whether ``check()`` comes true within ``seconds`` (a request of the page's answered)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def drafts_kept(page: Page) -> list[str]:
    return page.evaluate(
        "Object.keys(sessionStorage).filter((key) => key.startsWith('sitracker:draft:'))"
    )


def test_the_countdown_shows_in_the_last_half_minute_and_a_tap_keeps_the_session(
    tablet, live_server, case
):
    log_in(tablet, live_server, "nurse")
    sent = heartbeats(tablet)
    open_checklist(tablet, live_server, case)

    tablet.clock.fast_forward("00:25")
    expect(countdown(tablet)).to_be_hidden()
    tablet.clock.fast_forward("00:06")
    expect(countdown(tablet)).to_be_visible()
    expect(countdown(tablet)).to_contain_text(re.compile(r"Signing out in 0:2\d — tap anywhere"))
    assert sent == [], "nobody touched the tablet: the poll and the clock send no heartbeat"
    screenshot(tablet, "idle-countdown", full_page=False)
    element_screenshot(countdown(tablet), "idle-countdown-dialog")
    assert serious_violations(tablet) == []
    move_session_clock(tablet, 31)  # the server's half minute, as the page's
    before = last_activity(tablet)

    with tablet.expect_response(lambda answer: HEARTBEAT in answer.url) as heartbeat:
        tablet.mouse.click(40, 700)  # anywhere: the page behind the dialog is out of reach

    expect(countdown(tablet)).to_be_hidden()
    assert sent == ["POST"]
    assert heartbeat.value.status == 204
    assert last_activity(tablet) > before
    assert case.steps.get(title=ALLERGY).status == StepStatus.PENDING  # the tap pressed nothing
    # Past the end the session had before the tap: still here, the countdown back for the
    # last half minute of the tap's own minute.
    move_session_clock(tablet, 35)
    tablet.clock.fast_forward("00:35")
    expect(countdown(tablet)).to_be_visible()
    assert tablet.url.endswith(f"/cases/{case.pk}/")
    assert tablet.request.get(f"{live_server.url}/", max_redirects=0).status == 200


def test_a_key_also_dismisses_the_countdown(tablet, live_server, case):
    log_in(tablet, live_server, "nurse")
    sent = heartbeats(tablet)
    open_checklist(tablet, live_server, case)
    tablet.clock.fast_forward("00:40")
    expect(countdown(tablet)).to_be_visible()

    tablet.keyboard.press("a")

    expect(countdown(tablet)).to_be_hidden()
    assert sent == ["POST"]
    tablet.clock.fast_forward("00:35")
    assert tablet.url.endswith(f"/cases/{case.pk}/")


def test_the_page_leaves_for_the_switch_screen_when_the_session_ends(tablet, live_server, case):
    log_in(tablet, live_server, "nurse")
    open_checklist(tablet, live_server, case)

    idle_past_the_limit(tablet)

    expect(tablet).to_have_url(re.compile(rf"/switch/\?next=%2Fcases%2F{case.pk}%2F$"))
    expect(
        tablet.get_by_text("You were signed out after a period without activity.")
    ).to_be_visible()


def test_typing_and_scrolling_count_as_activity(tablet, live_server, case):
    log_in(tablet, live_server, "nurse")
    open_checklist(tablet, live_server, case)
    sent = heartbeats(tablet)
    first = last_activity(tablet)

    # A minute and a half of typing, ten seconds at a time, nothing saved.
    allergy_details(tablet, case).click()
    for word in ["Latex ", "and ", "penicillin, ", "rash ", "and ", "wheeze ", "in ", "2019 ", "."]:
        tablet.keyboard.type(word)
        tablet.clock.fast_forward("00:10")
        expect(countdown(tablet)).to_be_hidden()
    assert 3 <= len(sent) <= 6, "a heartbeat every 15 s at most, never one a key"
    typed = len(sent)
    # Then a minute of scrolling with the wheel, a turn every 5 s (Chromium may merge wheel
    # events that come close together in real time, as these do).
    for _ in range(12):
        tablet.mouse.wheel(0, 100)
        tablet.clock.fast_forward("00:05")
        expect(countdown(tablet)).to_be_hidden()
    assert len(sent) - typed >= 2

    assert tablet.url.endswith(f"/cases/{case.pk}/")
    assert eventually(lambda: last_activity(tablet) > first)
    expect(allergy_details(tablet, case)).to_have_value(
        "Latex and penicillin, rash and wheeze in 2019 ."
    )
    # Hands off: the countdown comes (the last heartbeat was at most 20 s ago).
    tablet.clock.fast_forward("00:35")
    expect(countdown(tablet)).to_be_visible()


def test_typing_while_a_heartbeat_is_on_its_way_counts_too(tablet, live_server, case):
    """A slow network: the heartbeat is unanswered while the person types on. Once it is
    answered the page sends another, or the countdown would come as if they had stopped when
    it left."""
    log_in(tablet, live_server, "nurse")
    open_checklist(tablet, live_server, case)
    held = []  # the first heartbeat, held on its way; the others go through

    def hold_the_first(route):
        if held:
            route.continue_()
        else:
            held.append(route)

    tablet.route(f"**{HEARTBEAT}", hold_the_first)
    sent = heartbeats(tablet)
    allergy_details(tablet, case).click()
    tablet.clock.fast_forward("00:15")
    with tablet.expect_request(lambda request: HEARTBEAT in request.url):
        tablet.keyboard.type("Latex")
    tablet.clock.fast_forward("00:20")
    tablet.keyboard.type(" and penicillin")  # the first heartbeat still on its way
    assert sent == ["POST"]

    with tablet.expect_request(lambda request: HEARTBEAT in request.url, timeout=5000) as again:
        held[0].continue_()

    assert again.value.response().status == 204
    assert sent == ["POST", "POST"]
    # 20 s after the last key, 40 s after the first heartbeat left: no countdown yet.
    tablet.clock.fast_forward("00:20")
    expect(countdown(tablet)).to_be_hidden()
    tablet.clock.fast_forward("00:11")
    expect(countdown(tablet)).to_be_visible()


def test_a_draft_comes_back_after_the_same_persons_pin_marked_and_unsaved(
    tablet, live_server, case
):
    log_in(tablet, live_server, "nurse")
    open_checklist(tablet, live_server, case)
    allergy_details(tablet, case).fill("Latex")
    # A reason typed in a panel opened by hand (it opens again for the draft).
    oximeter = tablet.locator(f"#step-{case.steps.get(title=OXIMETER).pk}")
    oximeter.locator("summary", has_text="Not applicable…").click()
    na_reason = oximeter.get_by_label(f"Reason why “{OXIMETER}” does not apply")
    na_reason.fill("Awake case")

    idle_past_the_limit(tablet)
    at_the_switch_screen(tablet)
    assert drafts_kept(tablet) == [f"sitracker:draft:/cases/{case.pk}/"]
    sign_in_with_pin(tablet, "Nora Nurse", "2468")

    tablet.wait_for_url(f"**/cases/{case.pk}/")
    expect(allergy_details(tablet, case)).to_have_value("Latex")
    expect(na_reason).to_have_value("Awake case")
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


def test_another_person_gets_a_clean_page_and_the_draft_is_thrown_away(tablet, live_server, case):
    log_in(tablet, live_server, "nurse")
    open_checklist(tablet, live_server, case)
    allergy_details(tablet, case).fill("Latex")
    idle_past_the_limit(tablet)
    at_the_switch_screen(tablet)

    sign_in_with_pin(tablet, "Sam Scrub", "1357")

    tablet.wait_for_url(f"**/cases/{case.pk}/")
    expect(allergy_details(tablet, case)).to_have_value("")
    expect(tablet.get_by_text("Restored what you were typing")).to_have_count(0)
    assert drafts_kept(tablet) == []


def test_a_draft_is_kept_when_the_poll_hears_of_the_logoff_first(tablet, live_server, case, scrub):
    """The server is the authority: a session it ended sooner than the page expected (another
    tab, a clock) is first heard of by the live-sync poll; the typing is kept all the same, and
    the row says so when it changed meanwhile."""
    log_in(tablet, live_server, "nurse")
    open_checklist(tablet, live_server, case)
    allergy_details(tablet, case).fill("Latex")

    move_session_clock(tablet, 61)  # the server's minute only: the page still has one
    tablet.clock.fast_forward("00:03")  # the poll's next turn

    at_the_switch_screen(tablet)
    record(case, ALLERGY, scrub, value="no")  # on another tablet, meanwhile
    sign_in_with_pin(tablet, "Nora Nurse", "2468")
    tablet.wait_for_url(f"**/cases/{case.pk}/")
    expect(allergy_details(tablet, case)).to_have_value("Latex")  # in its opened "Change…"
    expect(allergy_details(tablet, case)).to_be_visible()
    expect(tablet.get_by_text("this step changed since, so check it first")).to_be_visible()
