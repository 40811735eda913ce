"""The debrief on the tablet, at 1024x768: an action added at Sign Out is briefed at the next
case's Sign In in the same room, and closed there with a note; axe clean on both."""

import pytest
from playwright.sync_api import expect

from checklists.models import DebriefAction
from procedures.models import Procedure
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.conftest import make_case

pytestmark = [pytest.mark.browser, browser_test]


def test_an_action_added_at_sign_out_is_briefed_and_closed_at_the_next_sign_in(
    page, live_server, nurse, surgeon
):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    first = make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 3")
    second = make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 3")
    log_in(page, live_server, nurse.username)

    page.goto(f"{live_server.url}/cases/{first.pk}/")
    page.get_by_label("What is to be done").fill("Order 7.0 mm drill bits")
    page.get_by_label("Owner").select_option(label="Scrub tech")
    page.get_by_role("button", name="Add the action").click()
    expect(page.locator(".debrief-actions")).to_contain_text("Order 7.0 mm drill bits")
    assert serious_violations(page) == []
    page.locator(".debrief").scroll_into_view_if_needed()
    screenshot(page, "debrief-sign-out", full_page=False)

    page.goto(f"{live_server.url}/cases/{second.pk}/")
    briefing = page.get_by_role("region", name="Open actions from earlier cases")
    expect(briefing).to_contain_text("Order 7.0 mm drill bits")
    expect(briefing).to_contain_text("Scrub tech")
    assert serious_violations(page) == []
    screenshot(page, "debrief-briefing", full_page=False)
    page.goto(f"{live_server.url}/cases/{second.pk}/")  # afresh after the screenshot
    briefing.get_by_text("Close…").click()
    briefing.get_by_label("What was done").fill("Ordered; in stock Monday")
    briefing.get_by_role("button", name="Close the action").click()

    expect(page.get_by_text("Debrief action closed.")).to_be_visible()
    expect(page.get_by_role("region", name="Open actions from earlier cases")).to_have_count(0)
    action = DebriefAction.objects.get()
    assert (action.closed_by, action.closing_note) == (nurse, "Ordered; in stock Monday")
