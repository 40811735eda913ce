"""A room's wall display at 1920x1080, beside the tablet: enrolled with its one-time code, it
follows the room's case live, the patient large during Sign In and the Time Out, initials after.
Screenshots (artifacts/) are the wall as the team sees it from across the room."""

import re

import pytest
from playwright.sync_api import expect

from accounts import devices
from accounts.models import Room
from checklists import workflow
from checklists.errors import CaseStopped
from procedures.choices import Phase
from procedures.models import Procedure
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.conftest import make_case, perform_time_out, record_phase

pytestmark = [pytest.mark.browser, browser_test]

MI = "si-fusion-minimally-invasive"
WALL = {"width": 1920, "height": 1080}


@pytest.fixture
def wall(browser, browser_context_args, live_server, administrator):
    """A second browser, the size of the theatre's monitor, enrolled as OR 4's wall display by
    the code an administrator made, typed on it."""
    _, code = devices.new_pairing(
        room=Room.objects.get(name="OR 4"), name="OR 4 wall", by=administrator
    )
    context = browser.new_context(**{**browser_context_args, "viewport": WALL})
    page = context.new_page()
    page.goto(f"{live_server.url}/display/")
    assert serious_violations(page) == []
    page.get_by_label("Code from the administrator").fill(code)
    page.get_by_role("button", name="Enrol this display").click()
    expect(page.get_by_role("heading", name="OR 4")).to_be_visible()
    yield page
    context.close()


def test_the_wall_follows_the_rooms_case_through_sign_in_and_the_time_out(
    wall, page, live_server, nurse, surgeon, anaesthetist
):
    expect(wall.get_by_text("No case in progress")).to_be_visible()
    case = make_case(
        Procedure.objects.get(slug=MI),
        actor=nurse,
        surgeon=surgeon,
        room="OR 4",
        laterality="left",
        patient_name="Jordan Example",
        patient_mrn="MRN-778812",
    )

    # The nurse starts the case on the tablet: within three seconds the wall names the patient.
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    first = case.steps.order_by("position").first()
    page.get_by_role("button", name=f"Mark done: {first.label}").click()
    expect(wall.get_by_text("Jordan Example")).to_be_visible(timeout=3000)
    expect(wall.get_by_text("MRN MRN-778812")).to_be_visible()
    expect(wall.locator(".wall-side")).to_contain_text("LEFT")
    expect(wall.locator(".wall-phase")).to_have_text("Sign In")
    nxt = case.steps.order_by("position")[1]
    expect(wall.locator(".wall-now-item")).to_have_text(nxt.label)
    assert serious_violations(wall) == []
    screenshot(wall, "wall-sign-in-1920x1080", full_page=False)

    record_phase(case, Phase.SIGN_IN, nurse)
    record_phase(case, Phase.INDUCTION, anaesthetist)
    expect(wall.locator(".wall-phase")).to_have_text("Time Out", timeout=3000)
    expect(wall.get_by_text("Jordan Example")).to_be_visible()
    screenshot(wall, "wall-time-out-1920x1080", full_page=False)

    record_phase(case, Phase.TIME_OUT, nurse)
    expect(wall.locator(".wall-phase")).to_have_text("Procedure", timeout=3000)
    expect(wall.get_by_text("Patient JE")).to_be_visible()
    expect(wall.get_by_text("Jordan Example")).to_have_count(0)
    expect(wall.locator(".wall-clock")).to_contain_text("Time Out done 0 min ago")
    assert serious_violations(wall) == []
    screenshot(wall, "wall-procedure-1920x1080", full_page=False)


def test_a_stop_called_on_one_tablet_shows_on_the_other_and_on_the_wall_until_resolved(
    wall, page, browser, browser_context_args, live_server, nurse, scrub, surgeon, anaesthetist
):
    case = make_case(
        Procedure.objects.get(slug=MI), actor=nurse, surgeon=surgeon, room="OR 4", laterality="left"
    )
    record_phase(case, Phase.SIGN_IN, nurse)
    record_phase(case, Phase.INDUCTION, anaesthetist)
    record_phase(case, Phase.TIME_OUT, nurse)
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    other = browser.new_context(**browser_context_args).new_page()
    log_in(other, live_server, "scrub")
    other.goto(f"{live_server.url}/cases/{case.pk}/")

    # The scrub taps "Stop", types a few words (the field has the focus) and calls it.
    other.get_by_text("Stop: call a concern…").click()
    expect(other.get_by_label("Why stop?", exact=False)).to_be_focused()
    other.keyboard.type("Wrong screw size on the tray")
    other.get_by_role("button", name="Call the Stop").click()
    banner = "called by Sam Scrub"
    expect(other.get_by_role("alert").filter(has_text=banner)).to_be_visible()

    # The nurse's tablet and the wall show it within five seconds.
    expect(page.get_by_role("alert").filter(has_text=banner)).to_be_visible(timeout=5000)
    expect(wall.locator(".wall-stop")).to_contain_text(
        "STOP called by Sam Scrub: Wrong screw size on the tray", timeout=5000
    )
    assert serious_violations(page) == []
    screenshot(page, "stop-called-on-the-tablet-1024x768", full_page=False)
    screenshot(wall, "wall-stop-called-1920x1080", full_page=False)

    # A procedure step is refused until it is resolved; the Stop came after the Time Out,
    # which no longer holds: the rows wait for it to be repeated, and say so.
    step = case.steps.filter(phase=Phase.PROCEDURE).order_by("position").first()
    row = page.locator(f"#step-{step.pk}")
    expect(row).to_contain_text("the Time Out to be repeated", timeout=5000)
    expect(page.get_by_role("button", name=f"Save: {step.label}")).to_be_disabled()
    with pytest.raises(CaseStopped, match="Procedure steps wait until it is resolved"):
        workflow.record_step(
            actor=nurse,
            case_id=case.pk,
            step_id=step.pk,
            answer=workflow.Answer(status="done", value="4"),
            revision=step.revision,
        )

    page.get_by_text("Resolve this Stop…").click()
    page.get_by_label("How it was resolved").fill("7.0 mm screws fetched")
    page.get_by_role("button", name="Resolved: go on").click()
    expect(page.get_by_role("alert").filter(has_text=banner)).to_have_count(0)
    expect(wall.locator(".wall-stop")).to_have_count(0, timeout=5000)
    # Resolved, the Stop holds nothing back; the Time Out still does, until the team repeats it.
    expect(row).to_contain_text("the Time Out to be repeated")
    expect(wall.locator(".wall-now-item")).to_have_text("Time Out: everyone stops", timeout=5000)
    perform_time_out(case, nurse)
    page.reload()
    row.get_by_label(re.compile("^Value")).fill("4")
    page.get_by_role("button", name=f"Save: {step.label}").click()
    expect(row).to_contain_text("Recorded by")


def test_a_side_mismatch_caught_on_the_tablet_shows_on_the_wall_until_the_surgeon_resolves_it(
    wall, page, live_server, nurse, surgeon
):
    from checklists import workflow
    from checklists.models import SideDisagreement
    from tests.conftest import record

    consent = "Procedure and side confirmed against consent"
    case = make_case(
        Procedure.objects.get(slug=MI), actor=nurse, surgeon=surgeon, room="OR 4", laterality="left"
    )
    record(case, "Patient identity confirmed (name, date of birth, MRN)", nurse)
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    page.get_by_role("button", name=f"Right: {consent}", exact=True).click()

    line = wall.locator(".wall-sides")
    expect(line).to_contain_text(
        f"SIDES DISAGREE · {consent}: right seen, the case is left", timeout=5000
    )
    screenshot(wall, "wall-sides-disagree-1920x1080", full_page=False)
    assert serious_violations(wall) == []
    workflow.resolve_side_disagreement(
        actor=surgeon,
        case_id=case.pk,
        disagreement_id=SideDisagreement.objects.get().pk,
        resolution="Consent re-read: left",
    )
    expect(line).to_have_count(0, timeout=5000)
