"""The day's theatre list on the tablet, at 1024x768: a nurse imports the file, reads the
report (a refused row named with its line), then opens an imported patient's case from the
new-case page without typing their identity; axe clean on both pages."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.dates import local_midnight
from accounts.models import Room
from checklists.models import Case
from checklists.schedule_import import HEADER
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations

pytestmark = [pytest.mark.browser, browser_test]


def test_a_nurse_imports_the_list_and_opens_a_patient_from_it(
    page, live_server, nurse, surgeon, tmp_path
):
    Room.objects.get_or_create(name="OR 1")
    start = local_midnight(timezone.localdate()) + datetime.timedelta(hours=23)
    rows = [
        f"APT-1,MRN00001,Ada Lovelace,1961-03-14,si-fusion-minimally-invasive,left,"
        f"{surgeon.username},OR 1,{start.isoformat()}",
        f"APT-2,MRN00002,Grace Hopper,1956-12-09,si-fusion-open,bilateral,"
        f"{surgeon.username},OR 99,{start.isoformat()}",
    ]
    path = tmp_path / "theatre-list.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    log_in(page, live_server, nurse.username)

    page.goto(f"{live_server.url}/cases/new/")
    page.get_by_role("link", name="Import the day's theatre list").click()
    page.get_by_label("Theatre list file").set_input_files(path)
    page.get_by_role("button", name="Import the list").click()

    report = page.get_by_role("status")
    expect(report).to_contain_text("1 created, 0 updated, 0 unchanged, 1 refused.")
    expect(report).to_contain_text("line 3 (appointment APT-2)")
    assert serious_violations(page) == []
    screenshot(page, "theatre-list-report", full_page=False)

    page.goto(f"{live_server.url}/cases/new/")
    listed = page.get_by_role("region", name="On today's theatre list")
    expect(listed).to_contain_text("Ada Lovelace")
    assert serious_violations(page) == []
    screenshot(page, "theatre-list-pick", full_page=False)
    listed.get_by_role("link", name="Ada Lovelace").click()

    case = Case.objects.get(source_appointment_id="APT-1")
    page.wait_for_url(f"**/cases/{case.pk}/")
    expect(page.get_by_text("Ada Lovelace").first).to_be_visible()
