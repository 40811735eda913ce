"""Playwright against Debian's Chromium and Django's live server.

Browser tests are transactional (the live server runs in another thread): the tables are
flushed after each, so each starts by putting back the roles and procedures the migrations
installed (the ``reference_data`` fixture, autouse here), and the sample device catalogue that
names the implants the journeys scan (``device_catalogue``, as ``seed_demo`` loads it).
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.conftest import PASSWORD

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make beside
# it are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"

browser_test = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _reference_data(reference_data, device_catalogue) -> None:
    """The seeded procedures and the sample device catalogue (see tests/conftest.py), and the
    rooms the new-case form offers."""
    from accounts.models import Room

    for number in range(1, 10):
        Room.objects.get_or_create(name=f"OR {number}")


@pytest.fixture(autouse=True)
def csp_violations(request, monkeypatch):
    """Fail a browser test whose pages broke the Content Security Policy: Chromium reports each
    refused inline script or style, eval or foreign source on the console. Every browser
    context the test opens is watched, the ``page`` fixture's and those made with
    ``browser.new_context()``. A test provoking one on purpose takes it off the list."""
    violations: list[str] = []
    if not {"page", "context", "browser"} & set(request.fixturenames):
        yield violations
        return
    browser = request.getfixturevalue("browser")
    new_context = browser.new_context

    def note(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{message.location.get('url')}: {message.text}")

    def watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.on("console", note)
        return context

    monkeypatch.setattr(browser, "new_context", watched_context)
    yield violations
    assert not violations, "Content Security Policy violations:\n" + "\n".join(violations)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # The circulating nurse's tablet, landscape.
    return {**browser_context_args, "viewport": {"width": 1024, "height": 768}}


def log_in(page, live_server, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")


def enrol(page, live_server, *, by, room=None) -> None:
    """Make the page's browser a tablet enrolled for the quick user switch (as an administrator
    does on /devices/enrol/, see test_switch_tablet.py): its switch screen lists names; with a
    ``room`` (an accounts.Room), cases scheduled on it are in that room unless changed."""
    from accounts import devices
    from accounts.choices import DeviceKind

    _, token = devices.enrol(name="OR 3 cart", kind=DeviceKind.SWITCH_TABLET, by=by, room=room)
    cookie = {"name": devices.COOKIE, "value": token, "url": live_server.url, "httpOnly": True}
    page.context.add_cookies([cookie])


# Whether a CSS transition is still running (a control's colours after a tap, mid-way).
TRANSITIONS_DONE = """() => document.getAnimations().every(
  (animation) => !(animation instanceof CSSTransition) || animation.playState !== "running")"""


def serious_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it stands, once its CSS
    transitions are over: a button just tapped, under the pointer, fades to its hover colours
    in 0.15 s, and axe measuring the contrast half-way found a grey no state of the button has
    (the fold of a phase, 2 December)."""
    page.wait_for_function(TRANSITIONS_DONE)
    results = Axe().run(page)
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save what the page shows under artifacts/ (git-ignored), for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # caret="initial": hiding the caret leaves style="" on every input, which htmx then copies
    # onto the next swap of those elements, and the Content Security Policy refuses that.
    page.screenshot(path=str(path), full_page=full_page, caret="initial")
    return path


def element_screenshot(locator, name: str) -> Path:
    """Save what one element shows (a row, a panel) under artifacts/, for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    locator.screenshot(path=str(path), caret="initial")  # see screenshot()
    return path


def move_session_clock(page, seconds: float) -> None:
    """Make the server's record of the tablet's last activity ``seconds`` older: time passing for
    the session, as the middleware will see it on the next request."""
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.middleware import LAST_ACTIVITY

    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=cookie["value"])
    session[LAST_ACTIVITY] -= seconds
    session.save()


def idle_past_the_limit(page) -> None:
    """Nobody touches the tablet for the whole idle period (``SESSION_IDLE_TIMEOUT``): the
    server's session reaches its limit, and the page's clock (Playwright's, installed with
    ``page.clock.install()`` before the page loaded) runs past it, countdown and all. Neither
    waits: a test at the one-minute setting takes seconds, however busy the machine."""
    from django.conf import settings

    move_session_clock(page, settings.SESSION_IDLE_TIMEOUT + 1)
    page.clock.fast_forward((settings.SESSION_IDLE_TIMEOUT + 2) * 1000)
