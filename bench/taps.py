"""``python -m bench.taps``: the taps and full-screen scrolls of a whole bilateral minimally
invasive case on the tablet (1024x768), printed.

It runs the browser test that drives the journey (tests/browser/test_tap_count.py: schedule the
case, record every step, scan the implants, hand over, sign) against Django's live server and
Debian's Chromium, on the test database of the settings in use (DATABASE_URL, else SQLite), and
shows its report. Any other arguments go to pytest.
"""

import sys

import pytest

JOURNEY = "tests/browser/test_tap_count.py"


def main(argv: list[str]) -> int:
    return int(pytest.main(["-p", "no:xdist", "-q", "--show-capture=no", JOURNEY, *argv]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
