"""What the API reads: cases by its filters, and a case with its whole record."""

import datetime

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from checklists.models import Case, CaseStep, Implant, Signature
from procedures.choices import VersionStatus
from procedures.models import ProcedureVersion, Step


def published_versions() -> QuerySet[ProcedureVersion]:
    """Each procedure's published version (what new cases are made from), with its procedure
    and its steps in order, by the procedure's title: two queries."""
    steps = Step.objects.select_related("block_step__version__block").order_by("position")
    return (
        ProcedureVersion.objects.filter(status=VersionStatus.PUBLISHED)
        .select_related("procedure")
        .prefetch_related(Prefetch("steps", steps))
        .order_by("procedure__title")
    )


def cases(
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    status: str = "",
    room: str = "",
    procedure: int | None = None,
    surgeon: int | None = None,
) -> QuerySet[Case]:
    """Cases in order of their scheduled start, filtered by what is given (one query)."""
    found = Case.objects.select_related("procedure", "surgeon").order_by("scheduled_start", "pk")
    if date_from is not None:
        found = found.filter(scheduled_start__date__gte=date_from)
    if date_to is not None:
        found = found.filter(scheduled_start__date__lte=date_to)
    if status:
        found = found.filter(status=status)
    if room:
        found = found.filter(room=room)
    if procedure is not None:
        found = found.filter(procedure_id=procedure)
    if surgeon is not None:
        found = found.filter(surgeon_id=surgeon)
    return found


def questionnaire_version(*, version_id: int) -> ProcedureVersion:
    """A version of a procedure that was published (now or before), with its procedure and its
    steps in order, or a 404 (a draft is no one's business outside the admin): two queries."""
    steps = Step.objects.select_related("block_step__version__block").order_by("position")
    found = (
        ProcedureVersion.objects.exclude(status=VersionStatus.DRAFT)
        .select_related("procedure")
        .prefetch_related(Prefetch("steps", steps))
    )
    return get_object_or_404(found, pk=version_id)


def case_record(*, case_id: int) -> Case:
    """The case with its steps (in order, with who recorded each), its implants and its
    signatures, or a 404: four queries, however long the checklist."""
    return get_object_or_404(_records(), pk=case_id)


def case_record_of_implant(*, implant_id: int) -> Case:
    """The record (as ``case_record``) of the case the implant was logged on, or a 404."""
    return get_object_or_404(_records(), implants__pk=implant_id)


def case_record_of_signature(*, signature_id: int) -> Case:
    """The record (as ``case_record``) of the case the signature signs, or a 404."""
    return get_object_or_404(_records(), signatures__pk=signature_id)


def _records() -> QuerySet[Case]:
    steps = CaseStep.objects.select_related("recorded_by").order_by("position")
    implants = Implant.objects.select_related("added_by", "read_back_by").order_by(
        "side", "position"
    )
    signatures = Signature.objects.order_by("signed_at", "pk")
    return Case.objects.select_related("procedure", "surgeon").prefetch_related(
        Prefetch("steps", steps), Prefetch("implants", implants), Prefetch("signatures", signatures)
    )
