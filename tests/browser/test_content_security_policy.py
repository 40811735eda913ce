"""The Content Security Policy in a real browser: it blocks what it should, and the admin and
the dashboard's Chart.js work under it. (htmx's pages are proved by the journeys: every
browser test fails on a CSP violation, see ``csp_violations`` in conftest.py.)"""

import pytest
from playwright.sync_api import expect

from checklists import workflow
from tests.browser.conftest import browser_test, log_in
from tests.conftest import PASSWORD, make_case, make_procedure, record

pytestmark = [pytest.mark.browser, browser_test]

INJECT_INLINE_SCRIPT = """() => {
    const script = document.createElement("script");
    script.textContent = "window.injected = true;";
    document.body.append(script);
    return window.injected === true;
}"""


def test_the_browser_refuses_an_injected_inline_script(page, live_server, nurse, csp_violations):
    log_in(page, live_server, "nurse")

    assert page.evaluate(INJECT_INLINE_SCRIPT) is False

    page.wait_for_timeout(200)  # the console reports arrive asynchronously
    assert any("script-src" in violation for violation in csp_violations)
    csp_violations.clear()  # provoked on purpose


def test_an_administrator_works_in_the_admin_under_the_policy(page, live_server, administrator):
    log_in(page, live_server, "admin")

    page.goto(f"{live_server.url}/admin/procedures/procedure/")
    page.get_by_role("link", name="SI joint fusion — open").click()
    page.get_by_role("button", name="Edit the steps").click()  # its draft, sortable
    # The inline formset's "Add another" row is made by Django's JavaScript, and so is the new row.
    add_step = page.get_by_role("button", name="Add another Step")
    expect(add_step).to_be_visible()
    steps_before = page.locator("tr.dynamic-steps").count()
    add_step.click()
    expect(page.locator("tr.dynamic-steps")).to_have_count(steps_before + 1)

    page.goto(f"{live_server.url}/admin/checklists/auditevent/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto(f"{live_server.url}/admin/auth/user/add/")
    expect(page.get_by_label("Username")).to_be_visible()


def test_the_dashboard_draws_its_charts_under_the_policy(
    page, live_server, reviewer, nurse, surgeon
):
    case = make_case(make_procedure({"title": "Only step"}), actor=nurse, surgeon=surgeon)
    record(case, "Only step", nurse)
    workflow.sign_out(actor=surgeon, case_id=case.pk, password=PASSWORD)
    log_in(page, live_server, "reviewer")

    page.goto(f"{live_server.url}/review/dashboard/")

    page.wait_for_function("() => window.Chart && Chart.getChart('chart-months')")
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas')].map(c => Boolean(Chart.getChart(c)))"
    )
    assert drawn and all(drawn)


CAMERA_QUERY = """() => {
    return {
        policy: document.featurePolicy ? document.featurePolicy.allowsFeature("camera") : null,
        geolocation: document.featurePolicy
            ? document.featurePolicy.allowsFeature("geolocation") : null,
    };
}"""


def test_the_permissions_policy_is_understood_and_denies_the_camera(page, live_server, nurse):
    """Chromium warns on the console about a feature it does not know: the policy names none
    such, and the features it names are off for the page."""
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    log_in(page, live_server, "nurse")

    allowed = page.evaluate(CAMERA_QUERY)

    page.wait_for_timeout(200)  # console reports arrive asynchronously
    assert [text for text in console if "Permissions-Policy" in text or "feature" in text] == []
    assert allowed == {"policy": False, "geolocation": False}
