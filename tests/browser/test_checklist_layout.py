"""The checklist fitted to the tablet, in Chromium at 1024x768: "Next open step" reaches every
step in one tap, from wherever the page is and with phases folded; the stepper opens a folded
phase; the folded checklist and its footer, screenshots looked at, axe clean, every target at
least 44 px, no sideways scrolling either way round."""

import re

import pytest
from playwright.sync_api import Page, expect

from checklists import selectors, workflow
from checklists.models import Case, CaseStep
from procedures.choices import StepKind
from procedures.models import Procedure
from tests.browser.conftest import (
    browser_test,
    element_screenshot,
    log_in,
    screenshot,
    serious_violations,
)
from tests.browser.journey import Tablet, record_step, row
from tests.browser.test_recorded_rows import small_targets
from tests.conftest import make_case, place_implant, time_outs_before

pytestmark = [pytest.mark.browser, browser_test]

# Where the page is when the person taps "Next open step": the top, the end, the middle.
FAR_AWAY = (
    "0",
    "document.documentElement.scrollHeight",
    "document.documentElement.scrollHeight / 2",
)


@pytest.fixture
def case(nurse, surgeon) -> Case:
    """A new bilateral minimally invasive case, with one implant logged on each side."""
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="bilateral")
    for side in case.sides():
        entry = workflow.ImplantEntry(side=side, product="iFuse-3D")
        place_implant(case, nurse, entry)
    return case


@pytest.fixture
def tablet(page: Page, live_server, case) -> Tablet:
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    return Tablet(page)


def plausibly(step: CaseStep) -> workflow.Answer:
    value = {
        StepKind.YES_NO: step.expected_answer or "no",
        StepKind.CHOICE: step.options[0] if step.options else "",
        StepKind.NUMBER: "4",
        StepKind.TEXT: "Routine",
        StepKind.SIDE: workflow.side_expected(step.case, step),  # the sides agree
    }.get(step.kind, "")
    return workflow.Answer(status="done", value=value)


def record_through(case: Case, nurse, *, phases: tuple[str, ...], side: str = "") -> None:
    """Record, as another tablet would, every step of ``phases`` (and of ``side`` after them)."""
    for step in case.steps.order_by("position"):
        if step.phase in phases or (side and step.side == side):
            time_outs_before(case, step, nurse)  # the team's Time Outs, read aloud
            step.refresh_from_db()
            workflow.record_step(
                actor=nurse,
                case_id=case.pk,
                step_id=step.pk,
                answer=plausibly(step),
                revision=step.revision,
            )


def focus_is_in(page: Page, step: CaseStep) -> bool:
    return page.evaluate(
        "(id) => document.getElementById(id).contains(document.activeElement)", f"step-{step.pk}"
    )


def test_next_open_step_leads_to_every_step_in_turn_in_one_tap(tablet, case):
    page = tablet.page
    next_step = page.get_by_role("link", name="Next open step")
    turn = 0
    while (checklist := selectors.checklist_for(case)).next_row or checklist.time_out_due:
        if (due := checklist.time_out_due) is not None:
            # The footer leads to the Time Out, not to a step it holds back; the team reads
            # it aloud on another tablet.
            expect(page.get_by_role("link", name=f"{due.time_out_due} next")).to_have_attribute(
                "href", "#time-out-panel"
            )
            expect(next_step).to_have_count(0)
            time_outs_before(case, due.step, case.created_by)
            page.reload()
            tablet.settled()
            continue
        step = checklist.next_row.step
        page.evaluate(f"window.scrollTo({{top: {FAR_AWAY[turn % 3]}, behavior: 'instant'}})")
        if turn in (5, 20):  # a reload folds the complete phases and compacts the done rows
            page.reload()
        if turn == 12:  # the person folded the phase the next step is in
            page.locator(f"#phase-{step.phase} .phase-fold").click()
            expect(row(page, step)).to_be_hidden()

        next_step.click()  # the one tap
        tablet.settled()

        assert tablet.comes_into_band(row(page, step)), f"{step.label} is not in view"
        assert focus_is_in(page, step), f"{step.label} does not have the focus"
        if step.kind in (StepKind.NUMBER, StepKind.TEXT):
            expect(row(page, step).locator("[name=value]")).to_be_focused()  # type at once
        if step.kind == StepKind.IMPLANTS:
            tablet.tap(page.get_by_role("button", name=f"Mark done: {step.label}", exact=True))
            expect(row(page, step)).to_contain_text("Recorded by")
        else:
            record_step(tablet, step)
        turn += 1

    assert turn == 40
    expect(next_step).to_have_count(0)
    expect(page.get_by_text("Every step is recorded.")).to_be_visible()


def test_next_open_step_folds_the_rows_just_recorded_but_never_a_stop(tablet, case):
    page = tablet.page
    identity, procedure_and_side, consent = case.steps.order_by("position")[:3]
    page.get_by_role("button", name=f"Mark done: {identity.label}").click()
    expect(row(page, identity)).to_contain_text("Recorded by")
    page.get_by_role("button", name=f"No: {consent.label}").click()  # a Stop
    expect(row(page, consent)).to_contain_text("Stop:")
    # Full size while the person taps on: nothing moved up under the finger.
    expect(row(page, identity)).not_to_have_class(re.compile("step-compact"))

    page.get_by_role("link", name="Next open step").click()
    tablet.settled()

    expect(row(page, identity)).to_have_class(re.compile("step-compact"))
    expect(row(page, consent)).not_to_have_class(re.compile("step-compact"))
    assert focus_is_in(page, procedure_and_side)


def test_the_stepper_opens_a_folded_phase_and_goes_to_it(tablet, case, nurse):
    record_through(case, nurse, phases=("sign_in",))
    page = tablet.page
    page.reload()
    identity = case.steps.get(position=1)
    expect(row(page, identity)).to_be_hidden()  # Sign In is complete: folded

    page.evaluate("window.scrollTo({top: document.documentElement.scrollHeight})")
    page.get_by_role("link", name="Sign In complete").click()
    tablet.settled()

    expect(row(page, identity)).to_be_visible()
    assert tablet.comes_into_band(page.locator("#phase-sign_in .phase-title"))
    page.locator("#phase-sign_in .phase-fold").click()
    expect(row(page, identity)).to_be_hidden()


def test_the_folded_checklist_and_its_footer_at_1024x768(tablet, case, nurse):
    """Screenshots to look at: Sign In and Time Out done and folded, the left side recorded,
    its implant step compact with its implants; the right side's next; the footer."""
    record_through(case, nurse, phases=("sign_in", "time_out"), side="left")
    page = tablet.page
    page.reload()
    screenshot(page, "checklist-folded-1024x768", full_page=False)
    element_screenshot(page.locator("#checklist-footer"), "checklist-footer-1024x768")
    page.get_by_role("link", name="Next open step").click()
    tablet.settled()
    screenshot(page, "checklist-next-open-step-1024x768", full_page=False)
    left_implants = case.steps.get(kind=StepKind.IMPLANTS, side="left")
    element_screenshot(row(page, left_implants), "implant-step-done-compact-1024x768")

    # Every control the page can show at once, for axe and the size of targets.
    right_implants = case.steps.get(kind=StepKind.IMPLANTS, side="right")
    row(page, right_implants).get_by_text("Log an implant…").click()
    row(page, right_implants).get_by_text("No barcode? Type the details…").click()
    element_screenshot(row(page, right_implants), "implant-step-open-1024x768")
    page.locator("#phase-sign_in .phase-fold").click()
    assert serious_violations(page) == []
    assert small_targets(page) == []
    for viewport in ({"width": 768, "height": 1024}, {"width": 1024, "height": 768}):
        page.set_viewport_size(viewport)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert small_targets(page) == [], viewport
    screenshot(page, "checklist-sign-in-opened-1024x768", full_page=False)


def test_the_surgeon_signs_the_case_from_the_footer(page, live_server, case):
    log_in(page, live_server, "surgeon")
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    screenshot(page, "checklist-surgeon-footer-1024x768", full_page=False)
    assert serious_violations(page) == []
    page.get_by_role("link", name="Sign the case").click()

    expect(page.get_by_role("heading", name="Sign the case", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Still missing: 39 steps"))).to_be_visible()
