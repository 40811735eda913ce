"""The API's documentation (Swagger UI, from our own static files) in a real browser: an
administrator reads every operation under the Content Security Policy (``csp_violations``
fails the test on any refused script or style)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_test, log_in

pytestmark = [pytest.mark.browser, browser_test]


def test_an_administrator_reads_the_apis_operations(page, live_server, administrator):
    log_in(page, live_server, "admin")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(f"{live_server.url}/api/docs/")

    expect(page.get_by_text("SI Tracker API").first).to_be_visible()
    for path in ("/api/v1/cases/", "/api/v1/cases/{case_id}/steps/{step_id}/"):
        expect(page.get_by_text(path, exact=True).first).to_be_visible()
    assert all(url.startswith(live_server.url) for url in requested)  # no CDN
