"""``manage.py import_devices FILE``: devices into the catalogue from a GUDID-style file."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from catalogue.imports import UnreadableFile, import_devices, report_lines


class Command(BaseCommand):
    help = (
        "Adds and updates devices in the device catalogue from a pipe-delimited file with a "
        "header row, as the FDA's AccessGUDID device.txt: primaryDI (the GTIN, required), "
        "companyName and brandName (required), versionModelNumber, catalogNumber, "
        "deviceDescription, sizeText, MRISafetyStatus (MR Safe, MR Conditional, MR Unsafe, "
        "Labeling does not contain MRI Safety Information), singleUse, deviceKit, implantable "
        "(true/false), deviceCommDistributionStatus (In/Not in Commercial Distribution: active "
        "or not). Column names in any letter case; other columns are ignored. UTF-8, with or "
        "without a BOM, any line endings. Running the same file again changes nothing. Prints "
        "the rows added, updated, unchanged and refused, each refusal with its line and reason."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the pipe-delimited file to read")

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file} cannot be read: {error.strerror or error}.") from None
        try:
            report = import_devices(data)
        except UnreadableFile as error:
            raise CommandError(f"{file}: {error}") from None
        lines = list(report_lines(report))
        style = self.style.WARNING if report.refused else self.style.SUCCESS
        self.stdout.write(style(lines[0]))
        for line in lines[1:]:
            self.stdout.write(line)
