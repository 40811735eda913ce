"""``manage.py import_procedure FILE [--by USERNAME]``: a FHIR R4 Questionnaire (as
``export_procedure`` writes it) as a new draft, never a published version."""

from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from procedures.imports import import_questionnaire, kept_message
from procedures.questionnaire import QuestionnaireRefused


class Command(BaseCommand):
    help = (
        "Reads a FHIR R4 Questionnaire (JSON) into a new draft: of the procedure its identifier "
        "(system urn:sitracker:procedure) names, or of a new procedure made from it. The draft "
        "is published in the admin, after a preview. A file the procedures' rules refuse is "
        "refused whole, with the reason, and nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the Questionnaire's JSON file")
        parser.add_argument(
            "--by", metavar="USERNAME", help="who imports it (the procedure's history names them)"
        )

    def handle(self, *args: Any, file: Path, by: str | None, **options: Any) -> None:
        actor = None
        if by is not None:
            actor = User.objects.filter(username=by, is_active=True).first()
            if actor is None:
                raise CommandError(f"There is no active user “{by}”.")
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file} cannot be read: {error.strerror or error}.") from None
        try:
            imported = import_questionnaire(data, by=actor, source=file.name)
        except QuestionnaireRefused as refused:
            raise CommandError(f"{file}: {refused} Nothing was imported.") from None
        draft = imported.draft
        self.stdout.write(
            self.style.SUCCESS(
                f"{draft.procedure}: draft version {draft.number} with "
                f"{draft.steps.count()} steps. Preview and publish it in the admin."
            )
        )
        if imported.kept:
            self.stdout.write(kept_message(imported.kept))
