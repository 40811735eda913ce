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
from checklists.choices import SIDED, Laterality
from checklists.models import Case
from checklists.workflow.cases import snapshot_of, snapshot_steps
from procedures.blocks import including, with_block
from procedures.choices import StepKind, VersionStatus
from procedures.models import BlockVersion, ProcedureVersion, Step

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
    request: AuthenticatedHttpRequest,
    version: ProcedureVersion,
    *,
    laterality: str,
    offered: tuple[str, ...],
    template: list[Step] | None = None,
) -> dict[str, object]:
    """What the checklist template draws for the preview: one query (the version's steps).

    Each unsaved step takes its position as its id, so its row, controls and links are named
    as a real case's are. The controls are those of a person who records steps (whoever looks:
    an administrator does not record); the preview's template disables them all, and
    ``preview`` leaves out of the checklist what would reach a real case (the poll, the
    cancel form, emergency access). ``template``: the steps to show instead of the version's
    (a shared block's draft put in the procedure's steps)."""
    case = preview_case(version, laterality=laterality)
    steps = snapshot_steps(case, version) if template is None else snapshot_of(case, template)
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
        laterality_choices=[(side, Laterality(side).label) for side in offered],
        can_record=True,
        can_override=False,
        can_sign=False,
        concerns=[],
    )
    add_implant_panels(context, case, checklist, implants=[])
    return context


def get_block_version(*, version_id: int) -> BlockVersion:
    """The block's version with its block, or a 404."""
    return get_object_or_404(BlockVersion.objects.select_related("block"), pk=version_id)


def block_in_procedure(
    version: BlockVersion, *, procedure_id: str
) -> tuple[list[ProcedureVersion], ProcedureVersion | None, list[Step]]:
    """The procedures that include the block (published versions); the next version of the one
    chosen by ``procedure_id`` (else the first; None if none includes it), unsaved, as
    publishing the block would make it; and its steps, the block's ``version`` in place of its
    copies, unsaved (three queries)."""
    procedures = list(including(version.block))
    chosen = next((v for v in procedures if str(v.procedure_id) == procedure_id), None)
    chosen = chosen or (procedures[0] if procedures else None)
    if chosen is None:
        return procedures, None, []
    current = list(chosen.steps.select_related("block_step__version").order_by("position"))
    block_steps = list(version.steps.order_by("position"))
    upcoming = ProcedureVersion(
        procedure=chosen.procedure, number=chosen.number + 1, status=VersionStatus.DRAFT
    )
    steps = with_block(current, block_id=version.block_id, block_steps=block_steps)
    return procedures, upcoming, steps


def asks_for_side(steps: list[Step]) -> bool:
    """As ``ProcedureVersion.asks_for_side``, of steps already read."""
    return any(step.per_side or step.kind == StepKind.SIDE for step in steps)


def sides_offered(asks_for_side: bool, requested: str) -> tuple[tuple[str, ...], str]:
    """The sides the preview offers, and the one shown: ``requested`` if offered, else the
    first. A version that asks for no side is shown first as its cases without one will be."""
    offered = SIDED if asks_for_side else (Laterality.NONE, *SIDED)
    return offered, requested if requested in offered else offered[0]
