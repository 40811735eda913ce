"""The low-glare mode (Bootstrap 5.3's data-bs-theme, static/js/theme.js) from the server's side:
the script that sets the mode runs before anything is painted, and our stylesheets draw with
colours that have a value in both modes. What it looks like: tests/browser/test_low_glare.py."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
STYLESHEETS = ("sitracker.css", "checklist.css", "review.css")
HEX = re.compile(r"#[0-9a-fA-F]{3,8}\b")


def test_the_mode_is_set_before_the_stylesheets_and_the_body(client):
    page = client.get(reverse("login")).content.decode()
    script = re.search(r'<script src="[^"]*/js/theme\.js"([^>]*)>', page)
    assert script, "theme.js is not loaded"
    assert "defer" not in script[1] and "async" not in script[1]  # runs before the first paint
    head = page.split("</head>")[0]
    assert script.start() < head.index('rel="stylesheet"')


def test_the_switch_is_hidden_until_its_script_shows_it(client):
    page = client.get(reverse("login")).content.decode()
    button = re.search(r"<button[^>]*data-theme-toggle[^>]*>", page)
    assert button
    assert " hidden" in button[0] and 'aria-pressed="false"' in button[0]


def rules_outside_the_tokens(css: str) -> list[tuple[str, str]]:
    """(selector, body) of each rule, but for the colour tokens and the low-glare overrides
    (selectors starting with :root) and anything for paper (@media print)."""
    while "@media print" in css:
        start = css.index("@media print")
        end, depth = css.index("{", start), 0
        while True:
            depth += {"{": 1, "}": -1}.get(css[end], 0)
            if depth == 0:
                break
            end += 1
        css = css[:start] + css[end + 1 :]
    css = re.sub(r"/\*(?!\s*both modes).*?\*/", "", css, flags=re.S)
    rules = re.findall(r"([^{}]+)\{([^{}]*)\}", css)
    return [(sel.strip(), body) for sel, body in rules if not sel.strip().startswith(":root")]


@pytest.mark.parametrize("name", STYLESHEETS)
def test_our_stylesheets_draw_with_colours_of_both_modes(name):
    """A colour written into a rule would stay the same in the low-glare mode: dark text on
    the dark page, or a pale band glaring in a dark theatre. Rules use the --si-* tokens
    (sitracker.css) or Bootstrap's variables; a colour that reads in both modes says so."""
    css = (ROOT / "static" / "css" / name).read_text()
    fixed = [
        f"{selector}: {line.strip()}"
        for selector, body in rules_outside_the_tokens(css)
        for line in body.splitlines()
        if HEX.search(line) and "both modes" not in line
    ]
    assert fixed == []
