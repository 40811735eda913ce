"""Low glare for dimmed theatres (fluoroscopy): Bootstrap's dark colour mode at 1024x768.

The tablet follows its device's setting (prefers-color-scheme) until someone taps "Low glare" in
the navbar; that choice stays with the tablet across pages and reloads. Every page is axe clean
in the dark mode as in the light one (the light one: the other browser tests).
"""

import pytest
from playwright.sync_api import Page, expect

from checklists import workflow
from checklists.models import CaseStep
from procedures.models import Procedure
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.conftest import make_case, record
from tests.review.conftest import _value, work_through

pytestmark = [pytest.mark.browser, browser_test]

IDENTITY = "Patient identity confirmed (name, date of birth, MRN)"
CONSENT = "Consent form signed"
TAP = 44


@pytest.fixture
def dark_tablet(browser, browser_context_args):
    """A tablet whose device is set to dark (as an iPad at night, or set so for theatres)."""
    context = browser.new_context(**browser_context_args, color_scheme="dark")
    yield context.new_page()
    context.close()


@pytest.fixture
def light_tablet(browser, browser_context_args):
    context = browser.new_context(**browser_context_args, color_scheme="light")
    yield context.new_page()
    context.close()


@pytest.fixture
def bilateral(nurse, surgeon):
    """A bilateral case under way: Sign In done but for a not-applicable row, consent answered
    "No" (the row that must stop the case), the Time Out pending, so later rows are locked."""
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="bilateral")
    for step in case.steps.filter(phase="sign_in").order_by("position"):
        if step.title == CONSENT:
            record(case, step.title, nurse, value="no")
        elif step.title == "Difficult airway or aspiration risk":
            record(case, step.title, nurse, status="na", na_reason="Regional anaesthesia")
        else:
            record(case, step.title, nurse, value=_value(step))
    return case


def theme(page: Page) -> str | None:
    return page.evaluate("document.documentElement.getAttribute('data-bs-theme')")


def toggle(page: Page):
    return page.get_by_role("button", name="Low glare")


def row(page: Page, step: CaseStep):
    return page.locator(f"#step-{step.pk}")


def test_the_checklist_follows_a_dark_device_and_is_axe_clean(dark_tablet, live_server, bilateral):
    log_in(dark_tablet, live_server, "nurse")
    dark_tablet.goto(f"{live_server.url}/cases/{bilateral.pk}/")
    assert theme(dark_tablet) == "dark"
    expect(toggle(dark_tablet)).to_have_attribute("aria-pressed", "true")
    assert serious_violations(dark_tablet) == []
    screenshot(dark_tablet, "low-glare-checklist-1024x768", full_page=False)
    screenshot(dark_tablet, "low-glare-checklist-whole")

    # An open "Change…" panel and a row's answer refused, as they show at the bedside.
    identity = bilateral.steps.get(title=IDENTITY)
    row(dark_tablet, identity).locator("summary", has_text="Change…").click()
    expect(row(dark_tablet, identity).get_by_role("button", name="Back to pending")).to_be_visible()
    # As the person sees it once the tap is over: the pointer gone, Bootstrap's colour
    # transitions (0.15 s) ended. Measured mid-transition, the contrast is neither colour's.
    dark_tablet.mouse.move(0, 0)
    dark_tablet.wait_for_timeout(300)
    assert serious_violations(dark_tablet) == []


def test_a_stop_row_is_axe_clean_and_legible_in_low_glare(dark_tablet, live_server, bilateral):
    consent = bilateral.steps.get(title=CONSENT)
    log_in(dark_tablet, live_server, "nurse")
    dark_tablet.goto(f"{live_server.url}/cases/{bilateral.pk}/#step-{consent.pk}")
    stop = row(dark_tablet, consent)
    expect(stop).to_contain_text("No")
    if hasattr(workflow, "override_stop"):  # the Stops of issue 13 (phases-and-Stops work)
        expect(stop).to_contain_text("Stop")
    else:
        expect(stop.locator(".step-warning")).to_contain_text("Sign-out needs the answer")
    assert serious_violations(dark_tablet) == []
    stop.scroll_into_view_if_needed()
    dark_tablet.evaluate("window.scrollBy(0, -180)")  # clear of the sticky header
    screenshot(dark_tablet, "low-glare-stop-row-1024x768", full_page=False)


def test_the_board_is_axe_clean_in_low_glare(dark_tablet, live_server, bilateral, nurse, surgeon):
    procedure = Procedure.objects.get(slug="si-fusion-open")
    make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 4")
    cancelled = make_case(procedure, actor=nurse, surgeon=surgeon, room="OR 12")
    workflow.cancel(actor=nurse, case_id=cancelled.pk, reason="Patient unwell")
    log_in(dark_tablet, live_server, "nurse")
    assert theme(dark_tablet) == "dark"
    assert serious_violations(dark_tablet) == []
    screenshot(dark_tablet, "low-glare-board-1024x768", full_page=False)


def test_the_review_record_is_axe_clean_in_low_glare(
    dark_tablet, live_server, nurse, surgeon, reviewer
):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="bilateral")
    work_through(case, nurse=nurse, surgeon=surgeon, na={"Specimens labelled": "No specimen"})
    log_in(dark_tablet, live_server, "reviewer")
    dark_tablet.goto(f"{live_server.url}/review/{case.pk}/")
    expect(dark_tablet.locator("#audit-chain")).to_have_text("Audit chain verified")
    assert theme(dark_tablet) == "dark"
    assert serious_violations(dark_tablet) == []
    screenshot(dark_tablet, "low-glare-review-record-1024x768", full_page=False)


def test_the_choice_is_kept_by_the_tablet_across_reloads_and_pages(
    light_tablet, live_server, bilateral
):
    log_in(light_tablet, live_server, "nurse")
    assert theme(light_tablet) == "light"
    button = toggle(light_tablet)
    expect(button).to_have_attribute("aria-pressed", "false")
    box = button.bounding_box()
    assert box["width"] >= TAP and box["height"] >= TAP, box

    button.click()
    assert theme(light_tablet) == "dark"
    expect(button).to_have_attribute("aria-pressed", "true")
    light_tablet.reload()
    assert theme(light_tablet) == "dark"
    light_tablet.goto(f"{live_server.url}/cases/{bilateral.pk}/")
    assert theme(light_tablet) == "dark"
    expect(toggle(light_tablet)).to_have_attribute("aria-pressed", "true")

    # Back to what the device says: the tablet follows its device again.
    toggle(light_tablet).click()
    assert theme(light_tablet) == "light"
    assert light_tablet.evaluate("localStorage.getItem('sitracker-theme')") is None
    light_tablet.reload()
    assert theme(light_tablet) == "light"


def test_the_login_page_has_the_switch_too(dark_tablet, live_server):
    dark_tablet.goto(f"{live_server.url}/accounts/login/")
    assert theme(dark_tablet) == "dark"
    toggle(dark_tablet).click()
    assert theme(dark_tablet) == "light"
    assert serious_violations(dark_tablet) == []
    assert dark_tablet.evaluate("localStorage.getItem('sitracker-theme')") == "light"
