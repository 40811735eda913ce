"""Sides must agree, on the tablet at 1024x768: the nurse taps the side written on the consent,
which is not the case's; the whole case is held in red; the surgeon takes the tablet with a PIN
and resolves it with a reason; the case goes on."""

import pytest
from playwright.sync_api import Page, expect

from accounts import pins
from checklists.audit import verify_audit
from checklists.choices import AuditAction
from checklists.models import AuditEvent, Case, SideDisagreement
from procedures.models import Procedure
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.conftest import make_case, record

pytestmark = [pytest.mark.browser, browser_test]

IDENTITY = "Patient identity confirmed (name, date of birth, MRN)"
CONSENT = "Procedure and side confirmed against consent"
CONSENT_SIGNED = "Consent form signed"
REASON = "Consent re-read with the patient: left. Right was tapped by mistake."


def row(page: Page, case: Case, title: str):
    return page.locator(f"#step-{case.steps.get(title=title).pk}")


@pytest.fixture
def case(nurse, surgeon) -> Case:
    """A left minimally invasive fusion with the patient's identity confirmed."""
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="left")
    record(case, IDENTITY, nurse)
    return case


def test_a_side_mismatch_holds_the_case_until_the_surgeon_resolves_it(
    page, live_server, nurse, surgeon, case
):
    pins.set_pin(user=surgeon, pin="7364")
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    # The side buttons: none chosen for the nurse, the case's side not filled in.
    buttons = row(page, case, CONSENT).locator(".step-buttons button")
    expect(buttons).to_have_text(["Left", "Right", "Both"])
    expect(row(page, case, CONSENT).locator(".btn-primary")).to_have_count(0)
    page.get_by_role("button", name=f"Right: {CONSENT}", exact=True).click()

    banner = page.locator(".side-disagreement")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("SIDES DISAGREE")
    expect(banner).to_contain_text(f"{CONSENT}: right seen, the case is left")
    expect(banner).not_to_contain_text("Resolve the side disagreement")  # the surgeon's
    expect(row(page, case, CONSENT)).to_contain_text("Answer: Right")

    # Every other step is refused while it stands, with why.
    page.get_by_role("button", name=f"Yes: {CONSENT_SIGNED}", exact=True).click()
    expect(row(page, case, CONSENT_SIGNED)).to_contain_text("The sides disagree")
    assert case.steps.get(title=CONSENT_SIGNED).status == "pending"
    page.reload()
    banner.scroll_into_view_if_needed()
    screenshot(page, "sides-disagree-nurse-1024x768", full_page=False)
    assert serious_violations(page) == []

    # The surgeon takes the tablet with a PIN and resolves it with a reason.
    page.get_by_role("link", name="Switch user").click()
    page.get_by_label("Your username").fill("surgeon")
    page.get_by_label("PIN").fill("7364")
    page.get_by_role("button", name="Switch").click()
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    banner.get_by_text("Resolve the side disagreement…").click()
    page.get_by_label("Why the case may go on: what was checked, which side is right").fill(REASON)
    banner.scroll_into_view_if_needed()
    screenshot(page, "sides-disagree-surgeon-resolving-1024x768", full_page=False)
    assert serious_violations(page) == []
    page.reload()  # a screenshot leaves style attributes htmx would copy (see test_stops_and_gates)
    banner.get_by_text("Resolve the side disagreement…").click()
    page.get_by_label("Why the case may go on: what was checked, which side is right").fill(REASON)
    page.get_by_role("button", name="Resolved: go on").click()

    expect(page.get_by_role("status").or_(page.get_by_role("alert")).first).to_be_visible()
    expect(page.locator(".side-disagreement")).to_have_count(0)
    page.get_by_role("button", name=f"Yes: {CONSENT_SIGNED}", exact=True).click()
    expect(row(page, case, CONSENT_SIGNED)).to_contain_text("Recorded by Sue Surgeon")
    screenshot(page, "sides-resolved-1024x768", full_page=False)

    disagreement = SideDisagreement.objects.get()
    assert (disagreement.resolved_by, disagreement.resolution) == (surgeon, REASON)
    actions = list(
        AuditEvent.objects.filter(case=case).order_by("seq").values_list("action", flat=True)
    )
    assert actions[-4:] == [
        AuditAction.STEP_RECORDED,
        AuditAction.SIDE_DISAGREEMENT_RAISED,
        AuditAction.SIDE_DISAGREEMENT_RESOLVED,
        AuditAction.STEP_RECORDED,
    ]
    assert verify_audit().ok
