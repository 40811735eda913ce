"""Reading devices into the catalogue from a GUDID-style pipe-delimited file.

The file has a header row naming its columns and one device a line, fields separated by ``|``
(the FDA's AccessGUDID ``device.txt`` layout; its name for a column is the one accepted, in
any letter case). UTF-8, with or without a byte order mark; Windows or Unix line endings.

Columns read (any others, such as GUDID's ``publicDeviceRecordKey``, are ignored):

- ``primaryDI`` (required): the GTIN, 8 to 14 digits, stored as its 14 with its check digit
  checked;
- ``companyName`` and ``brandName`` (required, never empty);
- ``versionModelNumber``, ``catalogNumber``, ``deviceDescription``, ``sizeText``;
- ``MRISafetyStatus``: ``MR Safe``, ``MR Conditional``, ``MR Unsafe`` or ``Labeling does not
  contain MRI Safety Information`` (empty: the last);
- ``singleUse``, ``deviceKit``, ``implantable`` (GUDID's gmdnTerms): ``true`` or ``false``
  (also yes/no, y/n, 1/0; empty: false);
- ``deviceCommDistributionStatus``: ``In Commercial Distribution`` makes the device active,
  ``Not in Commercial Distribution`` inactive; without the column a new device is active and a
  known one keeps what the catalogue keeper set.

A row is added when its GTIN is new, updated when it differs from the catalogue, and left
alone when it says what the catalogue says, so a second run of the same file changes nothing.
A row that cannot be read is refused with its line number and the reason; the others are
still read. Nothing is half-written: each row is checked whole before any is saved.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Field
from django.utils import timezone

from catalogue.choices import MriSafety
from catalogue.gtin import normalise_gtin
from catalogue.models import Device

# Made-up SI fusion implants and instruments of fictitious companies, for the demo and the tests
# (``seed_demo`` loads it).
SAMPLE_FILE = Path(__file__).resolve().parent / "data" / "si-fusion-devices.txt"

# GUDID's column names (lower-cased, as matched) and the Device field each fills.
COLUMNS = {
    "primarydi": "gtin",
    "companyname": "company",
    "brandname": "brand",
    "versionmodelnumber": "model_number",
    "catalognumber": "catalogue_number",
    "devicedescription": "description",
    "sizetext": "size",
    "mrisafetystatus": "mri_safety",
    "singleuse": "single_use",
    "devicekit": "kit",
    "implantable": "implantable",
    "devicecommdistributionstatus": "active",
}
REQUIRED = ("primarydi", "companyname", "brandname")
# How each column is spelled in messages (GUDID's own spelling).
SPELLED = {
    "primarydi": "primaryDI",
    "companyname": "companyName",
    "brandname": "brandName",
    "versionmodelnumber": "versionModelNumber",
    "catalognumber": "catalogNumber",
    "devicedescription": "deviceDescription",
    "sizetext": "sizeText",
    "mrisafetystatus": "MRISafetyStatus",
    "singleuse": "singleUse",
    "devicekit": "deviceKit",
    "implantable": "implantable",
    "devicecommdistributionstatus": "deviceCommDistributionStatus",
}
TEXT_FIELDS = ("company", "brand", "model_number", "catalogue_number", "description", "size")
FLAG_FIELDS = ("single_use", "kit", "implantable")
TRUE = frozenset({"true", "yes", "y", "1", "t"})
FALSE = frozenset({"false", "no", "n", "0", "f", ""})
MRI = {label.lower(): value for value, label in MriSafety.choices} | {
    value: value for value in MriSafety.values
}
MRI[""] = MriSafety.NOT_LABELLED
DISTRIBUTION = {"in commercial distribution": True, "not in commercial distribution": False}
BATCH = 500


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (not UTF-8, no header, required columns missing)."""


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, Any]  # Device field -> value; "active" only when the file says


def import_devices(data: bytes) -> ImportReport:
    """Read a GUDID-style file's bytes into the catalogue, in one transaction."""
    rows, report = read_rows(data)
    with transaction.atomic():
        for start in range(0, len(rows), BATCH):
            _save(rows[start : start + BATCH], report)
    return report


def read_rows(data: bytes) -> tuple[list[Row], ImportReport]:
    """Every readable row of the file, checked, and the report of those refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"The file is not UTF-8 text (byte {error.start + 1} cannot be read)."
        ) from None
    lines = list(enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1))
    first = next((i for i, (_, line) in enumerate(lines) if line.strip()), None)
    if first is None:
        raise UnreadableFile("The file is empty: it needs a header row naming its columns.")
    header_line, header = lines[first]
    names = [name.strip().lower() for name in header.split("|")]
    missing = [SPELLED[name] for name in REQUIRED if name not in names]
    if missing:
        raise UnreadableFile(
            f"The header row (line {header_line}) lacks the column"
            f"{'s' if len(missing) > 1 else ''} {', '.join(missing)}. Columns are separated "
            "by |, e.g. primaryDI|companyName|brandName|versionModelNumber|sizeText."
        )
    report, rows = ImportReport(), []
    seen: dict[str, int] = {}  # GTIN -> the line it was first on
    for number, line in lines[first + 1 :]:
        if not line.strip():
            continue
        try:
            row = _row(number, names, line.split("|"))
        except ValidationError as refused:
            report.refused.append((number, " ".join(refused.messages)))
            continue
        gtin = row.values["gtin"]
        if gtin in seen:
            report.refused.append((number, f"GTIN {gtin} is on line {seen[gtin]} already."))
            continue
        seen[gtin] = number
        rows.append(row)
    return rows, report


def _row(number: int, names: list[str], fields: list[str]) -> Row:
    """One line's device, checked whole; ValidationError says what is wrong with it."""
    if len(fields) != len(names):
        raise ValidationError(
            f"It has {len(fields)} fields where the header has {len(names)} "
            "(a | too many or too few?)."
        )
    if any("\x00" in value for value in fields):
        raise ValidationError("It holds a NUL character, which no text field can store.")
    given = {
        COLUMNS[name]: (SPELLED[name], value.strip())
        for name, value in zip(names, fields, strict=True)
        if name in COLUMNS
    }
    values: dict[str, Any] = {"gtin": normalise_gtin(given["gtin"][1])}
    for name in TEXT_FIELDS:
        column, text = given.get(name, ("", ""))
        limit = cast(Field, Device._meta.get_field(name)).max_length or len(text)
        if len(text) > limit:
            raise ValidationError(f"{column} is {len(text)} characters long, at most {limit}.")
        values[name] = text
    for name in ("company", "brand"):
        if not values[name]:
            raise ValidationError(f"{given[name][0]} is empty: every device needs one.")
    for name in FLAG_FIELDS:
        column, text = given.get(name, ("", ""))
        if text.lower() not in TRUE | FALSE:
            raise ValidationError(f"{column} is “{text[:40]}”, neither true nor false.")
        values[name] = text.lower() in TRUE
    column, text = given.get("mri_safety", ("", ""))
    if text.lower() not in MRI:
        known = ", ".join(str(label) for label in MriSafety.labels)
        raise ValidationError(f"{column} “{text[:60]}” is not one of: {known}.")
    values["mri_safety"] = MRI[text.lower()]
    if "active" in given:
        column, text = given["active"]
        if text.lower() not in DISTRIBUTION:
            raise ValidationError(
                f"{column} is “{text[:60]}”, neither In Commercial Distribution nor "
                "Not in Commercial Distribution."
            )
        values["active"] = DISTRIBUTION[text.lower()]
    return Row(number, values)


def _save(rows: Iterable[Row], report: ImportReport) -> None:
    rows = list(rows)
    known = Device.objects.in_bulk([row.values["gtin"] for row in rows], field_name="gtin")
    now = timezone.now()
    added, updated = [], []
    changed_fields: set[str] = set()
    for row in rows:
        device = known.get(row.values["gtin"])
        if device is None:
            added.append(Device(**row.values, created_at=now, updated_at=now))
            continue
        changes = {name for name, value in row.values.items() if getattr(device, name) != value}
        if not changes:
            report.unchanged += 1
            continue
        for name in changes:
            setattr(device, name, row.values[name])
        device.updated_at = now
        changed_fields |= changes
        updated.append(device)
    Device.objects.bulk_create(added)
    if updated:
        Device.objects.bulk_update(updated, [*sorted(changed_fields), "updated_at"])
    report.added += len(added)
    report.updated += len(updated)


def report_lines(report: ImportReport) -> Iterator[str]:
    """The report in lines, for a person: the counts, then each refusal."""
    yield (
        f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.refused)} refused."
    )
    for line, reason in report.refused:
        yield f"  line {line}: {reason}"
