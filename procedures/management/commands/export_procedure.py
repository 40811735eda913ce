"""``manage.py export_procedure SLUG [--version N] > file.json``: a procedure's version as a FHIR
R4 Questionnaire (``procedures.questionnaire``), for another hospital to import."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from procedures.models import Procedure, ProcedureVersion
from procedures.questionnaire import chosen_version, export_json


class Command(BaseCommand):
    help = (
        "Writes a procedure's version as a FHIR R4 Questionnaire (JSON) to standard output: the "
        "published version, or the one --version names (else the newest, before any is "
        "published). manage.py import_procedure reads it back as a draft."
    )

    def add_base_argument(self, parser: CommandParser, *args: Any, **kwargs: Any) -> None:
        if "--version" not in args:  # Django's (its own version) gives way to the procedure's
            super().add_base_argument(parser, *args, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the procedure's slug, e.g. si-fusion-open")
        parser.add_argument("--version", type=int, metavar="N", help="the version's number")

    def handle(self, *args: Any, slug: str, version: int | None, **options: Any) -> None:
        procedure = Procedure.objects.filter(slug=slug).first()
        if procedure is None:
            known = ", ".join(Procedure.objects.values_list("slug", flat=True))
            raise CommandError(f"There is no procedure “{slug}” (known: {known}).")
        try:
            chosen = chosen_version(procedure, version)
        except ProcedureVersion.DoesNotExist as missing:
            raise CommandError(str(missing)) from None
        self.stdout.write(export_json(chosen))
