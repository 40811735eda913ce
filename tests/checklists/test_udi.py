import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checklists.udi import UdiError, UdiParts, parse_udi

GS = "\x1d"
BRACKETED = "(01)00812345678901(17)281231(10)LOT123(21)SN456"
SCANNED = "".join(["0100812345678901", "17281231", "10LOT123", GS, "21SN456"])
EXPECTED = {
    "gtin": "00812345678901",
    "expiry": datetime.date(2028, 12, 31),
    "lot": "LOT123",
    "serial": "SN456",
}


def parts_of(parts: UdiParts) -> dict:
    return {
        "gtin": parts.gtin,
        "expiry": parts.expiry,
        "lot": parts.lot,
        "serial": parts.serial,
    }


def check_digit(payload: str) -> int:
    # GS1 mod-10, written out here so the property test does not trust the code under test.
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return (10 - total % 10) % 10


def test_it_reads_the_bracketed_form():
    parts = parse_udi(BRACKETED)

    assert parts_of(parts) == EXPECTED
    assert parts.raw == BRACKETED


def test_it_reads_the_scanned_form_with_group_separators():
    assert parts_of(parse_udi(SCANNED)) == EXPECTED


@pytest.mark.parametrize("prefix", ["]C1", "]d2"])
def test_it_reads_the_scanned_form_with_a_symbology_identifier(prefix):
    assert parts_of(parse_udi(prefix + SCANNED)) == EXPECTED


def test_it_keeps_the_input_stripped_as_raw():
    assert parse_udi(f"  {SCANNED}\n").raw == SCANNED


@pytest.mark.parametrize(
    "udi",
    [
        "(21)SN456(10)LOT123(17)281231(01)00812345678901",
        "(10)LOT123(01)00812345678901(21)SN456(17)281231",
        "".join(["21SN456", GS, "10LOT123", GS, "17281231", "0100812345678901"]),
    ],
)
def test_it_reads_the_ais_in_any_order(udi):
    assert parts_of(parse_udi(udi)) == EXPECTED


def test_it_reads_a_gtin_alone_with_no_expiry_lot_or_serial():
    parts = parse_udi("(01)00812345678901")

    assert parts_of(parts) == {
        "gtin": "00812345678901",
        "expiry": None,
        "lot": "",
        "serial": "",
    }


@pytest.mark.parametrize(
    ("expiry", "date"),
    [("281200", datetime.date(2028, 12, 31)), ("280200", datetime.date(2028, 2, 29))],
)
def test_it_reads_expiry_day_00_as_the_last_day_of_the_month(expiry, date):
    assert parse_udi(f"(01)00812345678901(17){expiry}").expiry == date


def test_it_reads_lot_and_serial_of_twenty_characters():
    parts = parse_udi(f"(01)00812345678901(10){'L' * 20}(21){'S' * 20}")

    assert (parts.lot, parts.serial) == ("L" * 20, "S" * 20)


@pytest.mark.parametrize(
    "udi",
    [
        "(01)00812345678906(17)281231(10)LOT123(21)SN456",
        "".join(["0100812345678906", "17281231", "10LOT123", GS, "21SN456"]),
    ],
)
def test_it_refuses_a_wrong_gtin_check_digit(udi):
    with pytest.raises(UdiError, match="check digit is wrong"):
        parse_udi(udi)


@pytest.mark.parametrize(
    ("udi", "message"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("(01)00812345678901(17)281345", "expiry date is not valid"),
        ("(01)00812345678901(17)280230", "expiry date is not valid"),
        ("".join(["0100812345678901", "17281345", "10LOT", GS]), "expiry date is not valid"),
        ("(17)281231(10)LOT123", "no product number"),
        (f"1728123110LOT123{GS}21SN", "no product number"),
        ("]C1", "no product number"),
        ("(01)0081234567890(10)LOT123", "product number .GTIN. is not valid"),
        (f"(01)00812345678901(10){'L' * 21}", "lot number is not valid"),
        (f"(01)00812345678901(21){'S' * 21}", "serial number is not valid"),
        ("(01)00812345678901(10)LOT123(", "incomplete"),
        ("(01)00812345678901()LOT123", "incomplete"),
        ("(01)00812345678901(10)(21)SN456", "incomplete"),
        ("(01)00812345678901(9999)X", "not a valid GS1 UDI"),
        ("(01)00812345678901(01)10812345678908", "two different values"),
        ("hello world", "not a valid GS1 UDI"),
        ("00812345678901", "not a valid GS1 UDI"),
        ("]E000812345678901", "not a GS1 barcode"),
        ("]", "not a GS1 barcode"),
        ("]Y", "not a GS1 barcode"),
        ("https://id.gs1.org/01/00812345678901", "Digital Link"),
        ("(01)00000000000000", "restricted circulation number"),
        ("(01)٠٠٨١٢٣٤٥٦٧٨٩٠١", "characters"),
        (BRACKETED + "(240)" + "X" * 200, "too long"),
    ],
)
def test_it_refuses_what_is_not_a_complete_udi(udi, message):
    with pytest.raises(UdiError, match=message):
        parse_udi(udi)


def test_it_accepts_input_of_exactly_the_maximum_length():
    padding = "(240)" + "X" * 30
    udi = BRACKETED + padding * 4
    udi += "(91)" + "A" * (200 - len(udi) - 4)

    assert len(udi) == 200
    assert parse_udi(udi).gtin == "00812345678901"


def test_it_accepts_a_repeated_ai_with_the_same_value():
    assert parse_udi("(01)00812345678901(01)00812345678901").gtin == "00812345678901"


def assert_parsed_or_refused(raw: str) -> None:
    try:
        parts = parse_udi(raw)
    except UdiError:
        return
    assert len(parts.gtin) == 14
    assert parts.gtin.isascii()
    assert parts.gtin.isdigit()
    assert int(parts.gtin[-1]) == check_digit(parts.gtin[:-1])


@given(st.text())
def test_it_returns_a_valid_gtin_or_raises_udi_error_for_any_text(raw):
    assert_parsed_or_refused(raw)


# Pieces of real UDIs, so that the search also reaches the paths past the first refusal.
udi_pieces = st.lists(
    st.one_of(
        st.sampled_from(["(01)", "01", "(17)", "17", "(10)", "10", "(21)", "21", "]C1", "]d2"]),
        st.sampled_from([GS, "(", ")", "]", " ", "00812345678901", "281200", "LOT"]),
        st.text(alphabet="0123456789", max_size=16),
        st.text(max_size=4),
    ),
    max_size=10,
).map("".join)


@given(udi_pieces)
def test_it_returns_a_valid_gtin_or_raises_udi_error_for_udi_like_text(raw):
    assert_parsed_or_refused(raw)


gs1_text = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-./",
    min_size=1,
    max_size=20,
)


@given(
    # Real company prefixes (USA, Germany, and a case of items): not restricted circulation.
    payload=st.tuples(
        st.sampled_from(["008123", "040123", "108123"]),
        st.text(alphabet="0123456789", min_size=7, max_size=7),
    ).map("".join),
    expiry=st.dates(datetime.date(2000, 1, 1), datetime.date(2049, 12, 31)),
    lot=gs1_text,
    serial=gs1_text,
    bracketed=st.booleans(),
)
def test_it_reads_back_what_a_udi_encodes(payload, expiry, lot, serial, bracketed):
    gtin = payload + str(check_digit(payload))
    fields = [("01", gtin), ("17", expiry.strftime("%y%m%d")), ("10", lot), ("21", serial)]
    if bracketed:
        udi = "".join(f"({ai}){data}" for ai, data in fields)
    else:
        udi = "".join(f"{ai}{data}{GS}" for ai, data in fields)

    parts = parse_udi(udi)

    assert (parts.gtin, parts.expiry, parts.lot, parts.serial) == (gtin, expiry, lot, serial)
