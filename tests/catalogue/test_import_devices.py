"""``manage.py import_devices``: GUDID-style files into the device catalogue."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalogue.choices import MriSafety
from catalogue.models import Device

SAMPLE = Path(__file__).resolve().parents[2] / "catalogue" / "data" / "si-fusion-devices.txt"
HEADER = (
    "primaryDI|companyName|brandName|versionModelNumber|catalogNumber|deviceDescription|"
    "sizeText|MRISafetyStatus|singleUse|deviceKit|implantable"
)
GOOD = (
    "00812345678901|Example Co (fictitious)|Fusor|F-45|C-45|A fusion implant|7.0 x 45 mm|"
    "MR Conditional|true|false|true"
)


def run(path: Path) -> str:
    out = StringIO()
    call_command("import_devices", str(path), stdout=out)
    return out.getvalue()


def write(tmp_path: Path, *lines: str, name: str = "devices.txt") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_it_adds_each_device_of_a_good_file(db, tmp_path):
    output = run(write(tmp_path, HEADER, GOOD))

    assert "1 added, 0 updated, 0 unchanged, 0 refused." in output
    device = Device.objects.get()
    assert (device.gtin, device.company, device.brand, device.model_number) == (
        "00812345678901",
        "Example Co (fictitious)",
        "Fusor",
        "F-45",
    )
    assert (device.catalogue_number, device.size, device.description) == (
        "C-45",
        "7.0 x 45 mm",
        "A fusion implant",
    )
    assert (device.mri_safety, device.single_use, device.kit, device.implantable) == (
        MriSafety.MR_CONDITIONAL,
        True,
        False,
        True,
    )
    assert device.active
    assert device.product_name == "Fusor F-45"


def test_the_same_file_twice_adds_and_updates_nothing_the_second_time(db):
    first = run(SAMPLE)
    stamps = dict(Device.objects.values_list("gtin", "updated_at"))

    second = run(SAMPLE)

    assert "10 added, 0 updated, 0 unchanged, 0 refused." in first
    assert "0 added, 0 updated, 10 unchanged, 0 refused." in second
    assert dict(Device.objects.values_list("gtin", "updated_at")) == stamps


def test_a_changed_row_updates_its_device(db, tmp_path):
    run(write(tmp_path, HEADER, GOOD))

    output = run(write(tmp_path, HEADER, GOOD.replace("7.0 x 45 mm", "7.0 x 45.5 mm")))

    assert "0 added, 1 updated, 0 unchanged, 0 refused." in output
    assert Device.objects.get().size == "7.0 x 45.5 mm"


def test_bad_rows_are_refused_with_their_line_and_reason_and_the_rest_read(db, tmp_path):
    rows = [
        HEADER,
        GOOD,
        GOOD.replace("00812345678901", "00812345678906"),  # line 3: check digit
        GOOD.replace("00812345678901", "00812345678925").replace("Example Co (fictitious)", ""),
        GOOD.replace("00812345678901", "00812345678932").replace("MR Conditional", "Magnetic"),
        GOOD.replace("00812345678901", "00812345678949").replace(
            "|true|false|true", "|maybe|false|true"
        ),
        "00812345678956|Too|few",
        GOOD,  # line 8: the same GTIN as line 2
        GOOD.replace("00812345678901", "ABC"),
        GOOD.replace("00812345678901", "00812345678963").replace("7.0 x 45 mm", "x" * 51),
        GOOD.replace("00812345678901", "00812345678970").replace("Fusor", "Fu\x00sor"),
    ]

    output = run(write(tmp_path, *rows))

    assert "1 added, 0 updated, 0 unchanged, 9 refused." in output
    for expected in (
        "line 3: The GTIN 00812345678906's check digit is wrong",
        "line 4: companyName is empty",
        "line 5: MRISafetyStatus “Magnetic” is not one of: MR Safe, MR Conditional, MR Unsafe",
        "line 6: singleUse is “maybe”, neither true nor false.",
        "line 7: It has 3 fields where the header has 11",
        "line 8: GTIN 00812345678901 is on line 2 already.",
        "line 9: “ABC” is not a GTIN",
        "line 10: sizeText is 51 characters long, at most 50.",
        "line 11: It holds a NUL character",
    ):
        assert expected in output
    assert list(Device.objects.values_list("gtin", flat=True)) == ["00812345678901"]


def test_windows_line_endings_and_a_byte_order_mark_are_read(db, tmp_path):
    path = tmp_path / "windows.txt"
    path.write_bytes(("\ufeff" + HEADER + "\r\n" + GOOD + "\r\n").encode("utf-8"))

    output = run(path)

    assert "1 added, 0 updated, 0 unchanged, 0 refused." in output
    device = Device.objects.get()
    assert (device.gtin, device.implantable) == ("00812345678901", True)


def test_gudid_columns_in_another_order_and_case_and_unknown_ones_are_read(db, tmp_path):
    header = "publicDeviceRecordKey|BRANDNAME|PrimaryDI|companyname|deviceCommDistributionStatus"
    row = "abc-123|Fusor|0812345678901|Example Co (fictitious)|Not in Commercial Distribution"

    output = run(write(tmp_path, header, row))

    assert "1 added" in output
    device = Device.objects.get()
    assert (device.gtin, device.brand, device.active) == ("00812345678901", "Fusor", False)
    assert device.mri_safety == MriSafety.NOT_LABELLED


def test_without_the_distribution_column_a_device_keeps_what_the_keeper_set(db, tmp_path):
    run(write(tmp_path, HEADER, GOOD))
    Device.objects.update(active=False)

    output = run(write(tmp_path, HEADER, GOOD))

    assert "1 unchanged" in output
    assert not Device.objects.get().active


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"\n\n", "The file is empty"),
        (b"gtin|company\n1|2\n", "lacks the columns primaryDI, companyName, brandName"),
        (b"primaryDI|companyName\n", "lacks the column brandName"),
        (b"\xff\xfeprimaryDI", "not UTF-8"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole_without_a_traceback(
    db, tmp_path, content, message
):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)

    with pytest.raises(CommandError, match=message):
        run(path)
    assert not Device.objects.exists()


def test_a_missing_file_is_a_message(db, tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        run(tmp_path / "nowhere.txt")


def test_the_shipped_sample_holds_the_gtins_the_demo_and_tests_scan(db):
    run(SAMPLE)

    scanned = Device.objects.get(gtin="00812345678901")
    assert "(fictitious)" in scanned.company
    assert scanned.implantable and scanned.active
    assert Device.objects.filter(gtin="00812345678918").exists()  # the open fusion's, in bulk
    assert all(
        "(fictitious)" in company for company in Device.objects.values_list("company", flat=True)
    )
