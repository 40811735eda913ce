"""A clinical lead previews a draft at 1366x768, from the draft's page: the tablet's checklist,
its controls disabled, for one side and for both."""

import pytest
from playwright.sync_api import expect

from procedures.models import Procedure
from procedures.versions import start_draft
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.checklists.checklist_html import IDENTITY, MI

pytestmark = [pytest.mark.browser, browser_test]


def test_a_lead_previews_a_draft_for_each_side(page, live_server, administrator, csp_violations):
    draft = start_draft(procedure=Procedure.objects.get(slug=MI), by=administrator)
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, "admin")

    page.goto(f"{live_server.url}/admin/procedures/procedureversion/{draft.pk}/change/")
    page.get_by_role("link", name="Preview as the tablet shows it").click()

    expect(page.get_by_text(f"Preview of version {draft.number} (draft)")).to_be_visible()
    mark_done = page.get_by_role("button", name=f"Mark done: {IDENTITY}")
    expect(mark_done).to_be_disabled()
    screenshot(page, "procedure-preview-1366", full_page=False)
    assert serious_violations(page) == []

    page.get_by_role("link", name="Bilateral").click()
    expect(page.get_by_role("link", name="Bilateral")).to_have_attribute("aria-current", "page")
    # Each side's implant step, its log folded as on a new case (the step is not yet open).
    expect(page.get_by_text("Log an implant…")).to_have_count(2)
    page.get_by_text("Right side: 0 implants").scroll_into_view_if_needed()
    screenshot(page, "procedure-preview-bilateral-1366", full_page=False)
    assert serious_violations(page) == []
    assert csp_violations == []


def test_the_who_checklist_previews_its_three_phases(page, live_server, administrator):
    version = Procedure.objects.get(slug="who-surgical-safety-checklist").published_version()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, "admin")

    page.goto(f"{live_server.url}/procedures/versions/{version.pk}/preview/")

    stepper = page.get_by_role("navigation", name="Phases")
    expect(stepper.get_by_role("link")).to_have_count(3)
    for phase, total in (("Sign In", 7), ("Time Out", 7), ("Sign Out", 5)):
        expect(stepper.get_by_role("link", name=f"{phase} 0 of {total} recorded")).to_be_visible()
    screenshot(page, "procedure-preview-who-1366", full_page=False)
    assert serious_violations(page) == []
