"""Scanning implants on the tablet, at 1024x768: the catalogue names what is scanned on its
read-back card, which one tap confirms; the same serial scanned twice is refused, and so is a
recalled device, with the recall's reason."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from catalogue.models import Recall
from checklists.models import Implant
from procedures.models import Procedure
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.conftest import make_case

pytestmark = [pytest.mark.browser, browser_test]

UDI = "(01)00812345678901(17)281231(10)LOT7(21)SN7001"
RECALLED = "(01)00812345678925(17)281231(10)LOT8(21)SN8001"  # EX-7040, recalled below


def test_a_scan_names_the_implant_and_refuses_a_second_scan_and_a_recalled_device(
    page, live_server, nurse, surgeon, administrator
):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="left")
    Recall.objects.create(
        gtin="00812345678925",
        reason="Porous coating may delaminate",
        recalled_on=datetime.date(2025, 5, 6),
        recorded_by=administrator,
    )
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    panel = page.locator("#implants-left")
    panel.get_by_text("Log an implant…").click()

    def scan(code: str) -> None:
        barcode = panel.get_by_label("Scan the barcode")
        barcode.fill(code)
        barcode.press("Enter")  # what a USB scanner does after the code

    scan(UDI)
    heading = panel.get_by_role("heading", name="Left side: 1 implant, 1 to read back")
    expect(heading).to_be_visible()
    card = panel.locator(".read-back-card")
    expect(card).to_contain_text("Exemplar SI Fusion Implant EX-7045")
    expect(card).to_contain_text("Example Orthopaedics (fictitious)")
    expect(card.locator(".read-back-side")).to_have_text("LEFT")
    expect(card).to_contain_text("31 Dec 2028")
    card.evaluate("element => element.scrollIntoView({block: 'center', behavior: 'instant'})")
    screenshot(page, "implant-read-back-card-1024x768", full_page=False)
    assert serious_violations(page) == []
    read_back = panel.get_by_role("button", name="Read back, open it: Left side implant 1")
    read_back.dblclick()  # gloved hands: a double tap confirms once
    expect(panel.get_by_role("heading", name="Left side: 1 implant")).to_be_visible()
    expect(panel.locator(".implant-name")).to_have_text(
        "Exemplar SI Fusion Implant EX-7045 · Example Orthopaedics (fictitious) · 7.0 x 45 mm"
    )
    expect(panel.get_by_label("Scan the barcode")).to_be_focused()  # ready for the next scan
    implant = Implant.objects.get(case=case)
    assert implant.read_back_by.username == "nurse"
    assert case.audit_events.filter(action="implant_read_back").count() == 1

    scan(UDI)
    expect(panel.get_by_role("alert").filter(has_text="already on this case's log")).to_have_text(
        "⚠ This device (serial SN7001) is already on this case's log: left side, implant 1. "
        "Scan the next one."
    )
    expect(panel.get_by_label("Scan the barcode")).to_be_focused()  # empty, for the next scan
    expect(panel.get_by_label("Scan the barcode")).to_have_value("")

    scan(RECALLED)
    refusal = panel.get_by_role("alert").filter(has_text="Recalled")
    expect(refusal).to_contain_text(
        "Recalled on 06 May 2025: Porous coating may delaminate. Do not implant it"
    )
    expect(panel.get_by_role("heading", name=re.compile("^Left side: 1 implant"))).to_be_visible()
    assert Implant.objects.filter(case=case).count() == 1
    refusal.evaluate("element => element.scrollIntoView({block: 'center', behavior: 'instant'})")
    screenshot(page, "implant-scan-recalled-1024x768", full_page=False)
    assert serious_violations(page) == []


def test_an_implant_opened_but_not_implanted_is_marked_with_why_and_not_counted(
    page, live_server, nurse, surgeon
):
    procedure = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    case = make_case(procedure, actor=nurse, surgeon=surgeon, laterality="left")
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    panel = page.locator("#implants-left")
    panel.get_by_text("Log an implant…").click()
    for serial in ("SN7101", "SN7102"):
        barcode = panel.get_by_label("Scan the barcode")
        barcode.fill(UDI.replace("SN7001", serial))
        barcode.press("Enter")
        item = panel.locator(".implant-item").filter(has_text=serial)
        item.get_by_role("button", name=re.compile("^Read back, open it")).click()
        expect(item.locator(".implant-name")).to_be_visible()
    expect(panel.get_by_role("heading", name="Left side: 2 implants")).to_be_visible()

    second = panel.locator(".implant-item").filter(has_text="SN7102")
    second.get_by_text("Opened, not implanted…").click()
    second.get_by_label("Why it was opened but not implanted").fill("Dropped on the floor")
    second.get_by_role("button", name=re.compile("^Record as opened, not implanted")).click()

    expect(
        panel.get_by_role("heading", name="Left side: 1 implant, 1 opened, not implanted")
    ).to_be_visible()
    wasted = panel.locator(".implant-item").filter(has_text="SN7102")
    expect(wasted.locator(".implant-wasted-note")).to_have_text(
        "Opened, not implanted because: Dropped on the floor"
    )
    expect(wasted.get_by_text("Opened, not implanted…")).to_have_count(0)
    assert Implant.objects.get(serial="SN7102").wasted_reason == "Dropped on the floor"
    wasted.evaluate("element => element.scrollIntoView({block: 'center', behavior: 'instant'})")
    screenshot(page, "implant-opened-not-implanted-1024x768", full_page=False)
    assert serious_violations(page) == []
