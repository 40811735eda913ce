import pytest
from django.core.exceptions import ValidationError

from catalogue.gtin import normalise_gtin, validate_gtin


@pytest.mark.parametrize(
    ("written", "stored"),
    [("00812345678901", "00812345678901"), ("0812345678901", "00812345678901"),
     ("812345678901", "00812345678901"), (" 00812345678901 ", "00812345678901")],
)  # fmt: skip
def test_a_gtin_is_kept_as_its_fourteen_digits(written, stored):
    assert normalise_gtin(written) == stored


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("00812345678906", "check digit is wrong"),
        ("0081234567890", "check digit is wrong"),
        ("12345", "is not a GTIN"),
        ("", "is not a GTIN"),
        ("0081234567890A", "is not a GTIN"),
        ("٠٠٨١٢٣٤٥٦٧٨٩٠١", "is not a GTIN"),  # Arabic-Indic digits are not GS1's
        ("00000000000000", "restricted circulation number"),
    ],
)
def test_anything_else_is_refused_in_words(written, message):
    with pytest.raises(ValidationError, match=message):
        normalise_gtin(written)


def test_the_model_field_wants_all_fourteen_digits():
    validate_gtin("00812345678901")
    with pytest.raises(ValidationError, match="14 digits"):
        validate_gtin("0812345678901")
