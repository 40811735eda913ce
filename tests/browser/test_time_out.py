"""The read-aloud Time Out on the nurse's tablet (1024x768), the wall display (1920x1080)
following it: one item at a time, large, with who answers; the team and the attestations at the
end. Screenshots (artifacts/) are looked at: the tablet at arm's length, the wall from 3 m."""

import re

import pytest
from playwright.sync_api import expect

from checklists.audit import verify_audit
from checklists.models import TimeOut
from procedures.choices import Phase
from procedures.models import Procedure
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.browser.test_wall_display import MI, wall  # noqa: F401 -- the wall display fixture
from tests.conftest import make_case, record_phase

pytestmark = [pytest.mark.browser, browser_test]


def test_the_team_reads_the_time_out_aloud_and_the_wall_follows(
    wall,  # noqa: F811
    page,
    live_server,
    nurse,
    surgeon,
    anaesthetist,
    scrub,
):
    case = make_case(
        Procedure.objects.get(slug=MI),
        actor=nurse,
        surgeon=surgeon,
        room="OR 4",
        laterality="right",
        patient_name="Jordan Example",
        patient_mrn="MRN-778812",
    )
    record_phase(case, Phase.SIGN_IN, nurse)
    record_phase(case, Phase.INDUCTION, anaesthetist)
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    page.get_by_role("button", name="Start Time Out").click()

    items = list(case.steps.filter(phase=Phase.TIME_OUT).order_by("position"))
    expect(page.get_by_role("heading", name="Time Out: read aloud")).to_be_visible()
    expect(page.locator(".read-aloud-now")).to_have_text(items[0].label)
    expect(page.get_by_text("Item 1 of 7")).to_be_visible()
    expect(page.get_by_text("Answered by the circulating nurse")).to_be_visible()
    assert serious_violations(page) == []
    screenshot(page, "time-out-read-aloud-1024x768", full_page=False)
    # The wall, within three seconds: the Time Out, the item being read, the patient large.
    expect(wall.locator(".wall-time-out-title")).to_contain_text("TIME OUT", timeout=3000)
    expect(wall.locator(".wall-now-item")).to_have_text(items[0].label)
    expect(wall.get_by_text("Jordan Example")).to_be_visible()
    expect(wall.locator(".wall-side")).to_contain_text("RIGHT")
    assert serious_violations(wall) == []
    screenshot(wall, "wall-time-out-read-aloud-1920x1080", full_page=False)

    for number, item in enumerate(items, start=1):
        expect(page.get_by_text(f"Item {number} of 7")).to_be_visible()
        expect(page.locator(".read-aloud-now")).to_have_text(item.label)
        page.get_by_role("button", name=re.compile("^Spoken: ")).first.click()
        if number < len(items):
            nxt = items[number].label
            expect(wall.locator(".wall-now-item")).to_have_text(nxt, timeout=3000)

    # The ending: the surgeon, the anaesthetist (who induced) and the nurse are offered.
    expect(page.get_by_role("heading", name=re.compile("Every item read"))).to_be_visible()
    expect(page.get_by_label("Anaesthetist")).to_have_value(str(anaesthetist.pk))
    page.get_by_label("Scrub (if any)").select_option(label="Sam Scrub")
    page.locator("#div_id_all_items_spoken").get_by_label("Yes").check()
    page.locator("#div_id_everyone_present").get_by_label("Yes").check()
    page.locator("#div_id_interrupted").get_by_label("No").check()
    assert serious_violations(page) == []
    screenshot(page, "time-out-ending-1024x768", full_page=True)
    page.get_by_role("button", name="End the Time Out").click()

    expect(page.get_by_text(re.compile(r"Time Out done in \d+ min \d+ s"))).to_be_visible()
    time_out = TimeOut.objects.get(case=case)
    assert time_out.holds and time_out.scrub == scrub and time_out.anaesthetist == anaesthetist
    expect(wall.locator(".wall-phase")).to_have_text("Procedure", timeout=3000)
    expect(wall.locator(".wall-clock")).to_contain_text("Time Out done 0 min ago")
    assert verify_audit().ok
