"""The whole bilateral minimally invasive case at 1024x768, counted in taps and full-screen
scrolls (see journey.py for what counts), and printed: schedule the case from the board, record
every step as the team would, log three implants per side with the scanner (each read back
before opening), read the Time Out aloud (and the second side's), hand the tablet to
the surgeon, who signs the case on it. ``python -m bench.taps`` runs this and shows the figures.

At every step of the way the next open step is one tap away: the footer's "Next open step" is on
screen and leads to it (test_checklist_layout.py taps it all the way through).
"""

import re

import pytest
from playwright.sync_api import expect

from accounts import roles
from accounts.models import Room
from checklists import selectors
from checklists.choices import AuditAction, CaseStatus
from checklists.models import AuditEvent, Case, TimeOut, time_out_gate
from procedures.choices import Phase, StepKind
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
    checklist = selectors.checklist_for(case)
    due = checklist.time_out_due
    if due is not None:  # the footer leads to the Time Out, not to a step it holds back
        to_time_out = tablet.page.get_by_role("link", name=f"{due.time_out_due} next")
        expect(to_time_out).to_have_attribute("href", "#time-out-panel")
        return due.step.pk
    expected = checklist.next_row
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
        step = case.steps.get(pk=step_id)
        side = time_out_due(case, step)
        if side is not None:
            read_the_time_out_aloud(tablet, side)
        else:
            record_step(tablet, step)


def time_out_due(case: Case, step) -> str | None:
    """The Time Out the team reads before ``step`` ("" the case's, else a side's), or None: the
    case's when its first item comes, the second side's before that side's first step."""
    gate = time_out_gate(case)
    if step.phase == Phase.TIME_OUT and gate.latest("") is None:
        return ""
    if gate.waits(step):
        return step.side
    return None


SIDE_SEEN = "Both"  # the bilateral case's side, as a side step says it


def read_the_time_out_aloud(tablet: Tablet, side: str) -> None:
    """Start it from the checklist, confirm each item as it is spoken (a tap each, as on the
    checklist; a side Time Out's items are read and passed), then the ending: the team is
    offered (the anaesthetist and the scrub picked from the list at the first Time Out), the
    three attestations tapped, "End the Time Out"."""
    page = tablet.page
    name = f"Start the {side} side Time Out" if side else "Start Time Out"
    tablet.tap(page.get_by_role("button", name=name))
    spoken = page.get_by_role("button", name=re.compile("^Spoken: ")).or_(
        page.get_by_role("link", name="Spoken: next item")
    )
    while page.get_by_role("button", name="End the Time Out").count() == 0:
        # A side seen is answered with the case's side (they agree); any other item's first
        # answer is the expected one.
        seen = page.get_by_role("button", name=f"Spoken: {SIDE_SEEN}", exact=True)
        tablet.tap(seen if seen.count() else spoken.first)
    for place, person in (("Anaesthetist", "Ana Sthetist"), ("Scrub (if any)", "Sam Scrub")):
        if not page.get_by_label(place).input_value():
            tablet.choose(page.get_by_label(place), person)
    for question, answer in (
        ("all_items_spoken", "Yes"),
        ("everyone_present", "Yes"),
        ("interrupted", "No"),
    ):
        tablet.tap(page.locator(f"#div_id_{question}").get_by_label(answer))
    tablet.tap(page.get_by_role("button", name="End the Time Out"))
    expect(page.get_by_text(re.compile(r"Time Out done in \d+ min"))).to_be_visible()


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


def test_the_whole_bilateral_case_counted_in_taps(
    page, live_server, nurse, surgeon, anaesthetist, scrub, capsys
):
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
    # The Time Outs read aloud with the team (issue 14) add their own taps, by design: the
    # case's adds 9 (start it; the anaesthetist and the scrub from the list, 2 each, as the
    # nurse recorded their steps for them; the three attestations; end it: its items are a tap
    # each, as on the checklist), the second side's 8 (start it; its three items read and
    # passed; the three attestations, the team offered as at the first; end it).
    time_out_taps = 9 + 8
    assert TimeOut.objects.filter(case=case, ended_at__isnull=False).count() == 2
    expected = len(steps) + typed_in + read_backs.count() + time_out_taps
    assert tablet.taps["record the checklist"] == expected
    # At most 55 taps without the read-backs, which are one tap per implant by design, and the
    # Time Outs' own (above).
    assert tablet.taps["record the checklist"] <= 55 + read_backs.count() + time_out_taps
