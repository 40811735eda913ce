"""The board, the new-case form and the sign-out page on a tablet, both ways round."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from checklists import workflow
from procedures.models import Procedure
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.conftest import PASSWORD, make_case, make_procedure, record

pytestmark = [pytest.mark.browser, browser_test]

LANDSCAPE = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}
TAP = 44


def fits_without_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


TARGETS = ", ".join(
    f"main {selector}"
    for selector in (
        ".btn",
        "button",
        "input:not([type=hidden]):not([type=radio])",  # a radio's target is its .form-check row
        "select",
        ".form-check",
        ".missing-steps a",
        ".board-case",
    )
)


def small_targets(page) -> list[str]:
    """Buttons, inputs and button-like links in the page's main part shorter than a fingertip."""
    return page.evaluate(
        """([selector, tap]) => [...document.querySelectorAll(selector)]
            .filter((el) => el.getBoundingClientRect().height < tap)
            .map((el) => el.outerHTML.slice(0, 80))""",
        [TARGETS, TAP],
    )


def assert_fits_a_tablet_either_way_round(page) -> None:
    page.wait_for_load_state()  # measure with the stylesheets applied, not the bare HTML
    for viewport in (PORTRAIT, LANDSCAPE):
        page.set_viewport_size(viewport)
        assert fits_without_sideways_scrolling(page), viewport
        assert small_targets(page) == [], viewport
        assert serious_violations(page) == [], viewport


def at(hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time(hour, minute))
    )


@pytest.fixture
def busy_day(nurse, surgeon):
    mi = Procedure.objects.get(slug="si-fusion-minimally-invasive")
    open_ = Procedure.objects.get(slug="si-fusion-open")
    first = make_case(
        mi, actor=nurse, surgeon=surgeon, laterality="bilateral", scheduled_start=at(8)
    )
    record(first, first.steps.order_by("position").first().title, nurse)
    make_case(open_, actor=nurse, surgeon=surgeon, room="OR 3", scheduled_start=at(11, 30))
    cancelled = make_case(mi, actor=nurse, surgeon=surgeon, room="OR 12", scheduled_start=at(9))
    workflow.cancel(actor=nurse, case_id=cancelled.pk, reason="Patient unwell")
    make_case(mi, actor=nurse, surgeon=surgeon, room="OR 12", scheduled_start=at(13, 15))
    return first


def test_the_board_fits_a_tablet_either_way_round(page, live_server, busy_day):
    log_in(page, live_server, "nurse")

    expect(page.get_by_role("heading", name="OR 12")).to_be_visible()

    assert_fits_a_tablet_either_way_round(page)
    screenshot(page, "board-1024x768")


def test_a_case_on_the_board_opens_its_checklist(page, live_server, busy_day):
    log_in(page, live_server, "nurse")

    page.get_by_role("link", name=re.compile(r"minimally invasive.*08:00")).click()

    page.wait_for_url(f"{live_server.url}/cases/{busy_day.pk}/")


def test_the_date_switcher_moves_a_day_at_a_time(page, live_server, nurse):
    log_in(page, live_server, "nurse")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    page.get_by_role("link", name="Next day").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{tomorrow:%A} {tomorrow.day} {tomorrow:%B %Y}"
    )
    page.get_by_role("link", name="Today", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")


def test_a_nurse_schedules_a_case_after_fixing_what_was_wrong(page, live_server, nurse, surgeon):
    log_in(page, live_server, "nurse")
    page.get_by_role("link", name="Schedule a case").click()
    page.get_by_label("MRN").fill("MRN0042")
    page.get_by_label("Patient name").fill("Pat Example")
    page.get_by_label("Date of birth").fill("2090-01-01")
    page.get_by_label("SI joint fusion — minimally invasive (lateral transiliac)").check()
    page.get_by_label("Sue Surgeon").check()

    page.get_by_role("button", name="Schedule case").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The date of birth cannot be in the future.")
    expect(alert).to_contain_text("Choose the side: left, right, bilateral or no side.")
    expect(alert).to_contain_text("Choose the operating room.")
    assert_fits_a_tablet_either_way_round(page)

    page.get_by_label("Date of birth").fill("1961-03-14")
    page.get_by_role("radio", name="Bilateral").check()
    page.get_by_label("OR 3", exact=True).check()
    page.get_by_role("button", name="Schedule case").click()

    page.wait_for_url(re.compile(r"/cases/\d+/$"))


def test_the_surgeon_signs_out_from_the_sign_out_page(page, live_server, nurse, surgeon):
    case = make_case(
        make_procedure({"title": "Identity confirmed"}, {"title": "Incision"}),
        actor=nurse,
        surgeon=surgeon,
    )
    record(case, "Identity confirmed", nurse)
    log_in(page, live_server, "surgeon")
    page.goto(f"{live_server.url}/cases/{case.pk}/sign-out/")
    expect(page.get_by_role("link", name="Incision")).to_have_attribute(
        "href", f"/cases/{case.pk}/#step-{case.steps.get(title='Incision').pk}"
    )
    assert serious_violations(page) == []
    record(case, "Incision", nurse)
    page.reload()

    page.get_by_label("Your password").fill("not-my-password")
    page.get_by_role("button", name="Sign the case").click()

    expect(page.get_by_role("alert")).to_have_text(
        "The password is not right. The case was not signed."
    )
    assert_fits_a_tablet_either_way_round(page)
    page.get_by_label("Your password").fill("Theatre-4-demo")
    page.get_by_role("button", name="Sign the case").click()
    page.wait_for_url(f"{live_server.url}/cases/{case.pk}/")
    page.goto(f"{live_server.url}/cases/{case.pk}/sign-out/")
    expect(page.get_by_text("Signed by the surgeon and locked.")).to_be_visible()
    assert serious_violations(page) == []


def test_the_surgeon_signs_on_the_nurses_tablet_which_stays_hers(
    page, live_server, nurse, surgeon, other_surgeon
):
    case = make_case(
        make_procedure({"title": "Identity confirmed"}, {"title": "Incision"}),
        actor=nurse,
        surgeon=surgeon,
    )
    record(case, "Identity confirmed", nurse)
    record(case, "Incision", nurse)
    log_in(page, live_server, "nurse")
    page.goto(f"{live_server.url}/cases/{case.pk}/")

    page.get_by_role("link", name="Hand to the surgeon to sign").click()
    expect(page.get_by_role("radio", name="Sue Surgeon")).to_be_checked()  # the case's surgeon
    password = page.get_by_label("The surgeon's password")
    expect(password).to_be_in_viewport()  # at 1024x768, without a swipe
    assert serious_violations(page) == []
    screenshot(page, "sign-on-the-nurses-tablet-1024x768", full_page=False)
    page.get_by_label("Otto Other").check()  # a tap on a name leads to the password
    expect(password).to_be_focused()
    password.fill("not-otto's-password")
    page.get_by_role("button", name="Sign the case").click()
    expect(page.get_by_role("alert")).to_have_text(
        "The password is not right. The case was not signed."
    )
    expect(page.get_by_role("radio", name="Otto Other")).to_be_checked()  # still chosen
    page.get_by_label("Sue Surgeon").check()
    page.get_by_label("The surgeon's password").fill(PASSWORD)
    page.get_by_role("button", name="Sign the case").click()

    page.wait_for_url(f"{live_server.url}/cases/{case.pk}/")
    expect(page.get_by_role("status").filter(has_text="Case signed by Sue Surgeon")).to_be_visible()
    expect(page.locator(".user-menu")).to_contain_text("Nora Nurse")  # the tablet is still hers
    assert case.signatures.get().signer == surgeon
