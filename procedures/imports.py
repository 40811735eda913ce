"""A FHIR Questionnaire file written as a new draft (``manage.py import_procedure`` and the
admin's import): of the procedure its identifier names, or of a new procedure made from it. The
file is read and checked by ``procedures.questionnaire``; nothing is written if it is refused."""

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from procedures.models import Procedure, ProcedureVersion
from procedures.questionnaire import QuestionnaireRefused, messages, read_questionnaire
from procedures.versions import DraftRefused, import_draft


@dataclass
class ImportedDraft:
    """What an import wrote: the draft, and the file's procedure fields that differ from an
    existing procedure's and were not applied (their labels, e.g. "title")."""

    draft: ProcedureVersion
    kept: list[str]


# A version holds steps only: an existing procedure's title, description and approach are its
# identity, not part of a draft, and would reach every case at once, unpublished.
IDENTITY = ("title", "description", "approach")


def import_questionnaire(
    data: bytes | str, *, by: User | None, source: str = "a file"
) -> ImportedDraft:
    """The file as a new draft: of the procedure its identifier names (its steps only: the
    procedure's own title, description and approach are kept, and ``kept`` names those the
    file gives otherwise), or of a new procedure made from it. Never published; refused whole
    (nothing written) with QuestionnaireRefused."""
    imported = read_questionnaire(data)
    kept: list[str] = []
    with transaction.atomic():
        procedure = Procedure.objects.filter(slug=imported.procedure.slug).first()
        if procedure is None:
            procedure = imported.procedure
            try:
                procedure.full_clean()
            except ValidationError as refused:
                raise QuestionnaireRefused(f"The procedure: {messages(refused)}") from None
            procedure.save()
        else:
            kept = [
                name
                for name in IDENTITY
                if getattr(procedure, name) != getattr(imported.procedure, name)
            ]
        try:
            draft = import_draft(procedure=procedure, steps=imported.steps, by=by, source=source)
        except DraftRefused as refused:
            raise QuestionnaireRefused(str(refused)) from None
    return ImportedDraft(draft=draft, kept=kept)


def kept_message(kept: list[str]) -> str:
    """For the administrator: what the import did not apply, and where to change it."""
    if not kept:
        return ""
    named = kept[0] if len(kept) == 1 else f"{', '.join(kept[:-1])} and {kept[-1]}"
    return (
        f"The file's {named} differ from the procedure's and were not applied: an "
        "import changes the steps only. Change them on the procedure's page if they should."
    )
