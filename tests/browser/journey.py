"""A person's hands on the tablet, counted: what ``test_tap_count`` and ``bench.taps`` drive.

A tap is a click or a press a person makes: a button, a link, a tab of a list, the field they
are about to type in; a native list (``<select>``) takes two, one to open it and one for the
option. Typing is not a tap, nor is what a barcode scanner does (it types the code and presses
Enter itself, into the field that has the focus). Before each tap the target must be in view,
between the sticky header and the sticky footer: when it is not, the person swipes the page, and
each swipe moves it by at most that band's height (a full-screen scroll).
"""

import math
import re
import time
from collections import Counter
from contextlib import contextmanager

from playwright.sync_api import Locator, Page, expect

from checklists import workflow
from checklists.models import CaseStep
from procedures.choices import StepKind

# The part of the screen a person can tap: below the sticky case header, above the sticky footer.
BAND = """() => {
  let top = 0, bottom = window.innerHeight;
  const header = document.querySelector(".case-header");
  const footer = document.getElementById("checklist-footer");
  if (header) { top = Math.max(top, header.getBoundingClientRect().bottom); }
  if (footer && !footer.hidden) { bottom = Math.min(bottom, footer.getBoundingClientRect().top); }
  return {top, bottom};
}"""

UDI = "(01)00812345678901(17)281231(10)LOT{side}{number}(21)SN{side}{number}"
IMPLANTS_PER_SIDE = 3


class Tablet:
    """The page, and what the person has done on it so far, by stage of the journey."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.stage = ""
        self.taps: Counter[str] = Counter()
        self.scrolls: Counter[str] = Counter()
        self.scroll_moments: Counter[str] = Counter()  # times a target was out of view

    @contextmanager
    def during(self, stage: str):
        self.stage = stage
        yield
        self.stage = ""

    def tap(self, target: Locator) -> None:
        self.bring_into_view(target)
        target.click()
        self.taps[self.stage] += 1

    def type_into(self, field: Locator, text: str) -> None:
        self.tap(field)
        field.fill(text)

    def choose(self, select: Locator, label: str) -> None:
        """A native list: a tap opens it, a tap picks the option."""
        self.tap(select)
        select.select_option(label=label)
        self.taps[self.stage] += 1

    def scan(self, field: Locator, code: str) -> None:
        """What a USB scanner does: the code and Enter, into the focused field (no tap)."""
        expect(field).to_be_focused()
        field.fill(code)
        field.press("Enter")

    def bring_into_view(self, target: Locator) -> None:
        """Swipe until ``target`` is in the band, as a person would: it lands near the top."""
        target.wait_for(state="visible")
        box = target.bounding_box()
        assert box is not None
        band = self.page.evaluate(BAND)
        if band["top"] <= box["y"] and box["y"] + box["height"] <= band["bottom"]:
            return
        distance = box["y"] - band["top"] - 8
        height = band["bottom"] - band["top"]
        self.page.evaluate("(d) => window.scrollBy({top: d, behavior: 'instant'})", distance)
        self.scrolls[self.stage] += math.ceil(abs(distance) / height)
        self.scroll_moments[self.stage] += 1

    def in_band(self, target: Locator) -> bool:
        box = target.bounding_box()
        band = self.page.evaluate(BAND)
        return box is not None and band["top"] <= box["y"] < box["y"] + 44 <= band["bottom"]

    def comes_into_band(self, target: Locator, timeout: float = 3.0) -> bool:
        """Whether ``target`` is in the band once the page has stopped moving: on a busy machine
        a smooth scroll can start some frames after the tap, when ``settled`` has already seen
        three frames without movement, so the band is looked at again until ``timeout``."""
        deadline = time.monotonic() + timeout
        while not self.in_band(target):
            if time.monotonic() > deadline:
                return False
            self.page.wait_for_timeout(50)
            self.settled()
        return True

    def settled(self) -> None:
        """Wait for a smooth scroll to end (three frames without movement)."""
        self.page.wait_for_function(
            """() => new Promise((done) => {
                 let last = window.scrollY, still = 0;
                 const look = () => {
                   still = window.scrollY === last ? still + 1 : 0;
                   last = window.scrollY;
                   if (still >= 3) { done(true); } else { requestAnimationFrame(look); }
                 };
                 requestAnimationFrame(look);
               })"""
        )


def row(page: Page, step: CaseStep) -> Locator:
    return page.locator(f"#step-{step.pk}")


def record_step(tablet: Tablet, step: CaseStep) -> None:
    """Record one step as the team would: the expected answer (else "No"), the first option,
    the case's side where the side seen is asked, 4 cm, a sentence where there is no default,
    three implants per side by the scanner."""
    page, label = tablet.page, step.label
    if step.kind == StepKind.IMPLANTS:
        scan_implants(tablet, step.side)
        tablet.tap(page.get_by_role("button", name=f"Mark done: {label}", exact=True))
    elif step.kind == StepKind.YES_NO:
        answer = (step.expected_answer or "no").title()
        tablet.tap(page.get_by_role("button", name=f"{answer}: {label}", exact=True))
    elif step.kind == StepKind.CHOICE:
        tablet.tap(page.get_by_role("button", name=f"{step.options[0]}: {label}", exact=True))
    elif step.kind == StepKind.SIDE:  # the side seen, one tap, as the case says (they agree)
        seen = workflow.side_expected(step.case, step).title()
        tablet.tap(page.get_by_role("button", name=f"{seen}: {label}", exact=True))
    elif step.kind == StepKind.NUMBER:
        tablet.type_into(row(page, step).get_by_label(re.compile("^Value")), "4")
        tablet.tap(page.get_by_role("button", name=f"Save: {label}", exact=True))
    elif step.kind == StepKind.TEXT:
        field = row(page, step).get_by_label(re.compile("^Answer"))
        if not field.input_value():
            tablet.type_into(field, "Routine recovery; analgesia as charted.")
        tablet.tap(page.get_by_role("button", name=f"Save: {label}", exact=True))
    else:
        tablet.tap(page.get_by_role("button", name=f"Mark done: {label}", exact=True))
    expect(row(page, step)).to_contain_text("Recorded by")


def scan_implants(tablet: Tablet, side: str) -> None:
    """A tap into the side's barcode field unless it has the focus already (the page gives it
    when the step comes next); the scanner does the rest. Each scan shows the implant's
    read-back card, which the team reads aloud before opening the box and one tap confirms;
    the barcode field then has the focus again for the next scan."""
    panel = tablet.page.locator(f"#implants-{side}")
    field = panel.get_by_label("Scan the barcode")
    if not field.evaluate("(field) => field === document.activeElement"):
        tablet.tap(field)
    for number in range(1, IMPLANTS_PER_SIDE + 1):
        tablet.scan(panel.get_by_label("Scan the barcode"), UDI.format(side=side, number=number))
        label = f"Read back, open it: {side.title()} side implant {number}"
        tablet.tap(panel.get_by_role("button", name=label, exact=True))
        heading = f"{side.title()} side: {number} implant{'s' if number > 1 else ''}"
        expect(panel.get_by_role("heading", name=heading, exact=True)).to_be_visible()
