"""A whole case on the tablet, as the people in the room do it: find controls by their words."""

import re

import pytest
from playwright.sync_api import Page, expect

from accounts import pins, roles
from checklists.choices import AuditAction, CaseStatus
from checklists.models import AuditEvent, Case, CaseStep, time_out_gate
from procedures.choices import Phase, StepKind
from tests.browser.conftest import browser_test, enrol, log_in, screenshot, serious_violations
from tests.conftest import PASSWORD, make_user, perform_time_out, time_outs_before

pytestmark = [pytest.mark.browser, browser_test]

MI = "SI joint fusion — minimally invasive (lateral transiliac)"
TEAM = "Team members introduced by name and role"
INCISION = "Lateral buttock incision made"
IMPLANTS = "Implants passed across the joint and secured (screws/pins)"
UDI = "(01)00812345678901(17)281231(10)LOT123(21)SN{}"


def row(page: Page, step: CaseStep):
    return page.locator(f"#step-{step.pk}")


def answer(page: Page, step: CaseStep) -> None:
    """Record one row the way a nurse would, with a plausible answer for its kind."""
    label = step.label
    if step.kind == StepKind.YES_NO:
        choice = step.expected_answer or "no"
        page.get_by_role("button", name=f"{choice.title()}: {label}", exact=True).click()
    elif step.kind == StepKind.CHOICE:
        page.get_by_role("button", name=f"{step.options[0]}: {label}", exact=True).click()
    elif step.kind == StepKind.SIDE:  # the side seen: this bilateral case's, "Both"
        page.get_by_role("button", name=f"Both: {label}", exact=True).click()
    elif step.kind == StepKind.TEXT:
        field = row(page, step).get_by_label(re.compile("^Answer"))
        if not field.input_value():
            field.fill("Routine recovery; analgesia as charted.")
        page.get_by_role("button", name=f"Save: {label}", exact=True).click()
    elif step.kind == StepKind.NUMBER:
        row(page, step).get_by_label(re.compile("^Value")).fill("4")
        page.get_by_role("button", name=f"Save: {label}", exact=True).click()
    else:
        page.get_by_role("button", name=f"Mark done: {label}", exact=True).click()
    expect(row(page, step)).to_contain_text("Recorded by")


def scan_implants(page: Page, side: str, count: int) -> None:
    """Scan ``count`` implants in the panel of the side's implant step (no side to choose),
    each read back before opening."""
    panel = page.locator(f"#implants-{side.lower()}")
    for number in range(1, count + 1):
        barcode = panel.get_by_label("Scan the barcode")
        barcode.fill(UDI.format(f"{side[0]}{number}"))
        barcode.press("Enter")  # what a USB scanner does after the code
        panel.get_by_role(
            "button", name=f"Read back, open it: {side} side implant {number}"
        ).click()
        expect(
            panel.get_by_role("heading", name=re.compile(f"^{side} side: {number} implants?$"))
        ).to_be_visible()


def schedule_bilateral_case(page: Page) -> Case:
    page.get_by_role("link", name="Schedule a case").click()
    page.get_by_label("MRN").fill("MRN-778812")
    page.get_by_label("Patient name").fill("Jordan Example")
    page.get_by_label("Date of birth").fill("1964-05-17")
    page.get_by_label(MI).check()
    page.get_by_label("Bilateral").check()
    page.get_by_label("Sue Surgeon").check()
    page.get_by_label("OR 4", exact=True).check()
    page.get_by_role("button", name="Schedule case").click()
    expect(page.get_by_role("heading", name=MI)).to_be_visible()
    return Case.objects.get(patient_mrn="MRN-778812")


def test_a_nurse_takes_a_bilateral_case_from_scheduling_to_the_surgeons_sign_out(
    page, live_server, nurse, surgeon
):
    pins.set_pin(user=surgeon, pin="7364")
    pins.set_pin(user=nurse, pin="2468")
    log_in(page, live_server, "nurse")
    case = schedule_bilateral_case(page)
    expect(page.get_by_text("Jordan Example")).to_be_visible()  # the Time Out identity check
    steps = list(case.steps.order_by("position"))
    by_phase = {phase: [s for s in steps if s.phase == phase] for phase in Phase.values}

    for step in by_phase[Phase.SIGN_IN]:
        answer(page, step)
    # Anaesthesia is induced and the patient positioned before the Time Out.
    for step in by_phase[Phase.INDUCTION]:
        answer(page, step)

    # The Time Out is not done: every procedure row waits for the whole of it.
    first_incision = case.steps.get(title=INCISION, side="left")
    expect(row(page, first_incision)).to_contain_text(f"Waiting for the whole Time Out: {TEAM}")
    expect(page.get_by_role("button", name=f"Save: {first_incision.label}")).to_be_disabled()

    *time_out, last = by_phase[Phase.TIME_OUT]
    for step in time_out:
        answer(page, step)
    expect(row(page, first_incision)).to_contain_text(
        f"Waiting for the whole Time Out: {last.title}"
    )
    expect(page.get_by_role("button", name=f"Save: {first_incision.label}")).to_be_disabled()
    answer(page, last)
    # The items ticked, the team reads the Time Out aloud before the incision (issue 14; the
    # read-aloud page's own journey is tests/browser/test_time_out.py and test_tap_count.py):
    # until then the row waits for it, and says so.
    expect(row(page, first_incision)).to_contain_text("waits for the Time Out: start it")
    expect(page.get_by_role("button", name=f"Save: {first_incision.label}")).to_be_disabled()
    perform_time_out(case, nurse)
    page.reload()
    expect(page.get_by_role("button", name=f"Save: {first_incision.label}")).to_be_enabled()

    for step in by_phase[Phase.PROCEDURE]:
        if step.title == INCISION and step.side == "left":
            field = row(page, step).get_by_label(re.compile("^Value"))
            field.fill("7")
            page.get_by_role("button", name=f"Save: {step.label}").click()
            expect(row(page, step)).to_contain_text("7 cm is above the maximum of 5 cm")
            row(page, step).get_by_label(re.compile("^Value")).fill("4")
            page.get_by_role("button", name=f"Save: {step.label}").click()
            expect(row(page, step)).to_contain_text("Answer: 4 cm")
            continue
        if time_out_gate(case).waits(step):  # the right side's Time Out, read aloud
            time_outs_before(case, step, nurse)
            page.reload()
        if step.kind == StepKind.IMPLANTS:
            scan_implants(page, step.get_side_display(), count=3)
        answer(page, step)

    for step in by_phase[Phase.SIGN_OUT]:
        answer(page, step)
    screenshot(page, "checklist-complete-1024x768")

    # The surgeon takes over the tablet with a PIN, and signs with the password.
    enrol(page, live_server, by=make_user("it", roles.ADMINISTRATOR))
    page.get_by_role("link", name="Switch user").click()
    page.get_by_text("Sue Surgeon").click()
    page.get_by_label("PIN").fill("7364")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_text("Sue Surgeon").first).to_be_visible()
    page.get_by_role("link", name="Sign the case").click()  # the footer's, for a surgeon
    assert serious_violations(page) == []
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign the case").click()

    # Signed, the tablet goes back to the nurse who handed it over: her name comes chosen.
    expect(page.get_by_role("status")).to_contain_text("The tablet is free for the next person.")
    expect(page.get_by_role("radio", name="Nora Nurse")).to_be_checked()
    page.get_by_label("PIN").fill("2468")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    expect(page.get_by_text("Signed by the surgeon and locked.")).to_be_visible()
    changing = re.compile("^(Mark done|Back to pending|Save):")
    expect(page.get_by_role("button", name=changing)).to_have_count(0)
    expect(page.locator("summary", has_text="Change…")).to_have_count(0)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED

    recorded = AuditEvent.objects.filter(case=case, action=AuditAction.STEP_RECORDED)
    assert recorded.count() == len(steps)  # every step once; the refused 7 cm left no event
    assert set(recorded.values_list("actor__username", flat=True)) == {"nurse"}
    implants = AuditEvent.objects.filter(case=case, action=AuditAction.IMPLANT_ADDED)
    assert implants.count() == 6
    signed = AuditEvent.objects.get(case=case, action=AuditAction.SIGNED_OUT)
    assert signed.actor == surgeon
    assert case.signatures.get().printed_name == "Sue Surgeon"
