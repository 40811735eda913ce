"""A tap the database could not take: the row says "Not saved", and the next tap saves it."""

import pytest
from django.db import connection
from playwright.sync_api import expect

from checklists.choices import AuditAction
from checklists.models import AuditEvent, Case
from procedures.models import Procedure
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.conftest import make_case
from tests.outages import short_busy_timeout, sqlite_write_lock_held

pytestmark = [
    pytest.mark.browser,
    browser_test,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock"),
]

IDENTITY = "Patient identity confirmed (name, date of birth, MRN)"


@pytest.fixture
def case(nurse, surgeon):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    return make_case(procedure, actor=nurse, surgeon=surgeon, laterality="left")


def test_a_tick_while_the_database_is_locked_shows_not_saved_in_its_row(page, live_server, case):
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    step = case.steps.get(title=IDENTITY)
    row = page.locator(f"#step-{step.pk}")
    tick = page.get_by_role("button", name=f"Mark done: {IDENTITY}")

    with short_busy_timeout(), sqlite_write_lock_held():
        tick.click()
        alert = row.get_by_role("alert")
        expect(alert).to_have_text(
            "Not saved — the database could not take this change just now, so none of it was "
            "recorded. Wait a few seconds and try again."
        )
        expect(row).to_contain_text("To do")
        assert serious_violations(page) == []
        row.scroll_into_view_if_needed()
        screenshot(page, "not-saved-row-1024x768", full_page=False)

    assert not AuditEvent.objects.filter(step=step).exists()

    tick.click()
    expect(row).to_contain_text("Recorded by Nora Nurse")
    expect(row.get_by_text("Not saved")).to_have_count(0)
    assert AuditEvent.objects.get(step=step).action == AuditAction.STEP_RECORDED


def test_scheduling_while_the_database_is_locked_shows_the_not_saved_page(
    page, live_server, nurse, surgeon
):
    log_in(page, live_server, "nurse")
    page.get_by_role("link", name="Schedule a case").click()
    page.get_by_label("MRN").fill("MRN-778812")
    page.get_by_label("Patient name").fill("Jordan Example")
    page.get_by_label("Date of birth").fill("1964-05-17")
    page.get_by_role("group", name="Procedure").get_by_role("radio").first.check()
    page.get_by_label("Left", exact=True).check()
    page.get_by_label("Sue Surgeon").check()
    page.get_by_label("OR 4", exact=True).check()

    with short_busy_timeout(), sqlite_write_lock_held():
        page.get_by_role("button", name="Schedule case").click()
        expect(page.get_by_role("heading", name="Not saved", level=1)).to_be_visible()

    expect(page.get_by_text("Wait a few seconds and try again.")).to_be_visible()
    assert "Jordan Example" not in page.content()
    assert serious_violations(page) == []
    screenshot(page, "not-saved-page-1024x768", full_page=False)
    assert not Case.objects.exists()
