"""Live push in the browser (checklists.live_push, static/js/live.js), on PostgreSQL: two tablets
and the room's wall display, served as deploy/ serves them over one origin (here the ASGI
events server serves the pages too), follow their event streams and ask for nothing until
something changes; a tick on one shows on the other and on the wall at once. A tablet whose
stream is cut polls as it does without push, and sees the change all the same."""

import re

import pytest
from playwright.sync_api import expect

from accounts import devices
from accounts.models import Room
from procedures.choices import Phase
from procedures.models import Procedure
from tests.browser.conftest import browser_test, log_in, screenshot, serious_violations
from tests.conftest import make_case, record_phase

pytestmark = [pytest.mark.browser, pytest.mark.postgres_only, browser_test]

MI = "si-fusion-minimally-invasive"
SEEN = 2000  # ms: a push arrives in milliseconds; polling would take up to 3 s
POLLS = re.compile(r"/cases/\d+/version|/display/live")


@pytest.fixture
def case(nurse, scrub, surgeon):
    case = make_case(
        Procedure.objects.get(slug=MI),
        actor=nurse,
        surgeon=surgeon,
        room="OR 4",
        laterality="left",
        patient_name="Jordan Example",
    )
    record_phase(case, Phase.SIGN_IN, nurse)  # under way: the wall shows it
    return case


@pytest.fixture
def opened(browser, browser_context_args, events_server, case, administrator):
    """Open pages on the events server: ``opened("nurse")`` a tablet on the case, ``opened(None)``
    OR 4's wall display; each page's polls (requests for changes) are counted."""
    contexts = []

    def open_page(username: str | None, *, before=None):
        context = browser.new_context(**browser_context_args)
        contexts.append(context)
        page = context.new_page()
        page.polls = []
        page.on("request", lambda request: POLLS.search(request.url) and page.polls.append(request))
        if before:
            before(page)
        if username is None:
            _, token = devices.enrol(
                name="OR 4 wall",
                kind="wall_display",
                by=administrator,
                room=Room.objects.get(name="OR 4"),
            )
            cookie = {"name": devices.COOKIE, "value": token, "url": events_server.url}
            context.add_cookies([{**cookie, "httpOnly": True}])
            page.goto(f"{events_server.url}/rooms/{Room.objects.get(name='OR 4').pk}/display/")
        else:
            log_in(page, events_server, username)
            page.goto(f"{events_server.url}/cases/{case.pk}/")
        return page

    yield open_page
    for context in contexts:
        context.close()


def next_step(case):
    return case.steps.filter(status="pending").order_by("position").first()


def test_a_tick_shows_on_the_other_tablet_and_the_wall_with_no_polling(opened, case):
    nurse_tablet, scrub_tablet, wall = opened("nurse"), opened("scrub"), opened(None)
    step = next_step(case)
    expect(wall.locator(".wall-now-item")).to_have_text(step.label)
    scrub_tablet.wait_for_timeout(4000)  # longer than a poll's 3 s: none comes

    assert scrub_tablet.polls == []
    assert len(wall.polls) <= 1  # the one check its stream asks for on connecting
    nurse_tablet.get_by_role("button", name=f"Mark done: {step.label}").click()

    expect(scrub_tablet.locator(f"#step-{step.pk}")).to_contain_text(
        "Recorded by Nora Nurse", timeout=SEEN
    )
    expect(wall.locator(".wall-now-item")).to_have_text(next_step(case).label, timeout=SEEN)
    assert len(scrub_tablet.polls) == 1  # one request, on being told
    assert nurse_tablet.polls == []  # its own tick's answer brought its page up to date
    assert serious_violations(scrub_tablet) == []
    screenshot(scrub_tablet, "live-push-tablet-1024x768", full_page=False)


def test_a_tablet_whose_stream_is_cut_polls_and_still_sees_the_change(opened, case):
    def no_stream(page):
        page.route(re.compile(r"/events/"), lambda route: route.abort())

    nurse_tablet, cut_off = opened("nurse"), opened("scrub", before=no_stream)
    step = next_step(case)

    nurse_tablet.get_by_role("button", name=f"Mark done: {step.label}").click()

    expect(cut_off.locator(f"#step-{step.pk}")).to_contain_text(
        "Recorded by Nora Nurse", timeout=5000
    )
    assert cut_off.polls, "without its stream the page asks every few seconds"
