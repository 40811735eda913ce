"""Recorded rows on the tablet at 1024x768. Gloves and lag: a second or third tap at the spot
just tapped, 50 to 500 ms later, lands on whatever the row shows there by then, and the step is
still recorded once. A recorded answer changes only through "Change…", and a hard stop goes
back to pending only with a reason."""

import pytest
from playwright.sync_api import Page, expect

from accounts import pins
from checklists.choices import AuditAction, StepStatus
from checklists.models import AuditEvent, CaseStep
from procedures.models import Procedure
from tests.browser.conftest import (
    browser_test,
    element_screenshot,
    enrol,
    idle_past_the_limit,
    log_in,
    screenshot,
    serious_violations,
)
from tests.conftest import make_case, record

pytestmark = [pytest.mark.browser, browser_test]

IDENTITY = "Patient identity confirmed (name, date of birth, MRN)"
PROCEDURE_AND_SIDE = "Procedure and side confirmed against consent"
EQUIPMENT = "Implants, imaging and special equipment available and matched to the patient"
CONSENT = "Consent form signed"
SITE_MARKED = "Operative site marked"
ALLERGY = "Known allergy"

# The row tapped, and the words of the control tapped on it.
ROWS = {
    "hard-stop": (IDENTITY, "Mark done"),
    "check": (EQUIPMENT, "Mark done"),
    "yes-no": (CONSENT, "Yes"),
}

# What is under a point, if it is a control (a disclosure's summary only opens it).
CONTROL_AT = """([x, y]) => {
  const control = document.elementFromPoint(x, y)?.closest("button, input, select, textarea");
  return control ? control.outerHTML : null;
}"""


@pytest.fixture
def case(nurse, surgeon):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    return make_case(procedure, actor=nurse, surgeon=surgeon, laterality="left")


@pytest.fixture
def tablet(browser, browser_context_args, live_server, case):
    """The nurse's tablet, a touch screen, on the case's checklist."""
    context = browser.new_context(**browser_context_args, has_touch=True)
    page = context.new_page()
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    yield page
    context.close()


def step_row(page: Page, step: CaseStep):
    return page.locator(f"#step-{step.pk}")


def change(page: Page, step: CaseStep):
    """The row's "Change…" disclosure."""
    return step_row(page, step).locator("summary", has_text="Change…")


def recordings(step: CaseStep) -> int:
    return AuditEvent.objects.filter(step=step, action=AuditAction.STEP_RECORDED).count()


@pytest.mark.parametrize("taps", [2, 3])
@pytest.mark.parametrize("gap_ms", [50, 150, 350, 500])
@pytest.mark.parametrize("row", ROWS)
def test_taps_at_the_same_spot_record_the_step_once(tablet, case, nurse, row, gap_ms, taps):
    title, control = ROWS[row]
    if title != IDENTITY:
        record(case, IDENTITY, nurse)
        tablet.reload()
    step = case.steps.get(title=title)
    button = tablet.get_by_role("button", name=f"{control}: {step.label}", exact=True)
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None
    # Near the button's start, where a narrower control drawn in its place would sit.
    middle = box["y"] + box["height"] / 2
    spot = (box["x"] + 24, middle)

    tablet.touchscreen.tap(*spot)
    for _ in range(taps - 1):
        tablet.wait_for_timeout(gap_ms)
        tablet.touchscreen.tap(*spot)

    expect(step_row(tablet, step)).to_contain_text("Recorded by Nora Nurse")
    tablet.wait_for_timeout(600)  # room for a late request to land, had one been sent
    # Nothing to tap anywhere the button was: its start, middle and end hold no control now.
    for x in (spot[0], box["x"] + box["width"] / 2, box["x"] + box["width"] - 24):
        assert tablet.evaluate(CONTROL_AT, [x, middle]) is None
    expect(step_row(tablet, step).locator(".step-error")).to_have_count(0)
    step.refresh_from_db()
    assert (step.status, step.revision) == (StepStatus.DONE, 1)
    assert recordings(step) == 1


def test_a_check_goes_back_to_pending_only_through_change(tablet, case, nurse):
    record(case, IDENTITY, nurse)
    tablet.reload()
    step = case.steps.get(title=EQUIPMENT)
    tablet.get_by_role("button", name=f"Mark done: {step.label}").click()
    expect(step_row(tablet, step)).to_contain_text("Recorded by Nora Nurse")
    back = tablet.get_by_role("button", name=f"Back to pending: {step.label}")
    expect(back).to_be_hidden()  # behind "Change…" until it is opened

    change(tablet, step).click()
    back.click()

    expect(step_row(tablet, step)).to_contain_text("To do")
    expect(tablet.get_by_role("button", name=f"Mark done: {step.label}")).to_be_visible()
    step.refresh_from_db()
    assert step.status == StepStatus.PENDING
    assert recordings(step) == 2


def test_a_hard_stop_goes_back_to_pending_only_with_a_reason(tablet, case, nurse):
    record(case, IDENTITY, nurse)
    tablet.reload()
    step = case.steps.get(title=IDENTITY)
    row = step_row(tablet, step)
    consent = tablet.get_by_role("button", name=f"Yes: {CONSENT}")
    expect(consent).to_be_enabled()

    change(tablet, step).click()
    back = tablet.get_by_role("button", name=f"Back to pending: {step.label}")
    back.click()
    expect(row).to_contain_text("gates the steps after it")
    reason = row.get_by_label("Reason for putting it back to pending")
    expect(reason).to_be_visible()  # the panel stays open, to give it
    tablet.evaluate("window.scrollTo(0, 0)")
    screenshot(tablet, "hard-stop-revert-needs-a-reason-1024x768", full_page=False)
    assert serious_violations(tablet) == []
    assert recordings(step) == 1

    reason.fill("Band read from the wrong bed")
    back.dblclick()  # a double tap on the deliberate revert still reverts once

    expect(row).to_contain_text("To do")
    expect(consent).to_be_disabled()  # the gate is back
    tablet.wait_for_timeout(600)
    step.refresh_from_db()
    assert (step.status, step.revision) == (StepStatus.PENDING, 2)
    reverted = AuditEvent.objects.filter(step=step).order_by("seq").last()
    assert reverted.after["reason"] == "Band read from the wrong bed"
    assert recordings(step) == 2


def test_recorded_change_and_choice_rows_at_1024x768(tablet, case, nurse):
    """Screenshots to look at, axe on the page with panels open, and every target's size."""
    record(case, IDENTITY, nurse)
    record(case, PROCEDURE_AND_SIDE, nurse, value="left")
    record(case, CONSENT, nurse, value="yes")
    tablet.reload()
    consent = case.steps.get(title=CONSENT)
    site = case.steps.get(title=SITE_MARKED)
    # One tap per side seen, and "not applicable" once: the control that asks for the reason.
    assert visible_controls(step_row(tablet, site)) == [
        f"Left: {SITE_MARKED}",
        f"Right: {SITE_MARKED}",
        f"Both: {SITE_MARKED}",
        f"Not applicable…: {SITE_MARKED}",
    ]

    step_row(tablet, consent).scroll_into_view_if_needed()
    tablet.evaluate("window.scrollBy(0, -160)")  # clear of the sticky header
    screenshot(tablet, "recorded-rows-1024x768", full_page=False)
    element_screenshot(step_row(tablet, site), "choice-row-1024x768")

    change(tablet, consent).click()
    expect(tablet.get_by_role("button", name=f"Back to pending: {CONSENT}")).to_be_visible()
    tablet.mouse.move(0, 700)  # no hover left on "Change…"
    tablet.wait_for_timeout(300)  # the buttons' colour transitions end
    screenshot(tablet, "change-open-1024x768", full_page=False)
    step_row(tablet, site).get_by_text("Not applicable…").click()
    assert serious_violations(tablet) == []
    assert small_targets(tablet) == []


def visible_controls(locator) -> list[str]:
    """The accessible names (aria-label) of the visible controls inside ``locator``."""
    return locator.evaluate(
        """(root) => [...root.querySelectorAll('button, summary, input:not([type=hidden])')]
            .filter((e) => e.checkVisibility())
            .map((e) => e.getAttribute('aria-label') || e.id)"""
    )


def small_targets(page: Page) -> list[str]:
    """The visible controls of the checklist smaller than 44 x 44 px (a text link inside a
    sentence aside: its line is its target)."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
              '.checklist :is(button, summary, input:not([type=hidden]), select, textarea, a)')]
            .filter((e) => e.checkVisibility() && !(e.tagName === 'A' && e.closest('p')))
            .filter((e) => { const r = e.getBoundingClientRect();
                             return r.width < 44 || r.height < 44; })
            .map((e) => `${e.tagName} ${e.getAttribute('aria-label') || e.textContent.trim()}`
                        + ` ${Math.round(e.getBoundingClientRect().width)}x`
                        + `${Math.round(e.getBoundingClientRect().height)}`)"""
    )


def test_a_reason_typed_before_an_idle_logoff_comes_back_in_its_open_panel(
    tablet, live_server, case, nurse, administrator, settings
):
    settings.SESSION_IDLE_TIMEOUT = 60  # the live server reads settings per request
    enrol(tablet, live_server, by=administrator)  # its switch screen lists names
    pins.set_pin(user=nurse, pin="2468")
    record(case, IDENTITY, nurse)
    tablet.clock.install()  # the page's clock, for idle_past_the_limit
    tablet.reload()
    step = case.steps.get(title=IDENTITY)
    change(tablet, step).click()
    step_row(tablet, step).get_by_label("Reason for putting it back to pending").fill("Re-read")

    idle_past_the_limit(tablet)
    tablet.wait_for_url("**/switch/**")
    tablet.get_by_role("group", name="Who is taking over the tablet?").get_by_text(
        "Nora Nurse"
    ).click()
    tablet.get_by_label("PIN").fill("2468")
    tablet.get_by_role("button", name="Switch").click()
    tablet.wait_for_url(f"**/cases/{case.pk}/")

    reason = step_row(tablet, step).get_by_label("Reason for putting it back to pending")
    expect(reason).to_be_visible()
    expect(reason).to_have_value("Re-read")
    assert recordings(step) == 1
