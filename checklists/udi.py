"""Reading an implant's GS1 UDI barcode into its parts, with biip doing the GS1 parsing."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import biip
from biip.gs1_element_strings import GS1ElementString, GS1ElementStrings
from biip.gs1_messages import GS1Message
from biip.rcn import Rcn
from biip.symbology import GS1Symbology

# The Implant.udi column holds the barcode as scanned; nothing longer is a real UDI.
MAX_LENGTH = 200

GTIN = "01"
EXPIRY = "17"
LOT = "10"
SERIAL = "21"

_AI_NAMES = {
    GTIN: "product number (GTIN)",
    EXPIRY: "expiry date",
    LOT: "lot number",
    SERIAL: "serial number",
}

# GS1 data is printable ASCII; the group separator stands in for FNC1. Anything else is refused
# before biip sees it, because its patterns use \d, which also matches non-ASCII digits.
_GS1_CHARACTERS = re.compile(r"[\x1d\x20-\x7e]*")

# The symbology identifiers (e.g. "]C1", "]d2") of barcodes that carry a GS1 message. biip
# itself raises IndexError or ValueError on some truncated identifiers, such as a lone "]".
_GS1_MESSAGE_SYMBOLOGIES = frozenset(f"]{s.value}" for s in GS1Symbology.with_gs1_messages())

_BIIP_AI = re.compile(r"GS1 AI \((\d+)\)")


@dataclass(frozen=True)
class UdiParts:
    gtin: str
    expiry: datetime.date | None
    lot: str
    serial: str
    raw: str


def is_human_readable(raw: str) -> bool:
    """Whether a UDI is the text printed under its barcode, ``(01)…(17)…``, the form a person
    types (HRF), rather than the data a scanner reads (AIDC: AIs without brackets, group
    separators, perhaps a symbology identifier such as ``]d2``)."""
    return raw.strip().startswith("(")


class UdiError(ValueError):
    """The scan cannot be used as a UDI; the message says why, in words a nurse can read."""


def parse_udi(raw: str) -> UdiParts:
    """Read a scanned GS1 UDI into its GTIN, expiry, lot and serial number.

    Accepts the bracketed form printed under the barcode, ``(01)…(17)…(10)…(21)…``, and the
    scanner's raw form with group separators (``\\x1d``) and an optional symbology identifier
    such as ``]C1`` or ``]d2``. The AIs may come in any order; expiry, lot and serial may be
    absent (``None`` or ``""``). An expiry day of ``00`` means the last day of that month.

    Raises UdiError for anything that is not a complete, valid UDI with a GTIN: nothing
    half-read is ever returned.
    """
    value = raw.strip()
    if not value:
        raise UdiError("Nothing was scanned: the barcode is empty.")
    if len(value) > MAX_LENGTH:
        raise UdiError(
            f"The barcode is too long to be a UDI ({len(value)} characters, at most {MAX_LENGTH})."
        )
    if not _GS1_CHARACTERS.fullmatch(value):
        raise UdiError("The barcode holds characters that a GS1 UDI cannot contain.")

    elements = _read_bracketed(value) if is_human_readable(value) else _read_scanned(value)

    gtin_element = _single(elements, GTIN)
    if gtin_element is None:
        raise UdiError("The barcode has no product number (GTIN, AI 01), so it is not a UDI.")
    if gtin_element.gtin is None:
        raise UdiError(f"The barcode's GTIN check digit is wrong ({gtin_element.gtin_error}).")
    if isinstance(gtin_element.gtin, Rcn):
        raise UdiError(
            "The barcode's product number is a restricted circulation number for internal "
            "use, not a device identifier, so it is not a UDI."
        )
    expiry = _single(elements, EXPIRY)
    lot = _single(elements, LOT)
    serial = _single(elements, SERIAL)
    return UdiParts(
        gtin=gtin_element.gtin.as_gtin_14(),
        # biip turns day "00" into the last day of the month, as the GS1 spec says.
        expiry=expiry.date if expiry else None,
        lot=lot.value if lot else "",
        serial=serial.value if serial else "",
        raw=value,
    )


def _read_bracketed(value: str) -> GS1ElementStrings:
    try:
        message = GS1Message.parse_hri(value)
    except biip.ParseError as exc:
        raise _unreadable(str(exc)) from exc
    # parse_hri skips text it cannot match, such as "()" or a trailing "(": only a message that
    # renders back to exactly what was scanned has been read whole.
    if message.as_hri() != "".join(value.split()):
        raise UdiError("The barcode is incomplete or damaged: part of it could not be read.")
    return message.element_strings


def _read_scanned(value: str) -> GS1ElementStrings:
    if value.startswith("]") and value[:3] not in _GS1_MESSAGE_SYMBOLOGIES:
        raise UdiError("This is not a GS1 barcode, so it cannot be a UDI.")
    result = biip.parse(value)
    if result.gs1_digital_link_uri is not None:
        raise UdiError(
            "This is a GS1 Digital Link (a web address), which is not read here: scan the "
            "implant's GS1 DataMatrix or GS1-128 barcode instead."
        )
    if result.gs1_message is None:
        if result.gs1_message_error:
            raise _unreadable(result.gs1_message_error)
        raise UdiError("This is not a GS1 barcode, so it cannot be a UDI.")
    return result.gs1_message.element_strings


def _single(elements: GS1ElementStrings, ai: str) -> GS1ElementString | None:
    found = [element for element in elements if element.ai.ai == ai]
    if len({element.value for element in found}) > 1:
        raise UdiError(f"The barcode holds two different values for its {_AI_NAMES[ai]}.")
    return found[0] if found else None


def _unreadable(biip_error: str) -> UdiError:
    # biip's messages quote regular expressions; a nurse is told which part is wrong instead.
    match = _BIIP_AI.search(biip_error)
    if match and match.group(1) in _AI_NAMES:
        return UdiError(f"The barcode's {_AI_NAMES[match.group(1)]} is not valid.")
    return UdiError("The barcode is not a valid GS1 UDI: it may be damaged or incomplete.")
