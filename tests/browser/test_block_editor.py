"""A clinical lead edits a shared block at 1366x768 (the SI joint fusion Time Out): rewords a
step, previews it inside a procedure as the tablet shows it, and publishes it; both SI
procedures get a new version with the block's note, a case scheduled before keeps its steps,
and the procedure's draft shows the block's steps read-only."""

import pytest
from playwright.sync_api import expect

from procedures.models import Block, Procedure
from tests.browser.conftest import browser_test, log_in, screenshot
from tests.browser.test_procedure_editor import serious_violations_of_admin_page
from tests.conftest import make_case

pytestmark = [pytest.mark.browser, browser_test]

OLD = "Team members introduced by name and role"
NEW = "Every team member introduced by name and role"


def test_a_lead_edits_a_block_previews_it_and_publishes_its_procedures(
    page, live_server, administrator, nurse, surgeon, csp_violations
):
    open_fusion = Procedure.objects.get(slug="si-fusion-open")
    before = make_case(open_fusion, actor=nurse, surgeon=surgeon)
    block = Block.objects.get(slug="si-fusion-time-out")
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, "admin")

    page.goto(f"{live_server.url}/admin/procedures/block/{block.pk}/change/")
    expect(page.get_by_role("heading", name="Procedures that include it")).to_be_visible()
    page.get_by_role("button", name="Edit the steps").click()
    page.locator(f"input[name$='-title'][value='{OLD}']").fill(NEW)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(f"input[name$='-title'][value='{NEW}']")).to_have_count(1)
    screenshot(page, "block-editor-1366", full_page=False)
    assert serious_violations_of_admin_page(page, csp_violations) == []

    page.get_by_role("link", name="Preview in a procedure, as the tablet shows it").click()
    expect(page.get_by_text(NEW).first).to_be_visible()
    page.get_by_role("link", name="SI joint fusion — open").click()
    expect(
        page.get_by_text("in SI joint fusion — open, as the tablet will show it")
    ).to_be_visible()
    screenshot(page, "block-preview-1366", full_page=False)
    page.get_by_role("link", name="Back to SI joint fusion Time Out version 2").click()

    page.get_by_label("Change note").fill("The WHO's words for the introductions.")
    page.get_by_role("button", name="Save and publish").click()
    expect(page.get_by_text("published, and with it 2 procedure versions")).to_be_visible()

    version = open_fusion.published_version()
    assert version.number == 3
    assert version.steps.filter(title=NEW).exists()
    before.refresh_from_db()
    assert before.steps.filter(title=OLD).exists()
    assert make_case(open_fusion, actor=nurse, surgeon=surgeon).steps.filter(title=NEW).exists()

    page.goto(f"{live_server.url}/admin/procedures/procedure/{open_fusion.pk}/change/")
    page.get_by_role("button", name="Edit the steps").click()
    expect(
        page.get_by_text("SI joint fusion Time Out v2: edited in the block only").first
    ).to_be_visible()
    expect(page.locator(f"input[name$='-title'][value='{NEW}']")).to_be_disabled()
    screenshot(page, "procedure-draft-with-block-1366", full_page=False)
