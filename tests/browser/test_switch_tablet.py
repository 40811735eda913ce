"""The switch screen on an enrolled tablet (names) and anywhere else (a username)."""

import pytest
from playwright.sync_api import expect

from accounts import pins
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations

pytestmark = [pytest.mark.browser, browser_test]


@pytest.fixture
def with_pins(nurse, scrub):
    pins.set_pin(user=nurse, pin="2468")
    pins.set_pin(user=scrub, pin="1357")


def test_an_administrator_enrols_a_tablet_and_its_switch_screen_lists_names(
    page, live_server, administrator, with_pins
):
    page.goto(f"{live_server.url}/switch/")
    expect(page.get_by_text("Nora Nurse")).to_have_count(0)

    log_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/devices/enrol/")
    assert serious_violations(page) == []
    screenshot(page, "enrol-tablet", full_page=False)
    page.get_by_label("Name of this tablet").fill("OR 3 cart")
    page.get_by_role("button", name="Enrol this tablet").click()
    expect(page.get_by_role("status").first).to_contain_text("enrolled as “OR 3 cart”")
    page.get_by_role("button", name="Log out").click()

    page.goto(f"{live_server.url}/switch/")
    people = page.get_by_role("group", name="Who is taking over the tablet?")
    expect(people.get_by_text("Nora Nurse")).to_be_visible()
    expect(people.get_by_text("Sam Scrub")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "switch-enrolled-tablet", full_page=False)
    people.get_by_text("Sam Scrub").click()
    expect(page.get_by_label("PIN")).to_be_focused()  # the tap on a name opens the keyboard
    page.keyboard.type("1357")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_text("Sam Scrub")).to_be_visible()


def test_elsewhere_a_person_switches_in_with_username_and_pin(page, live_server, with_pins):
    page.goto(f"{live_server.url}/switch/")
    expect(page.get_by_role("heading", name="Switch user")).to_be_visible()
    expect(page.get_by_text("Nora Nurse")).to_have_count(0)
    assert serious_violations(page) == []

    page.get_by_label("Your username").fill("nurse")
    page.get_by_label("PIN").fill("1111")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_text("Wrong username or PIN.")).to_be_visible()
    screenshot(page, "switch-username-refused", full_page=False)

    page.get_by_label("Your username").fill("nurse")
    page.get_by_label("PIN").fill("2468")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_text("Nora Nurse")).to_be_visible()
