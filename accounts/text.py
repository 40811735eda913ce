"""Ordering text as people read it."""

import re


def natural_key(text: str) -> list[str | int]:
    """A sort key that orders numbers by value, ignoring case: "OR 2" before "OR 10"."""
    parts: list[str | int] = re.split(r"(\d+)", text.casefold())
    parts[1::2] = [int(digits) for digits in parts[1::2]]
    return parts
