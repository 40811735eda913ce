"""A clinical lead changes a procedure in the admin at 1366x768: inserts a step between two
others by dragging it there, types its options one per line, and publishes, in at most ten
interactions; a case scheduled before keeps the old steps, one scheduled after has the new."""

import pytest
from playwright.sync_api import expect

from procedures.choices import Phase, VersionStatus
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.conftest import make_case
from tests.procedures.test_admin import make_procedure

pytestmark = [pytest.mark.browser, browser_test]


def serious_violations_of_admin_page(page, csp_violations) -> list[dict]:
    assert csp_violations == []
    found = serious_violations(page)
    # axe itself adds <style> elements to read the admin's @import-ed style sheets.
    csp_violations.clear()
    return found


def titles(case) -> list[str]:
    return list(case.steps.order_by("position").values_list("title", flat=True))


def test_a_lead_inserts_a_step_by_dragging_and_publishes_in_ten_interactions(
    page, live_server, administrator, nurse, surgeon, csp_violations
):
    procedure = make_procedure(
        "Knee check",
        [
            (Phase.SIGN_IN, "Identity confirmed"),
            (Phase.TIME_OUT, "Side confirmed aloud"),
            (Phase.PROCEDURE, "Incision made"),
            (Phase.PROCEDURE, "Wound closed"),
            (Phase.SIGN_OUT, "Counts correct"),
        ],
    )
    before = make_case(procedure, actor=nurse, surgeon=surgeon)
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, live_server, "admin")
    interactions = 0

    page.goto(f"{live_server.url}/admin/procedures/procedure/{procedure.pk}/change/")
    interactions += 1
    page.get_by_role("button", name="Edit the steps").click()
    interactions += 1
    page.get_by_role("button", name="Add another Step").click()
    interactions += 1
    row = page.locator("tr.dynamic-steps").last
    row.locator("input[name$='-title']").fill("Drain placed")
    interactions += 1
    row.locator("select[name$='-role']").select_option(label="Surgeon")
    interactions += 1
    row.locator("select[name$='-kind']").select_option(label="Choice")
    interactions += 1
    row.locator("textarea[name$='-options']").fill("Yes\nNo\nNot applicable")
    interactions += 1
    wound_closed = page.locator("tr.has_original", has=page.locator("input[value='Wound closed']"))
    row.locator("td.original p").drag_to(wound_closed.locator("td.original p"))
    interactions += 1
    order = page.locator("tbody tr.has_original:not(.empty-form) input[name$='-title']")
    expect(order).to_have_count(6)
    shown = [order.nth(index).input_value() for index in range(6)]
    assert shown[2:5] == ["Incision made", "Drain placed", "Wound closed"], shown
    page.get_by_label("Change note").fill("Drain check added after the incision.")
    interactions += 1
    screenshot(page, "procedure-editor-1366", full_page=False)
    screenshot(page, "procedure-editor-1366-full")
    assert serious_violations_of_admin_page(page, csp_violations) == []
    page.get_by_role("button", name="Save and publish").click()
    interactions += 1

    expect(page.get_by_text("Version 2 of Knee check published")).to_be_visible()
    screenshot(page, "procedure-published-1366", full_page=False)
    assert interactions <= 10
    version = procedure.published_version()
    assert (version.number, version.status, version.published_by) == (
        2,
        VersionStatus.PUBLISHED,
        administrator,
    )
    drain = version.steps.get(title="Drain placed")
    assert (drain.phase, drain.options) == (Phase.PROCEDURE, ["Yes", "No", "Not applicable"])
    after = make_case(procedure, actor=nurse, surgeon=surgeon)
    assert "Drain placed" not in titles(before)
    assert titles(after)[2:5] == ["Incision made", "Drain placed", "Wound closed"]

    page.get_by_role("link", name="Compare versions").click()
    expect(page.get_by_text("“Drain placed” (Procedure), step 4")).to_be_visible()
    screenshot(page, "procedure-compare-1366", full_page=False)
    assert serious_violations_of_admin_page(page, csp_violations) == []
