"""A procedure version as the tablet will show it, before any case is made from it.

The preview is the checklist page itself, drawn from a case and steps that are never saved:
the steps are snapshotted exactly as ``workflow.create_case`` snapshots them (per side for a
bilateral case), and the checklist, its locks and its controls come from the same selectors and
template as a real case's. Nothing is written, not even the access log: there is no patient.
"""

from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.http import AuthenticatedHttpRequest
from checklists import selectors
from checklists.checklist_context import add_implant_panels, checklist_context
from checklists.choices import Laterality
from checklists.models import Case
from checklists.workflow.cases import snapshot_steps
from procedures.models import ProcedureVersion

# No case has the id 0 (ids start at 1; asked for, it is a 404): the preview's controls,
# disabled, name a case that cannot exist, so that even a forged submission reaches nothing.
PREVIEW_CASE_ID = 0


def get_version(*, version_id: int) -> ProcedureVersion:
    """The version with its procedure, or a 404."""
    return get_object_or_404(ProcedureVersion.objects.select_related("procedure"), pk=version_id)


def preview_case(version: ProcedureVersion, *, laterality: str) -> Case:
    """An unsaved case of ``version`` on ``laterality``, with no patient, surgeon or room."""
    return Case(
        pk=PREVIEW_CASE_ID,
        procedure=version.procedure,
        procedure_version=version,
        laterality=laterality,
        room="",
        patient_mrn="",
        patient_name="",
        scheduled_start=timezone.now(),
        created_at=timezone.now(),
    )


def preview_context(
    request: AuthenticatedHttpRequest, version: ProcedureVersion, *, laterality: str
) -> dict[str, object]:
    """What the checklist template draws for the preview: one query (the version's steps).

    Each unsaved step takes its position as its id, so its row, controls and links are named
    as a real case's are. The controls are those of a person who records steps (whoever looks:
    an administrator does not record); the preview's template disables them all, and
    ``preview`` leaves out of the checklist what would reach a real case (the poll, the
    cancel form, emergency access)."""
    case = preview_case(version, laterality=laterality)
    steps = snapshot_steps(case, version)
    for step in steps:
        step.pk = step.position
    checklist = selectors.checklist_of(case, steps)
    context = checklist_context(
        request,
        case,
        checklist,
        implants=False,
        forms=False,
        preview=True,
        version=version,
        laterality_choices=Laterality.choices,
        can_record=True,
        can_override=False,
        can_sign=False,
        concerns=[],
    )
    add_implant_panels(context, case, checklist, implants=[])
    return context
