"""Reading the checklist page's HTML in tests, the way a person reads it: rows, text, names."""

import html
import re

from django.db.models import Q

from procedures.models import Procedure

MI = "si-fusion-minimally-invasive"
IDENTITY = "Patient identity confirmed (name, date of birth, MRN)"
CONSENT = "Consent form signed"
ALLERGY = "Known allergy"
ANAESTHESIA = "General anaesthesia induced"
POSITIONED = "Patient positioned prone; fluoroscopic inlet, outlet and lateral views obtained"
TEAM = "Team members introduced by name and role"
TIME_OUT_STOP = "Patient, procedure, side and position confirmed aloud"
INCISION = "Lateral buttock incision made"
IMPLANTS = "Implants passed across the joint and secured (screws/pins)"
PERFORMED = "Procedure performed recorded"


def mi_procedure() -> Procedure:
    return Procedure.objects.get(slug=MI)


def content(response) -> str:
    return response.content.decode()


def row(page: str, step) -> str:
    """The ``<li>`` of one step, with the list items it may hold (an implant step's implants)."""
    start = page.find(f'<li id="step-{step.pk}"')
    assert start >= 0, f"no row for step {step.pk}"
    depth = 0
    for tag in re.finditer(r"<(/?)li\b[^>]*>", page[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return page[start : start + tag.end()]
    raise AssertionError(f"the row of step {step.pk} is not closed")


def text(fragment: str) -> str:
    """What a screen reader would read: tags dropped, entities decoded, spaces collapsed."""
    inline_dropped = re.sub(r"</?(?:span|strong|em|a|time)\b[^>]*>", "", fragment)
    without_tags = re.sub(r"<[^>]+>", " ", inline_dropped)
    return " ".join(html.unescape(without_tags).split())


def buttons(fragment: str) -> list[str]:
    """The accessible names of the buttons: their aria-label, else their text."""
    names = []
    for found in re.findall(r"<button\b.*?</button>", fragment, re.DOTALL):
        label = re.match(r'<button\b[^>]*\saria-label="([^"]*)"', found)
        names.append(html.unescape(label.group(1)) if label else text(found))
    return names


def summaries(fragment: str) -> list[str]:
    """The accessible names of the disclosures (``<summary>``): their aria-label."""
    return [
        html.unescape(name)
        for name in re.findall(r'<summary\b[^>]*\saria-label="([^"]*)"', fragment)
    ]


CHANGE_PANEL = '<details class="step-change"'


def outside_change(row_html: str) -> str:
    """A row without its "Change…" panel (which comes last in a recorded row)."""
    return row_html.split(CHANGE_PANEL)[0]


def change_panel(row_html: str) -> str:
    """A recorded row's "Change…" panel: its summary and the controls it opens."""
    assert CHANGE_PANEL in row_html, "no Change… panel in this row"
    return CHANGE_PANEL + row_html.split(CHANGE_PANEL, 1)[1]


def ids(fragment: str) -> list[str]:
    return re.findall(r'\sid="([^"]+)"', fragment)


def out_of_band_ids(fragment: str) -> list[str]:
    """The ids of the elements an htmx answer swaps out of band."""
    tags = re.findall(r"<[a-z]+\b[^>]*\bhx-swap-oob=\"true\"[^>]*>", fragment)
    return [re.search(r'\sid="([^"]+)"', tag).group(1) for tag in tags]


def step_of(case, title: str, side: str = ""):
    return case.steps.get(Q(title=title) & Q(side=side))
