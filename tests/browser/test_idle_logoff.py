"""Automatic logoff on a shared tablet, seen from the tablet."""

import pytest
from playwright.sync_api import expect

from accounts import pins
from tests.browser.conftest import browser_test, enrol, idle_past_the_limit, log_in

pytestmark = [pytest.mark.browser, browser_test]


def choose(page, name: str) -> None:
    page.get_by_role("group", name="Who is taking over the tablet?").get_by_text(name).click()


@pytest.fixture
def short_idle(page, settings):
    """The one-minute setting, the page on Playwright's clock (``idle_past_the_limit``)."""
    settings.SESSION_IDLE_TIMEOUT = 60  # the live server reads settings per request
    page.clock.install()


def test_an_idle_tablet_goes_to_the_switch_screen_keeping_drafts_but_not_patients(
    page, live_server, nurse, scrub, administrator, short_idle
):
    enrol(page, live_server, by=administrator)
    pins.set_pin(user=nurse, pin="2468")
    pins.set_pin(user=scrub, pin="1357")
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/new/")
    page.get_by_label("MRN").fill("MRN-IDLE-1")
    page.get_by_label("Scheduled start").fill("2031-02-03T09:15")

    # Nobody touches the tablet: it leaves for the switch screen by itself.
    idle_past_the_limit(page)
    page.wait_for_url("**/switch/?next=%2Fcases%2Fnew%2F")
    expect(page.get_by_role("heading", name="Who is using this tablet?")).to_be_visible()

    # Someone else takes over: the nurse's draft is not theirs to see.
    choose(page, "Sam Scrub")
    page.get_by_label("PIN").fill("1357")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_url("**/cases/new/")
    expect(page.get_by_label("Scheduled start")).not_to_have_value("2031-02-03T09:15")
    expect(page.get_by_label("MRN")).to_have_value("")


def test_the_same_person_coming_back_finds_the_draft_without_the_patient(
    page, live_server, nurse, administrator, short_idle
):
    enrol(page, live_server, by=administrator)
    pins.set_pin(user=nurse, pin="2468")
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/new/")
    page.get_by_label("MRN").fill("MRN-IDLE-2")
    page.get_by_label("Patient name").fill("Idle Example")
    page.get_by_label("Scheduled start").fill("2031-02-03T09:15")

    idle_past_the_limit(page)
    page.wait_for_url("**/switch/**")
    choose(page, "Nora Nurse")
    page.get_by_label("PIN").fill("2468")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_url("**/cases/new/")

    expect(page.get_by_label("Scheduled start")).to_have_value("2031-02-03T09:15")
    expect(page.get_by_label("MRN")).to_have_value("")
    expect(page.get_by_label("Patient name")).to_have_value("")
