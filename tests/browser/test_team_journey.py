"""Issue 14's "what it must show", with three browsers in the room: the circulating nurse's
tablet (A), a second tablet the surgeon holds (B), both 1024x768, and the room's enrolled wall
display at 1920x1080, through a bilateral case: a side seen that is not the case's caught as a
hard stop on all three; the read-aloud Time Out with the team recorded; a Stop called on one
tablet, seen on the other and on the wall within five seconds, then resolved (and the Time Out
it made stale repeated); the second side's Time Out demanded before its first step, then done.
The audit chain verifies afterwards. Screenshots of the wall (artifacts/) are looked at as the
team sees it from 3 m: during Sign In, the Time Out and the procedure.

What other tablets would record meanwhile (the anaesthetist's checks, the rest of a side) is
recorded through the workflow, as in the other browser tests: the journey is the team's
moments, not every tick.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from checklists import workflow
from checklists.audit import verify_audit
from checklists.errors import CaseStopped, TimeOutNeeded
from checklists.models import Case, CaseStep, SideDisagreement, TimeOut
from procedures.choices import Phase, StepKind
from procedures.models import Procedure
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.browser.test_wall_display import MI, wall  # noqa: F401 -- the wall display fixture
from tests.conftest import make_case, place_implant, plausible_value, record_phase

pytestmark = [pytest.mark.browser, browser_test]

CONSENT = "Procedure and side confirmed against consent"
IMAGING = "Essential imaging displayed; fluoroscope positioned"
INCISION = "Lateral buttock incision made"
SEEN = 5000  # ms: what one tablet does, the other and the wall show within five seconds
UDI = "(01)00812345678901(17)281231(10)LOT{side}{number}(21)SN{side}{number}"


def row(page: Page, step: CaseStep):
    return page.locator(f"#step-{step.pk}")


def step_of(case: Case, title: str, side: str = "") -> CaseStep:
    return case.steps.get(title=title, side=side)


# The read-aloud page's controls smaller than a gloved fingertip (48 x 48 px); a radio's
# target is its label, the whole line.
SMALL_TARGETS = """() => [...document.querySelectorAll(
        '.read-aloud :is(button, select, a, .form-check-label, input:not([type=hidden]))')]
    .filter((e) => e.type !== 'radio')
    .filter((e) => e.checkVisibility())
    .map((e) => [e, e.getBoundingClientRect()])
    .filter(([e, r]) => r.width < 48 || r.height < 48)
    .map(([e, r]) => `${e.tagName} ${e.textContent.trim()} ${Math.round(r.width)}x`
                     + `${Math.round(r.height)}`)"""


def read_aloud(page: Page, *, items: int, side_seen: str = "Both", ending: str = "") -> None:
    """On the read-aloud page: each item confirmed as it is spoken (its expected answer; the
    side seen on the images, ``side_seen``, among Left, Right and Both, none chosen), or passed
    with "Spoken: next item" when it is already recorded (a repeated Time Out, a side Time
    Out). Every control, gloved-finger sized."""
    for number in range(1, items + 1):
        expect(page.get_by_text(f"Item {number} of {items}")).to_be_visible()
        assert page.evaluate(SMALL_TARGETS) == []
        seen = page.get_by_role("button", name=f"Spoken: {side_seen}", exact=True)
        spoken = page.get_by_role("button", name=re.compile("^Spoken: ")).or_(
            page.get_by_role("link", name="Spoken: next item")
        )
        if seen.count():
            sides = page.get_by_role("group", name=re.compile("tap the side"))
            expect(sides.get_by_role("button")).to_have_text(["◀ Left", "▶ Right", "◀ ▶ Both"])
            screenshot(page, "team-read-aloud-side-seen-1024x768", full_page=False)
        (seen if seen.count() else spoken.first).click()
    expect(page.get_by_role("heading", name=re.compile("Every item read"))).to_be_visible()
    assert page.evaluate(SMALL_TARGETS) == []
    if ending:
        screenshot(page, ending, full_page=True)


def end_with_the_team(page: Page) -> None:
    """The ending: the team as offered (the surgeon, the anaesthetist who induced, the nurse at
    the tablet), the scrub picked, the three attestations given."""
    scrub = page.get_by_label("Scrub (if any)")
    if not scrub.input_value():
        scrub.select_option(label="Sam Scrub")
    page.locator("#div_id_all_items_spoken").get_by_label("Yes").check()
    page.locator("#div_id_everyone_present").get_by_label("Yes").check()
    page.locator("#div_id_interrupted").get_by_label("No").check()
    page.get_by_role("button", name="End the Time Out").click()
    expect(page.get_by_text(re.compile(r"Time Out done in \d+ min \d+ s"))).to_be_visible()


def record_side(case: Case, side: str, actor, *, after: CaseStep) -> None:
    """The rest of ``side``'s procedure steps after ``after``, as the scrub's tablet would
    record them: two implants logged and read back before the implant step."""
    steps = case.steps.filter(phase=Phase.PROCEDURE, side=side, position__gt=after.position)
    for step in steps.order_by("position"):
        if step.kind == StepKind.IMPLANTS:
            for number in (1, 2):
                udi = UDI.format(side=side, number=number)
                place_implant(case, actor, workflow.ImplantEntry(side=side, udi=udi))
        workflow.record_step(
            actor=actor,
            case_id=case.pk,
            step_id=step.pk,
            answer=workflow.Answer(status="done", value=plausible_value(step)),
            revision=step.revision,
        )


def test_the_team_performs_a_bilateral_case_on_two_tablets_and_the_wall(
    wall,  # noqa: F811
    page,
    browser,
    browser_context_args,
    live_server,
    nurse,
    scrub,
    surgeon,
    anaesthetist,
):
    case = workflow_case(nurse, surgeon)
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    tablet_b = browser.new_context(**browser_context_args).new_page()
    log_in(tablet_b, live_server, "surgeon")
    tablet_b.goto(f"{live_server.url}/cases/{case.pk}/")

    # Sign In on tablet A: the first tap starts the case, and the wall names the patient large.
    identity = case.steps.order_by("position").first()
    page.get_by_role("button", name=f"Mark done: {identity.label}").click()
    expect(wall.get_by_text("Jordan Example")).to_be_visible(timeout=SEEN)
    expect(wall.locator(".wall-phase")).to_have_text("Sign In")
    expect(wall.locator(".wall-side")).to_contain_text("BILATERAL")
    expect(wall.locator(".wall-now-item")).to_have_text(CONSENT)
    assert serious_violations(wall) == []
    screenshot(wall, "team-wall-sign-in-1920x1080", full_page=False)

    # The nurse taps the side written on the consent: left, on a bilateral case. A hard stop
    # for the whole case, on both tablets and on the wall.
    consent = step_of(case, CONSENT)
    page.get_by_role("button", name=f"Left: {CONSENT}", exact=True).click()
    summary = f"{CONSENT}: left seen, the case is bilateral"
    for tablet in (page, tablet_b):
        banner = tablet.locator(".side-disagreement")
        expect(banner).to_contain_text("SIDES DISAGREE", timeout=SEEN)
        expect(banner).to_contain_text(summary)
    expect(wall.locator(".wall-sides")).to_contain_text(f"SIDES DISAGREE · {summary}", timeout=SEEN)
    # Nothing else moves: the surgeon's tablet is refused the next step too.
    signed = step_of(case, "Consent form signed")
    tablet_b.get_by_role("button", name=f"Yes: {signed.label}", exact=True).click()
    expect(row(tablet_b, signed)).to_contain_text("The sides disagree")
    screenshot(wall, "team-wall-sides-disagree-1920x1080", full_page=False)

    # The surgeon resolves it on tablet B; the banners go on all three; the nurse changes the
    # slip to the side the consent says.
    tablet_b.get_by_text("Resolve the side disagreement…").click()
    tablet_b.get_by_label("Why the case may go on", exact=False).fill(
        "Consent re-read with the patient: both sides. Left was tapped by mistake."
    )
    tablet_b.get_by_role("button", name="Resolved: go on").click()
    expect(tablet_b.locator(".side-disagreement")).to_have_count(0)
    expect(page.locator(".side-disagreement")).to_have_count(0, timeout=SEEN)
    expect(wall.locator(".wall-sides")).to_have_count(0, timeout=SEEN)
    row(page, consent).get_by_text("Change…").click()
    page.get_by_role("button", name=f"Both: {CONSENT}", exact=True).click()
    expect(row(page, consent)).to_contain_text("Answer: Both")
    assert SideDisagreement.objects.get(case=case).resolved_by == surgeon

    # The anaesthetist's tablet records the rest of the Sign In and the induction.
    record_phase(case, Phase.SIGN_IN, anaesthetist)
    record_phase(case, Phase.INDUCTION, anaesthetist)

    # The read-aloud Time Out, started on tablet A; the wall follows it, the patient large.
    page.get_by_role("button", name="Start Time Out").click(timeout=SEEN)
    expect(page.get_by_role("heading", name="Time Out: read aloud")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "team-read-aloud-1024x768", full_page=False)
    expect(wall.locator(".wall-time-out-title")).to_contain_text("TIME OUT", timeout=SEEN)
    expect(wall.get_by_text("Jordan Example")).to_be_visible()
    assert serious_violations(wall) == []
    screenshot(wall, "team-wall-time-out-1920x1080", full_page=False)
    items = case.steps.filter(phase=Phase.TIME_OUT).count()
    read_aloud(page, items=items, ending="team-time-out-ending-1024x768")
    expect(page.get_by_label("Anaesthetist")).to_have_value(str(anaesthetist.pk))
    end_with_the_team(page)
    time_out = TimeOut.objects.get(case=case)
    assert (time_out.surgeon, time_out.anaesthetist) == (surgeon, anaesthetist)
    assert (time_out.circulating_nurse, time_out.scrub) == (nurse, scrub)
    assert time_out.all_items_spoken and time_out.everyone_present and time_out.interruptions == 0
    assert step_of(case, IMAGING).value == "both"

    # The procedure, left side first: the wall shows initials only, and the incision is "Now".
    left_incision = step_of(case, INCISION, "left")
    expect(wall.locator(".wall-phase")).to_have_text("Procedure", timeout=SEEN)
    expect(wall.locator(".wall-now-item")).to_have_text(left_incision.label)
    expect(wall.get_by_text("Jordan Example")).to_have_count(0)
    expect(wall.get_by_text("Patient JE")).to_be_visible()
    row(page, left_incision).get_by_label(re.compile("^Value")).fill("4")
    page.get_by_role("button", name=f"Save: {left_incision.label}").click()
    expect(row(page, left_incision)).to_contain_text("Answer: 4 cm")
    dissection = step_of(case, "Gluteal muscles dissected down to the ilium", "left")
    expect(wall.locator(".wall-now-item")).to_have_text(dissection.label, timeout=SEEN)
    assert serious_violations(wall) == []
    screenshot(wall, "team-wall-procedure-1920x1080", full_page=False)

    # The surgeon calls a Stop on tablet B: tablet A and the wall show it within five seconds.
    tablet_b.get_by_text("Stop: call a concern…").click()
    tablet_b.get_by_label("Why stop?", exact=False).fill("Guide pin bent: new pin wanted")
    tablet_b.get_by_role("button", name="Call the Stop").click()
    called = "called by Sue Surgeon"
    expect(tablet_b.get_by_role("alert").filter(has_text=called)).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text=called)).to_be_visible(timeout=SEEN)
    expect(wall.locator(".wall-stop")).to_contain_text(
        "STOP called by Sue Surgeon: Guide pin bent: new pin wanted", timeout=SEEN
    )
    expect(wall.locator(".wall-clock")).to_have_count(0)  # the Time Out no longer holds
    screenshot(wall, "team-wall-stop-1920x1080", full_page=False)
    # Procedure steps are refused meanwhile; the nurse resolves it on tablet A.
    with pytest.raises(CaseStopped):
        workflow.record_step(
            actor=nurse,
            case_id=case.pk,
            step_id=dissection.pk,
            answer=workflow.Answer(status="done"),
            revision=dissection.revision,
        )
    page.get_by_text("Resolve this Stop…").click()
    page.get_by_label("How it was resolved").fill("New guide pin opened and checked")
    page.get_by_role("button", name="Resolved: go on").click()
    expect(page.get_by_role("alert").filter(has_text=called)).to_have_count(0)
    expect(tablet_b.get_by_role("alert").filter(has_text=called)).to_have_count(0, timeout=SEEN)
    expect(wall.locator(".wall-stop")).to_have_count(0, timeout=SEEN)

    # The Stop made the Time Out stale: the team reads it again before the next step.
    page.get_by_role("button", name="Repeat the Time Out").click()
    read_aloud(page, items=items)
    end_with_the_team(page)
    record_side(case, "left", scrub, after=left_incision)

    # The right side's first step waits for its own Time Out, on the tablet and in the workflow.
    right_incision = step_of(case, INCISION, "right")
    page.reload()
    right = row(page, right_incision)
    expect(right).to_contain_text("waits for the right side Time Out")
    expect(page.get_by_role("button", name=f"Save: {right_incision.label}")).to_be_disabled()
    with pytest.raises(TimeOutNeeded):
        workflow.record_step(
            actor=nurse,
            case_id=case.pk,
            step_id=right_incision.pk,
            answer=workflow.Answer(status="done", value="4"),
            revision=right_incision.revision,
        )
    expect(wall.locator(".wall-now-item")).not_to_have_text(right_incision.label)

    # The right side's Time Out, read aloud: side, site mark, implants for that side.
    page.get_by_role("button", name="Start the right side Time Out").click()
    expect(page.get_by_role("heading", name="Right side Time Out: read aloud")).to_be_visible()
    expect(wall.locator(".wall-time-out-title")).to_contain_text(
        "RIGHT SIDE TIME OUT", timeout=SEEN
    )
    screenshot(wall, "team-wall-side-time-out-1920x1080", full_page=False)
    read_aloud(page, items=3)
    end_with_the_team(page)
    right.get_by_label(re.compile("^Value")).fill("4")
    page.get_by_role("button", name=f"Save: {right_incision.label}").click()
    expect(right).to_contain_text("Answer: 4 cm")
    expect(wall.locator(".wall-now-item")).not_to_have_text(right_incision.label, timeout=SEEN)

    assert TimeOut.objects.filter(case=case).count() == 3  # the case's, repeated, the side's
    assert verify_audit().ok


def workflow_case(nurse, surgeon) -> Case:
    """A bilateral minimally invasive fusion in OR 4, the wall's room."""
    return make_case(
        Procedure.objects.get(slug=MI),
        actor=nurse,
        surgeon=surgeon,
        room="OR 4",
        laterality="bilateral",
        patient_name="Jordan Example",
        patient_mrn="MRN-778812",
    )
