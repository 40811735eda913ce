"""A device identifier (DI) as the catalogue keys it: a GS1 GTIN-14, its check digit right."""

import biip
from biip.gtin import Gtin
from biip.rcn import Rcn
from django.core.exceptions import ValidationError

GTIN_LENGTH = 14


def normalise_gtin(value: str) -> str:
    """The GTIN-14 of a GTIN written with 8, 12, 13 or 14 digits (leading zeros added).

    Raises ValidationError, in words, for anything else: letters, a wrong length, a wrong
    check digit, or a restricted circulation number (a shop's own code, not a device's)."""
    digits = value.strip()
    if not digits.isascii() or not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        raise ValidationError(
            f"“{value[:40]}” is not a GTIN: a GTIN has 14 digits (or 8, 12 or 13).",
            code="gtin_format",
        )
    try:
        gtin = Gtin.parse(digits)
    except biip.ParseError:
        raise ValidationError(
            f"The GTIN {digits}'s check digit is wrong: it is mistyped or damaged.",
            code="gtin_check_digit",
        ) from None
    if isinstance(gtin, Rcn):
        raise ValidationError(
            f"{digits} is a restricted circulation number for internal use, not a device's GTIN.",
            code="gtin_rcn",
        )
    return gtin.as_gtin_14()


def validate_gtin(value: str) -> None:
    """A model field's validator: a GTIN-14 whose check digit is right."""
    if len(value) != GTIN_LENGTH:
        raise ValidationError(f"A GTIN is stored with its 14 digits, not “{value[:40]}”.")
    normalise_gtin(value)
