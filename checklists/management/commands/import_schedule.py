"""``manage.py import_schedule FILE --by USERNAME``: the day's theatre list into scheduled cases."""

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from checklists.schedule_fhir import import_schedule_bundle
from checklists.schedule_import import HEADER, UnreadableFile, import_schedule_csv, report_lines


class Command(BaseCommand):
    help = (
        "Schedules the cases of the day's theatre list from a CSV file (UTF-8) whose header "
        f"reads {HEADER}: the appointment's id in the scheduling system, the patient's MRN, "
        "name and date of birth (YYYY-MM-DD), the procedure's slug, left/right/bilateral, the "
        "surgeon's username, the room's name and the start in ISO 8601. A known appointment "
        "moves its case to the new time or room if the case has not started; the same file "
        "again changes nothing. Prints the rows created, updated, unchanged and refused, each "
        "refusal with its line, its appointment id and the reason. A file ending in .json is read "
        "as a FHIR R4 Bundle of Appointments with their Patient, Practitioner and Location "
        "(see checklists.schedule_fhir)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file to read")
        parser.add_argument(
            "--by",
            required=True,
            metavar="USERNAME",
            help="who schedules the cases (the audit trail's actor; a role that schedules)",
        )

    def handle(self, *args: Any, file: Path, by: str, **options: Any) -> None:
        actor = User.objects.filter(username=by, is_active=True).first()
        if actor is None:
            raise CommandError(f"There is no active user “{by}”.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file} cannot be read: {error.strerror or error}.") from None
        try:
            if file.suffix.lower() == ".json":
                report = import_schedule_bundle(data, actor=actor)
            else:
                report = import_schedule_csv(data, actor=actor)
        except UnreadableFile as error:
            raise CommandError(f"{file}: {error}") from None
        lines = list(report_lines(report))
        style = self.style.WARNING if report.refused else self.style.SUCCESS
        self.stdout.write(style(lines[0]))
        for line in lines[1:]:
            self.stdout.write(line)
