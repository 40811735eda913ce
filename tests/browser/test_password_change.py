"""Changing one's own password, as a person does it from the menu."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, browser_test]

NEW = "Sacrum-Iliac-2031"
NEW_PASSWORD = "New password*"  # the first of the two, exactly (crispy marks it required)


def test_a_surgeon_changes_her_password_from_the_menu(page, live_server, surgeon):
    log_in(page, live_server, "surgeon")

    page.get_by_text("Sue Surgeon").click()  # her own menu
    page.get_by_role("link", name="My password").click()
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label(NEW_PASSWORD, exact=True).fill("short")
    page.get_by_label("New password confirmation").fill("short")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("This password is too short.")).to_be_visible()
    screenshot(page, "password-change-refused")

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label(NEW_PASSWORD, exact=True).fill(NEW)
    page.get_by_label("New password confirmation").fill(NEW)
    page.get_by_role("button", name="Change password").click()

    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("status")).to_contain_text("Your password is changed.")
    expect(page.get_by_text("Sue Surgeon")).to_be_visible()  # still signed in
    screenshot(page, "password-change-done", full_page=False)
    surgeon.refresh_from_db()
    assert surgeon.check_password(NEW)


def test_the_header_fits_an_administrators_tablet_and_her_menu_opens_and_closes(
    page, live_server, administrator
):
    log_in(page, live_server, "admin")
    header = page.get_by_role("navigation", name="Main")
    for name in ("Today's board", "Review", "Admin"):
        expect(header.get_by_role("link", name=name)).to_be_visible()
    expect(header.get_by_role("button", name="Log out")).to_be_in_viewport()
    assert header.bounding_box()["height"] < 80, "the header wraps onto a second line"
    own = header.get_by_role("link", name="My PIN")
    expect(own).to_be_hidden()

    header.get_by_text("Ada Admin").click()
    expect(own).to_be_visible()
    expect(header.get_by_role("link", name="My password")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "menu-administrator-open", full_page=False)
    page.keyboard.press("Escape")
    expect(own).to_be_hidden()
    header.get_by_text("Ada Admin").click()
    page.get_by_role("heading", name="Today").click()  # a tap elsewhere
    expect(own).to_be_hidden()
