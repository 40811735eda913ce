"""A nurse opens a case's review record in an emergency, on the tablet: from the checklist, a
reason, the record, and the banner that stays on every page while the access lasts."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.browser.test_board_pages import small_targets
from tests.conftest import make_procedure
from tests.review.conftest import STEPS, signed_out

pytestmark = [pytest.mark.browser, browser_test]

REASON = "Patient back in theatre: the team needs the implants logged at the first operation."


def test_a_nurse_opens_a_record_in_an_emergency(page, live_server, nurse, surgeon):
    procedure = make_procedure(*STEPS, title="Small fusion", slug="small-fusion")
    case = signed_out(procedure, nurse=nurse, surgeon=surgeon, patient_name="Pat Example")
    log_in(page, live_server, "nurse")

    page.get_by_role("link", name=re.compile("Small fusion")).click()
    link = page.get_by_role("link", name="Emergency access to the record…")
    link.scroll_into_view_if_needed()
    screenshot(page, "emergency-access-checklist-link", full_page=False)
    link.click()

    expect(page.get_by_role("heading", name=f"Emergency access to case {case.pk}")).to_be_visible()
    expect(page.get_by_text("Pat Example")).to_have_count(0)  # no identity before the reason
    assert serious_violations(page) == []
    assert small_targets(page) == []
    screenshot(page, "emergency-access-confirm")

    page.get_by_role("button", name="Open the record").click()  # no reason yet
    expect(page.get_by_text("Give the reason you need this record")).to_be_visible()

    page.get_by_label("Why do you need this record now?").fill(REASON)
    page.get_by_role("button", name="Open the record").click()

    expect(page.get_by_role("heading", name=f"Case {case.pk}: Small fusion")).to_be_visible()
    expect(page.locator(".record-facts").get_by_text("Pat Example")).to_be_visible()
    banner = page.locator("#emergency-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(f"the record of case {case.pk}")
    expect(banner).to_contain_text(re.compile(r"\b(29|30) min left"))
    expect(page.get_by_role("button", name="Mark reviewed")).to_have_count(0)
    expect(page.locator("#views-heading")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "emergency-access-record", full_page=False)
    page.locator("#views-heading").scroll_into_view_if_needed()
    screenshot(page, "emergency-access-who-viewed", full_page=False)

    page.get_by_role("link", name="Today's board").first.click()
    expect(page.locator("#emergency-banner")).to_contain_text(f"the record of case {case.pk}")
    assert serious_violations(page) == []
