"""The whole bilateral minimally invasive case at 1024x768, counted in taps and full-screen
scrolls (see journey.py for what counts), and printed: schedule the case from the board, record
every step as the team would, log three implants per side with the scanner (each read back
before opening), hand the tablet to
the surgeon, who signs the case on it. ``python -m bench.taps`` runs this and shows the figures.

At every step of the way the next open step is one tap away: the footer's "Next open step" is on
screen and leads to it (test_checklist_layout.py taps it all the way through).
"""

import pytest
from playwright.sync_api import expect

from accounts import roles
from accounts.models import Room
from checklists import selectors
from checklists.choices import AuditAction, CaseStatus
from checklists.models import AuditEvent, Case
from procedures.choices import StepKind
from tests.browser.conftest import browser_test, enrol, log_in, screenshot
from tests.browser.journey import Tablet, record_step
from tests.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, browser_test]

MI = "SI joint fusion — minimally invasive (lateral transiliac)"
STAGES = ("schedule the case", "record the checklist", "sign the case")


def schedule(tablet: Tablet) -> Case:
    page = tablet.page
    tablet.tap(page.get_by_role("link", name="Schedule a case"))
    tablet.type_into(page.get_by_label("MRN"), "MRN-778812")
    tablet.type_into(page.get_by_label("Patient name"), "Jordan Example")
    tablet.type_into(page.get_by_label("Date of birth"), "1964-05-17")
    tablet.tap(page.get_by_label(MI))
    tablet.tap(page.get_by_label("Bilateral"))
    tablet.tap(page.get_by_label("Sue Surgeon"))
    expect(page.get_by_label("OR 4", exact=True)).to_be_checked()  # the tablet's room
    tablet.tap(page.get_by_role("button", name="Schedule case"))
    expect(page.get_by_role("heading", name=MI)).to_be_visible()
    return Case.objects.get(patient_mrn="MRN-778812")


def next_step_is_one_tap_away(tablet: Tablet, case: Case) -> int | None:
    """The step the footer's "Next open step" leads to, checked against the checklist's own
    reading of the case, with the link on screen; None when every step is recorded."""
    expected = selectors.checklist_for(case).next_row
    link = tablet.page.get_by_role("link", name="Next open step")
    if expected is None:
        expect(link).to_have_count(0)
        return None
    expect(link).to_have_attribute("href", f"#step-{expected.step.pk}")
    assert link.is_visible()
    box = link.bounding_box()
    assert box and box["y"] + box["height"] <= 768 and box["height"] >= 44
    return expected.step.pk


def record_everything(tablet: Tablet, case: Case) -> None:
    while (step_id := next_step_is_one_tap_away(tablet, case)) is not None:
        record_step(tablet, case.steps.get(pk=step_id))


def sign(tablet: Tablet) -> None:
    """The surgeon signs on the nurse's tablet, by name (the case's, chosen already) and
    password; the tablet stays with the nurse."""
    page = tablet.page
    tablet.tap(page.get_by_role("link", name="Hand to the surgeon to sign"))
    expect(page.get_by_label("Sue Surgeon")).to_be_checked()
    tablet.type_into(page.get_by_label("The surgeon's password"), PASSWORD)
    tablet.tap(page.get_by_role("button", name="Sign the case"))
    signed = page.get_by_role("status").filter(has_text="Case signed by Sue Surgeon")
    expect(signed).to_contain_text("The record is now locked.")


def page_height(tablet: Tablet) -> int:
    return tablet.page.evaluate("document.documentElement.scrollHeight")


def report(tablet: Tablet, heights: dict[str, int]) -> str:
    lines = ["Bilateral minimally invasive SI fusion at 1024x768, what a person does:"]
    for stage in STAGES:
        lines.append(
            f"  {stage:<22} {tablet.taps[stage]:>3} taps, {tablet.scrolls[stage]:>2} "
            f"full-screen scrolls"
        )
    lines.append(
        f"  {'whole journey':<22} {sum(tablet.taps.values()):>3} taps, "
        f"{sum(tablet.scrolls.values()):>2} full-screen scrolls"
    )
    moments = tablet.scroll_moments["record the checklist"]
    lines.append(
        f"  (on the checklist a step was out of view {moments} times: "
        f"“Next open step” instead of a swipe costs a tap each, and saves the tap into a field)"
    )
    lines += [f"  page height, {name}: {height} px" for name, height in heights.items()]
    return "\n".join(lines)


def test_the_whole_bilateral_case_counted_in_taps(page, live_server, nurse, surgeon, capsys):
    room = Room.objects.get(name="OR 4")
    enrol(page, live_server, by=make_user("it", roles.ADMINISTRATOR), room=room)
    log_in(page, live_server, "nurse")
    tablet = Tablet(page)

    with tablet.during("schedule the case"):
        case = schedule(tablet)
    heights = {"a new case": page_height(tablet)}
    screenshot(page, "tap-count-new-case-1024x768", full_page=False)
    with tablet.during("record the checklist"):
        record_everything(tablet, case)
    screenshot(page, "tap-count-all-recorded-1024x768", full_page=False)
    page.reload()
    heights["every step recorded (reloaded)"] = page_height(tablet)
    with tablet.during("sign the case"):
        sign(tablet)

    with capsys.disabled():
        print("\n" + report(tablet, heights))
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert case.signatures.get().signer == surgeon  # signed by the surgeon, on the nurse's tablet
    steps = list(case.steps.all())
    recorded = AuditEvent.objects.filter(case=case, action=AuditAction.STEP_RECORDED)
    assert recorded.count() == len(steps) == 40  # every step once, nothing undone
    # One tap per answer; one more into each field typed in (the incisions, the concerns for
    # recovery); none into the barcode fields, which have the focus when their step comes (and
    # again after each read-back); one per implant to confirm its read-back before opening.
    typed_in = sum(
        step.kind == StepKind.NUMBER or (step.kind == StepKind.TEXT and not step.default_value)
        for step in steps
    )
    read_backs = AuditEvent.objects.filter(case=case, action=AuditAction.IMPLANT_READ_BACK)
    assert read_backs.count() == case.implants.count() == 6
    assert tablet.taps["record the checklist"] == len(steps) + typed_in + read_backs.count()
    # At most 55 taps without the read-backs, which are one tap per implant by design.
    assert tablet.taps["record the checklist"] <= 55 + read_backs.count()
