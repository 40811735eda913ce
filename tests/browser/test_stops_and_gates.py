"""A Stop and a gate on the tablet, at 1024x768: consent answered No stops the case until the
answer changes or a surgeon overrides it; a procedure step waits for the whole Time Out."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts import pins
from checklists.choices import AuditAction
from checklists.models import AuditEvent, Case, CaseStep
from procedures.models import Procedure
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.conftest import make_case, perform_time_out, record, record_phase

pytestmark = [pytest.mark.browser, browser_test]

IDENTITY = "Patient identity confirmed (name, date of birth, MRN)"
CONSENT = "Consent form signed"
ANAESTHESIA = "General anaesthesia induced"
TEAM = "Team members introduced by name and role"
TIME_OUT_STOP = "Patient, procedure, side and position confirmed aloud"
INCISION = "Lateral buttock incision made"
STOP = "Stop: “Consent form signed” answered No — expected Yes."
REASON = "Emergency: consent confirmed by two consultants"


def row(page: Page, case: Case, title: str, side: str = ""):
    return page.locator(f"#step-{case.steps.get(title=title, side=side).pk}")


# after_a_screenshot: Playwright's screenshot leaves style attributes on the page's elements,
# which htmx copies onto the rows it swaps in (a Content Security Policy report, and a failed
# test): the page is loaded afresh before it is used again.


def centre(locator) -> None:
    """Bring a row to the middle of the screen, clear of the sticky header, for a screenshot."""
    locator.evaluate("element => element.scrollIntoView({block: 'center', behavior: 'instant'})")


@pytest.fixture
def case(nurse, surgeon) -> Case:
    """A left minimally invasive fusion with the patient's identity confirmed."""
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="left")
    record(case, IDENTITY, nurse)
    return case


def answer_consent_no(page: Page, case: Case) -> None:
    page.get_by_role("button", name=f"No: {CONSENT}", exact=True).click()
    consent = row(page, case, CONSENT)
    expect(consent).to_contain_text(STOP)
    expect(consent).to_have_class(re.compile(r"\bstep-stop\b"))
    expect(consent.locator(".step-state")).to_have_text("■ Stop")


def test_consent_answered_no_stops_the_case_until_the_answer_is_changed(
    page, live_server, nurse, case
):
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    answer_consent_no(page, case)

    team = row(page, case, TEAM)
    expect(team).to_contain_text(f"Waiting for the Stop on {CONSENT} to be resolved")
    expect(page.get_by_role("button", name=f"Mark done: {TEAM}", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name=f"Mark done: {ANAESTHESIA}")).to_be_disabled()
    expect(page.locator("#phase-progress-sign_in")).to_have_text("1 of 10 recorded · 1 Stop")
    centre(row(page, case, CONSENT))
    screenshot(page, "stop-consent-1024x768", full_page=False)
    assert serious_violations(page) == []
    page.reload()  # see after_a_screenshot

    expect(row(page, case, CONSENT).locator(".step-outcome")).to_have_text("■ No")
    row(page, case, CONSENT).locator("summary").filter(has_text="Change…").click()
    page.get_by_role("button", name=f"Yes: {CONSENT}", exact=True).click()
    expect(row(page, case, CONSENT)).to_contain_text("Answer: Yes")
    expect(row(page, case, CONSENT)).not_to_contain_text("Stop")
    page.get_by_role("button", name=f"Mark done: {ANAESTHESIA}", exact=True).click()
    expect(row(page, case, ANAESTHESIA)).to_contain_text("Recorded by Nora Nurse")
    page.get_by_role("button", name=f"Mark done: {TEAM}", exact=True).click()
    expect(team).to_contain_text("Recorded by Nora Nurse")

    recorded = AuditEvent.objects.filter(case=case, action=AuditAction.STEP_RECORDED)
    assert [(e.step.title, e.after["value"]) for e in recorded.order_by("seq")][1:] == [
        (CONSENT, "no"),
        (CONSENT, "yes"),
        (ANAESTHESIA, ""),
        (TEAM, ""),
    ]


def test_a_surgeon_overrides_the_consent_stop_with_a_reason(
    page, live_server, nurse, surgeon, case
):
    pins.set_pin(user=surgeon, pin="7364")
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    answer_consent_no(page, case)
    expect(row(page, case, CONSENT)).not_to_contain_text("Override the Stop")  # not a nurse's

    # The surgeon takes the tablet with a PIN, and overrides the Stop with a reason.
    page.get_by_role("link", name="Switch user").click()
    page.get_by_label("Your username").fill("surgeon")
    page.get_by_label("PIN").fill("7364")
    page.get_by_role("button", name="Switch").click()
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    row(page, case, CONSENT).get_by_text("Override the Stop…").click()
    page.get_by_role("button", name=f"Override the Stop: {CONSENT}", exact=True).click()
    expect(row(page, case, CONSENT)).to_contain_text("Give the reason for going on despite")
    centre(row(page, case, CONSENT))
    screenshot(page, "stop-override-form-1024x768", full_page=False)
    page.reload()  # see after_a_screenshot
    row(page, case, CONSENT).get_by_text("Override the Stop…").click()
    page.get_by_label(f"Reason for going on despite the Stop on “{CONSENT}”").fill(REASON)
    page.get_by_role("button", name=f"Override the Stop: {CONSENT}", exact=True).click()

    consent = row(page, case, CONSENT)
    expect(consent).to_contain_text("Stop overridden by Sue Surgeon at")
    expect(consent).to_contain_text(REASON)
    expect(consent.locator(".step-state")).to_have_text("⚠ Overridden")
    expect(page.get_by_role("button", name=f"Mark done: {ANAESTHESIA}")).to_be_enabled()
    expect(page.locator("#phase-progress-sign_in")).to_have_text("2 of 10 recorded")
    centre(consent)
    screenshot(page, "stop-overridden-1024x768", full_page=False)
    assert serious_violations(page) == []

    [event] = AuditEvent.objects.filter(case=case, action=AuditAction.STOP_OVERRIDDEN)
    assert (event.actor, event.after["reason"]) == (surgeon, REASON)
    assert event.user_agent  # the tablet's browser, as for every change


def test_a_procedure_step_waits_for_every_time_out_step(page, live_server, nurse, surgeon, case):
    record_phase(case, "sign_in", nurse)
    record_phase(case, "induction", nurse)
    for step in case.steps.filter(phase="time_out").exclude(title=TEAM).order_by("position"):
        value = step.options[0] if step.options else ""
        record(case, step.title, surgeon, value="left" if step.kind == "side" else value)
    log_in(page, live_server, "surgeon")
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    incision = row(page, case, INCISION, "left")
    expect(incision).to_contain_text(f"Waiting for the whole Time Out: {TEAM}")
    expect(incision.locator(".step-state")).to_contain_text("Locked")
    expect(page.get_by_role("button", name=f"Save: {INCISION} (Left)")).to_be_disabled()
    incision.get_by_role("link", name=TEAM).click()  # the link goes to the step it waits for
    expect(page).to_have_url(re.compile(f"#step-{case.steps.get(title=TEAM).pk}$"))
    centre(incision)
    screenshot(page, "gated-row-1024x768", full_page=False)
    assert serious_violations(page) == []
    page.reload()  # see after_a_screenshot

    page.get_by_role("button", name=f"Mark done: {TEAM}", exact=True).click()
    expect(incision).not_to_contain_text("Waiting for")
    # Every item ticked, the team still reads the Time Out aloud before the incision (issue
    # 14; its own browser test is tests/browser/test_time_out.py): the row says so meanwhile.
    expect(incision).to_contain_text("waits for the Time Out: start it")
    expect(page.get_by_role("button", name=f"Save: {INCISION} (Left)")).to_be_disabled()
    perform_time_out(case, nurse)
    page.reload()
    incision.get_by_label(re.compile("^Value")).fill("4")
    page.get_by_role("button", name=f"Save: {INCISION} (Left)").click()
    expect(incision).to_contain_text("Answer: 4 cm")
    assert CaseStep.objects.get(case=case, title=INCISION).recorded_by == surgeon
