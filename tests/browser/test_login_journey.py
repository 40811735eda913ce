import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_test, log_in, serious_violations

pytestmark = [pytest.mark.browser, browser_test]


def test_a_nurse_logs_in_and_sees_her_name_and_role(page, live_server, nurse):
    log_in(page, live_server, "nurse")
    expect(page.get_by_text("Nora Nurse")).to_be_visible()
    expect(page.get_by_text("OR staff")).to_be_visible()


def test_the_login_page_has_no_serious_accessibility_violations(page, live_server, db):
    page.goto(f"{live_server.url}/accounts/login/")
    assert serious_violations(page) == []


def test_a_wrong_password_is_announced(page, live_server, nurse):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("nurse")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
