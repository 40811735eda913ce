"""Text as people type it and read it: what may be stored, and how it sorts.

One validator for every free-text input (forms, the admin, the workflow): it refuses what no
database stores or no page shows safely — NUL (PostgreSQL refuses it), lone surrogates (they
cannot be encoded: a page showing one fails), other control characters, and the characters
that reorder text on screen (bidirectional overrides, "Trojan Source"). Line breaks and tabs
are kept for notes. A patient's identity is stricter still: no invisible characters at all, and
the name normalised (NFC), so two entries that look the same are the same.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError

# Bidirectional embeddings, overrides and isolates: they make text read differently on screen
# from what it is (U+202A-U+202E, U+2066-U+2069).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
KEPT_CONTROLS = frozenset("\t\n\r")


def forbidden_character(text: str, *, invisible: bool = False) -> str | None:
    """The first character ``text`` must not hold, or None. ``invisible``: also refuse format
    characters (zero-width spaces and joiners, soft hyphens and the like)."""
    for character in text:
        category = unicodedata.category(character)
        if (
            (category == "Cc" and character not in KEPT_CONTROLS)
            or category in ("Cs", "Co", "Cn")
            or character in BIDI_CONTROLS
            or (invisible and category == "Cf")
        ):
            return character
    return None


def describe(character: str) -> str:
    name = unicodedata.name(character, "") if unicodedata.category(character) != "Cs" else ""
    return f"U+{ord(character):04X}{f' {name}' if name else ''}"


def validate_plain_text(text: str) -> None:
    """Refuse control characters, lone surrogates and direction overrides in free text."""
    found = forbidden_character(text)
    if found is not None:
        raise ValidationError(
            "This text holds a character that cannot be stored or shown safely (%(character)s). "
            "Retype it without pasting from another program.",
            code="forbidden_character",
            params={"character": describe(found)},
        )


def validate_identity_text(text: str) -> None:
    """A patient's identity: as free text, and no invisible characters either."""
    found = forbidden_character(text, invisible=True)
    if found is not None:
        raise ValidationError(
            "This holds an invisible or control character (%(character)s): two identities that "
            "look the same must be the same. Retype it.",
            code="invisible_character",
            params={"character": describe(found)},
        )


def normalise_identity(text: str) -> str:
    """The stored form of a name: NFC (one code point for é), surrounding spaces removed, and
    runs of spaces made one."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def natural_key(text: str) -> list[str | int]:
    """A sort key that orders numbers by value, ignoring case: "OR 2" before "OR 10"."""
    parts: list[str | int] = re.split(r"(\d+)", text.casefold())
    parts[1::2] = [int(digits) for digits in parts[1::2]]
    return parts
